//! Users and selectors, and Redis 7's rule language that changes them (`on`, `>pass`,
//! `~pattern`, `+@category`, `(selector)`, ...).

use super::ids::CommandIds;
pub use super::selector::{KeyPattern, PubsubDefault, Selector};
use bytes::Bytes;

/// Key permission bits of a key pattern (`%R~`, `%W~`, `~`).
pub(crate) const PERM_READ: u8 = 1;
/// Write permission.
pub(crate) const PERM_WRITE: u8 = 2;
/// Both (`~pattern`, `%RW~pattern`).
pub(crate) const PERM_ALL: u8 = PERM_READ | PERM_WRITE;

/// Why a rule was refused; the text is Redis's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// Not understood, or a pattern with spaces.
    Syntax,
    /// Unknown command or category.
    Unknown,
    /// A key pattern after `~*` / `allkeys`.
    KeyAfterAll,
    /// A channel pattern after `&*` / `allchannels`.
    ChannelAfterAll,
    /// `<pass` / `!hash` of a password the user does not have.
    NoSuchPassword,
    /// A `#hash` / `!hash` that is not 64 lower-case hex digits.
    BadHash,
    /// `+cmd|sub|arg`: first-arg of a subcommand.
    FirstArgOfSubcommand,
}

impl RuleError {
    /// Redis's description.
    pub fn message(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::Unknown => "Unknown command or category name in ACL",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list \
                 of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
        }
    }
}

/// True if `s` has white space or a NUL byte (refused in names and patterns).
pub(crate) fn has_space(s: &[u8]) -> bool {
    s.iter()
        .any(|&c| c.is_ascii_whitespace() || c == 0 || c == 0x0b)
}

/// An ACL user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Its name.
    pub name: Bytes,
    /// `on` (may authenticate) or `off`.
    pub enabled: bool,
    /// `nopass`: any password authenticates.
    pub nopass: bool,
    /// `skip-sanitize-payload` (else `sanitize-payload`).
    pub skip_sanitize: bool,
    /// SHA-256 hex digests of its passwords.
    pub passwords: Vec<String>,
    /// The root selector first, then `(...)` selectors.
    pub(crate) selectors: Vec<Selector>,
}

/// The SHA-256 of `password`, as 64 lower-case hex digits.
pub fn hash_password(password: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(password);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

fn check_hash(h: &[u8]) -> Result<String, RuleError> {
    if h.len() == 64
        && h.iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        Ok(String::from_utf8_lossy(h).into_owned())
    } else {
        Err(RuleError::BadHash)
    }
}

impl User {
    /// A new user as `ACL SETUSER name` creates it: off, no password, no permissions.
    pub(crate) fn new(name: Bytes, ids: &CommandIds, pubsub: PubsubDefault) -> User {
        User {
            name,
            enabled: false,
            nopass: false,
            skip_sanitize: false,
            passwords: Vec::new(),
            selectors: vec![Selector::empty(ids, pubsub)],
        }
    }

