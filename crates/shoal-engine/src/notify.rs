//! Keyspace notifications: `notify-keyspace-events` classes and publishing events to
//! `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`.

use crate::engine::Inner;
use bytes::{BufMut, Bytes, BytesMut};

/// `K`: events published on `__keyspace@<db>__:<key>`.
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: events published on `__keyevent@<db>__:<event>`.
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted-set commands.
pub const ZSET: u32 = 1 << 7;
/// `x`: a key expired.
pub const EXPIRED: u32 = 1 << 8;
/// `e`: a key was evicted.
pub const EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const STREAM: u32 = 1 << 10;
/// `m`: a read found no key.
pub const KEY_MISS: u32 = 1 << 11;
/// `d`: module key types.
pub const MODULE: u32 = 1 << 12;
/// `n`: a key was created.
pub const NEW: u32 = 1 << 13;
/// `A`: every class but `m` and `n`.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

const LETTERS: &[(u8, u32)] = &[
    (b'g', GENERIC),
    (b'$', STRING),
    (b'l', LIST),
    (b's', SET),
    (b'h', HASH),
    (b'z', ZSET),
    (b'x', EXPIRED),
    (b'e', EVICTED),
    (b't', STREAM),
    (b'd', MODULE),
];

/// Parses a class string (`KEA`, `Kx`, ...) into flags.
pub fn parse(text: &str) -> Option<u32> {
    let mut flags = 0;
    for c in text.bytes() {
        flags |= match c {
            b'A' => ALL,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b'm' => KEY_MISS,
            b'n' => NEW,
            _ => LETTERS.iter().find(|(l, _)| *l == c)?.1,
        };
    }
    Some(flags)
}

/// The canonical class string of `flags`, as CONFIG GET shows it: Redis writes `n` only
/// among the letters `A` stands for, so `A` with `n` shows as `A` (the flag itself stays on).
pub fn format(flags: u32) -> String {
    let mut out = String::new();
    if flags & ALL == ALL {
        out.push('A');
    } else {
        for &(l, f) in LETTERS {
            if flags & f != 0 {
                out.push(l as char);
            }
        }
        if flags & NEW != 0 {
            out.push('n');
        }
    }
    for (f, l) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & f != 0 {
            out.push(l);
        }
    }
    out
}

/// The config normalizer of `notify-keyspace-events`.
pub(crate) fn normalize(text: &str, _old: &str) -> Result<(String, i64), String> {
    let flags = parse(text)
        .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string())?;
    Ok((format(flags), i64::from(flags)))
}

impl Inner {
    /// The enabled notification classes.
    pub(crate) fn notify_flags(&self) -> u32 {
        self.config.get_at(self.notify_index) as u32
    }

    /// Publishes `event` about `key` of `db` if `class` is enabled.
    pub fn notify(&self, class: u32, event: &str, db: usize, key: &[u8]) {
        let flags = self.notify_flags();
        if flags & class == 0 {
            return;
        }
        if flags & KEYSPACE != 0 {
            let channel = channel("__keyspace@", db, key);
            self.pubsub.publish(&channel, event.as_bytes());
        }
        if flags & KEYEVENT != 0 {
            let channel = channel("__keyevent@", db, event.as_bytes());
            self.pubsub.publish(&channel, key);
        }
    }
}

fn channel(prefix: &str, db: usize, tail: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(prefix.len() + 24 + tail.len());
    b.put_slice(prefix.as_bytes());
    b.put_slice(itoa::Buffer::new().format(db).as_bytes());
    b.put_slice(b"__:");
    b.put_slice(tail);
    b.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_normalize_as_redis_shows_them() {
        assert_eq!(
            normalize("KEA", "").ok(),
            Some(("AKE".into(), i64::from(ALL | KEYSPACE | KEYEVENT)))
        );
        assert_eq!(normalize("Eg$", "").map(|x| x.0).ok(), Some("g$E".into()));
        assert_eq!(normalize("", "").map(|x| x.0).ok(), Some(String::new()));
        assert!(normalize("KEq", "").is_err());
        // As Redis 7.0.15 answers CONFIG GET.
        assert_eq!(
            normalize("g$lshzxetdKEmn", "").map(|x| x.0).ok(),
            Some("AKEm".into())
        );
        assert_eq!(normalize("Kn", "").map(|x| x.0).ok(), Some("nK".into()));
        let (_, all_new) = normalize("g$lshzxetdKEmn", "").unwrap_or_default();
        assert_ne!(all_new as u32 & NEW, 0);
    }
}
