//! Users and selectors, and Redis 7's rule language that changes them (`on`, `>pass`,
//! `~pattern`, `+@category`, `(selector)`, ...).

use super::ids::CommandIds;
use bytes::Bytes;
use std::collections::BTreeMap;

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

/// A key pattern with the access it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    /// Glob pattern.
    pub pattern: Bytes,
    /// `PERM_*` bits.
    pub perms: u8,
}

/// One set of permissions: the user's root one, or a `(...)` selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    /// Allowed command ids (see [`CommandIds`]).
    pub(crate) allowed: Vec<u64>,
    /// `+@all` was given and not undone by `-@all`: commands added later are allowed.
    pub(crate) future: bool,
    /// Every command bit is set (no check needed).
    pub(crate) all_commands: bool,
    /// First arguments allowed for commands otherwise blocked (`+select|0`).
    pub(crate) first_args: BTreeMap<usize, Vec<String>>,
    pub(crate) keys: Vec<KeyPattern>,
    pub(crate) all_keys: bool,
    pub(crate) channels: Vec<Bytes>,
    pub(crate) all_channels: bool,
    /// The command rules in the order given, compacted (`+@string -incr`).
    pub(crate) rules: String,
}

/// Whether new selectors may use every channel (`acl-pubsub-default`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PubsubDefault(pub bool);

impl Selector {
    /// A selector allowing nothing (channels per `acl-pubsub-default`).
    pub(crate) fn empty(ids: &CommandIds, pubsub: PubsubDefault) -> Selector {
        Selector {
            allowed: vec![0; ids.words()],
            future: false,
            all_commands: false,
            first_args: BTreeMap::new(),
            keys: Vec::new(),
            all_keys: false,
            channels: Vec::new(),
            all_channels: pubsub.0,
            rules: String::new(),
        }
    }