    /// The `default` user as Redis creates it: on, nopass, every key, channel and command.
    pub(crate) fn default_user(ids: &CommandIds, pubsub: PubsubDefault) -> User {
        let mut u = User::new(Bytes::from_static(b"default"), ids, pubsub);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            // Each of these rules always applies.
            let _ = u.apply(ids, op.as_bytes(), pubsub);
        }
        u
    }

    /// The root selector.
    pub(crate) fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// True if nothing needs checking: every command, key and channel in the root selector.
    pub(crate) fn unrestricted(&self) -> bool {
        let r = self.root();
        r.all_commands && r.all_keys && r.all_channels
    }

    /// True if `password` authenticates this user (not looking at on/off).
    pub(crate) fn password_ok(&self, password: &[u8]) -> bool {
        if self.nopass {
            return true;
        }
        let hashed = hash_password(password);
        self.passwords.iter().fold(false, |found, p| {
            found | constant_time_eq(p.as_bytes(), hashed.as_bytes())
        })
    }

    /// Applies one rule (selectors already merged into one `(...)` argument).
    pub(crate) fn apply(
        &mut self,
        ids: &CommandIds,
        op: &[u8],
        pubsub: PubsubDefault,
    ) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        match op.to_ascii_lowercase().as_slice() {
            b"on" => self.enabled = true,
            b"off" => self.enabled = false,
            b"skip-sanitize-payload" => self.skip_sanitize = true,
            b"sanitize-payload" => self.skip_sanitize = false,
            b"nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            b"resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            b"clearselectors" => self.selectors.truncate(1),
            b"reset" => {
                for r in ["resetpass", "resetkeys", "resetchannels"] {
                    self.apply(ids, r.as_bytes(), pubsub)?;
                }
                if pubsub.0 {
                    self.apply(ids, b"allchannels", pubsub)?;
                }
                for r in ["off", "sanitize-payload", "clearselectors", "-@all"] {
                    self.apply(ids, r.as_bytes(), pubsub)?;
                }
            }
            _ => return self.apply_other(ids, op, pubsub),
        }
        Ok(())
    }

    fn apply_other(
        &mut self,
        ids: &CommandIds,
        op: &[u8],
        pubsub: PubsubDefault,
    ) -> Result<(), RuleError> {
        match op[0] {
            b'>' | b'#' => {
                let hash = if op[0] == b'>' {
                    hash_password(&op[1..])
                } else {
                    check_hash(&op[1..])?
                };
                if !self.passwords.contains(&hash) {
                    self.passwords.push(hash);
                }
                self.nopass = false;
                Ok(())
            }
            b'<' | b'!' => {
                let hash = if op[0] == b'<' {
                    hash_password(&op[1..])
                } else {
                    check_hash(&op[1..])?
                };
                let before = self.passwords.len();
                self.passwords.retain(|p| *p != hash);
                if self.passwords.len() == before {
                    return Err(RuleError::NoSuchPassword);
                }
                Ok(())
            }
            b'(' if op.len() >= 2 && op[op.len() - 1] == b')' => {
                let mut sel = Selector::empty(ids, pubsub);
                for part in op[1..op.len() - 1].split(|c| c.is_ascii_whitespace()) {
                    if !part.is_empty() {
                        sel.apply(ids, part)?;
                    }
                }
                self.selectors.push(sel);
                Ok(())
            }
            _ => self.selectors[0].apply(ids, op),
        }
    }

    /// The user in rule form, as ACL LIST and ACL SAVE write it (without `user name`).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        out.push_str(if self.enabled { "on " } else { "off " });
        if self.nopass {
            out.push_str("nopass ");
        }
        out.push_str(if self.skip_sanitize {
            "skip-sanitize-payload "
        } else {
            "sanitize-payload "
        });
        for p in &self.passwords {
            out.push('#');
            out.push_str(p);
            out.push(' ');
        }
        out.push_str(&self.root().describe());
        for s in &self.selectors[1..] {
            out.push_str(" (");
            out.push_str(&s.describe());
            out.push(')');
        }
        out
    }

    /// The flags ACL GETUSER lists.
    pub(crate) fn flag_names(&self) -> Vec<&'static str> {
        let mut out = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            out.push("nopass");
        }
        out.push(if self.skip_sanitize {
            "skip-sanitize-payload"
        } else {
            "sanitize-payload"
        });
        out
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Joins the arguments of a selector given over several arguments (`(~a*` `+get)`) into
/// one; `Err(i)` names the argument whose parenthesis is never closed.
pub(crate) fn merge_selectors(args: &[Bytes]) -> Result<Vec<Bytes>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, a) in args.iter().enumerate() {
        if let Some((start, mut buf)) = open.take() {
            buf.push(b' ');
            buf.extend_from_slice(a);
            if a.last() == Some(&b')') {
                out.push(Bytes::from(buf));
            } else {
                open = Some((start, buf));
            }
            continue;
        }
        if a.first() == Some(&b'(') && a.last() != Some(&b')') {
            open = Some((i, a.to_vec()));
            continue;
        }
        out.push(a.clone());
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(out),
    }
}
