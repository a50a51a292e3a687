//! A selector: one set of command, key and channel permissions (the user's root one, or a
//! `(...)` selector), the rules that change it, and how it is described.

use super::ids::CommandIds;
use super::user::{has_space, RuleError, PERM_ALL, PERM_READ, PERM_WRITE};
use bytes::Bytes;
use std::collections::BTreeMap;

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