    /// True if command `id` is allowed by its bit.
    pub(crate) fn bit(&self, id: usize) -> bool {
        self.all_commands
            || self
                .allowed
                .get(id / 64)
                .is_some_and(|w| w >> (id % 64) & 1 == 1)
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if let Some(w) = self.allowed.get_mut(id / 64) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
                self.all_commands = false;
            }
        }
    }

    /// Allows or blocks a command; a container takes its subcommands along.
    fn change(&mut self, ids: &CommandIds, id: usize, on: bool) {
        self.set_bit(id, on);
        self.first_args.remove(&id);
        for &sub in ids.subs(id) {
            self.set_bit(sub, on);
        }
    }

    fn set_all(&mut self, on: bool) {
        self.allowed
            .iter_mut()
            .for_each(|w| *w = if on { !0 } else { 0 });
        self.all_commands = on;
        self.future = on;
        self.rules.clear();
        self.first_args.clear();
    }

    /// Records `+rule` / `-rule` last, dropping earlier mentions of the same rule (and of
    /// its subcommands, for a whole command).
    fn note_rule(&mut self, rule: &str, allow: bool) {
        let rule = rule.to_ascii_lowercase();
        let kept: Vec<&str> = self
            .rules
            .split(' ')
            .filter(|r| !r.is_empty())
            .filter(|r| {
                let body = &r[1..];
                !(body == rule
                    || (body.len() > rule.len()
                        && body.starts_with(rule.as_str())
                        && body.as_bytes()[rule.len()] == b'|'))
            })
            .collect();
        let mut s = kept.join(" ");
        if !s.is_empty() {
            s.push(' ');
        }
        s.push(if allow { '+' } else { '-' });
        s.push_str(&rule);
        self.rules = s;
    }

    /// Applies one selector rule.
    pub(crate) fn apply(&mut self, ids: &CommandIds, op: &[u8]) -> Result<(), RuleError> {
        let lower = op.to_ascii_lowercase();
        match lower.as_slice() {
            b"allkeys" | b"~*" => {
                self.all_keys = true;
                self.keys.clear();
            }
            b"resetkeys" => {
                self.all_keys = false;
                self.keys.clear();
            }
            b"allchannels" | b"&*" => {
                self.all_channels = true;
                self.channels.clear();
            }
            b"resetchannels" => {
                self.all_channels = false;
                self.channels.clear();
            }
            b"allcommands" | b"+@all" => self.set_all(true),
            b"nocommands" | b"-@all" => self.set_all(false),
            _ => return self.apply_pattern_or_command(ids, op),
        }
        Ok(())
    }

    fn apply_pattern_or_command(&mut self, ids: &CommandIds, op: &[u8]) -> Result<(), RuleError> {
        match op.first() {
            Some(b'~') | Some(b'%') => self.add_key_pattern(op),
            Some(b'&') => {
                if self.all_channels {
                    return Err(RuleError::ChannelAfterAll);
                }
                let pat = &op[1..];
                if has_space(pat) {
                    return Err(RuleError::Syntax);
                }
                if !self.channels.iter().any(|c| c.as_ref() == pat) {
                    self.channels.push(Bytes::copy_from_slice(pat));
                }
                Ok(())
            }
            Some(&sign @ (b'+' | b'-')) if op.get(1) == Some(&b'@') => {
                let name = std::str::from_utf8(&op[2..]).map_err(|_| RuleError::Unknown)?;
                let flag = super::category_flag(name).ok_or(RuleError::Unknown)?;
                let allow = sign == b'+';
                self.note_rule(&format!("@{name}"), allow);
                for id in ids.with_category(flag) {
                    self.change(ids, id, allow);
                }
                Ok(())
            }
            Some(b'+') => self.allow_command(ids, &op[1..]),
            Some(b'-') => {
                let name = std::str::from_utf8(&op[1..]).map_err(|_| RuleError::Unknown)?;
                let id = ids.lookup(name).ok_or(RuleError::Unknown)?;
                self.change(ids, id, false);
                self.note_rule(ids.name(id), false);
                Ok(())
            }
            _ => Err(RuleError::Syntax),
        }
    }

    fn allow_command(&mut self, ids: &CommandIds, body: &[u8]) -> Result<(), RuleError> {
        let name = std::str::from_utf8(body).map_err(|_| RuleError::Unknown)?;
        let Some((parent, sub)) = name.rsplit_once('|') else {
            let id = ids.lookup(name).ok_or(RuleError::Unknown)?;
            self.change(ids, id, true);
            self.note_rule(ids.name(id), true);
            return Ok(());
        };
        let pid = ids.lookup(parent).ok_or(RuleError::Unknown)?;
        if ids.parent(pid).is_some() {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if ids.subs(pid).is_empty() {
            let list = self.first_args.entry(pid).or_default();
            if !list.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                list.push(sub.to_string());
            }
        } else {
            let id = ids.lookup(name).ok_or(RuleError::Unknown)?;
            self.change(ids, id, true);
        }
        self.note_rule(name, true);
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeyAfterAll);
        }
        let (perms, offset) = if op[0] == b'%' {
            let mut perms = 0;
            let mut i = 1;
            let mut ok = false;
            while i < op.len() {
                match op[i].to_ascii_uppercase() {
                    b'R' if perms & PERM_READ == 0 => perms |= PERM_READ,
                    b'W' if perms & PERM_WRITE == 0 => perms |= PERM_WRITE,
                    b'~' => {
                        i += 1;
                        ok = true;
                        break;
                    }
                    _ => break,
                }
                i += 1;
            }
            if perms == 0 || !ok {
                return Err(RuleError::Syntax);
            }
            (perms, i)
        } else {
            (PERM_ALL, 1)
        };
        let pat = &op[offset..];
        if has_space(pat) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|k| k.pattern.as_ref() == pat) {
            Some(k) => k.perms |= perms,
            None => self.keys.push(KeyPattern {
                pattern: Bytes::copy_from_slice(pat),
                perms,
            }),
        }
        Ok(())
    }

    /// The command rules as ACL GETUSER and ACL LIST show them: `+@all` or `-@all`, then
    /// the rules given since.
    pub(crate) fn describe_commands(&self) -> String {
        let base = if self.future { "+@all" } else { "-@all" };
        if self.rules.is_empty() {
            base.to_string()
        } else {
            format!("{base} {}", self.rules)
        }
    }

    /// The key patterns as ACL GETUSER shows them.
    pub(crate) fn describe_keys(&self) -> String {
        if self.all_keys {
            return "~*".to_string();
        }
        let parts: Vec<String> = self.keys.iter().map(pattern_text).collect();
        parts.join(" ")
    }

    /// The channel patterns as ACL GETUSER shows them.
    pub(crate) fn describe_channels(&self) -> String {
        if self.all_channels {
            return "&*".to_string();
        }
        let parts: Vec<String> = self
            .channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect();
        parts.join(" ")
    }

    /// The selector in rule form, as ACL LIST shows it.
    pub(crate) fn describe(&self) -> String {
        let mut out = String::new();
        if self.all_keys {
            out.push_str("~* ");
        } else {
            for k in &self.keys {
                out.push_str(&pattern_text(k));
                out.push(' ');
            }
        }
        if self.all_channels {
            out.push_str("&* ");
        } else {
            out.push_str("resetchannels ");
            for c in &self.channels {
                out.push('&');
                out.push_str(&String::from_utf8_lossy(c));
                out.push(' ');
            }
        }
        out.push_str(&self.describe_commands());
        out
    }
}

fn pattern_text(k: &KeyPattern) -> String {
    let prefix = match k.perms {
        PERM_READ => "%R~",
        PERM_WRITE => "%W~",
        _ => "~",
    };
    format!("{prefix}{}", String::from_utf8_lossy(&k.pattern))
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
