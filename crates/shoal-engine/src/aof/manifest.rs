//! The manifest of a multi-part AOF, in the text form Redis 7 writes:
//!
//! ```text
//!   file appendonly.aof.1.base.rdb seq 1 type b
//!   file appendonly.aof.1.incr.aof seq 1 type i
//! ```
//!
//! One base (type `b`), history files waiting to be deleted (`h`), then the incremental
//! files (`i`) in the order they are replayed. Lines starting with `#` are comments; keys
//! Shoal does not know are ignored, so a newer Redis's manifest still loads.

use std::fmt::Write as _;

/// What a file listed in the manifest is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The base image (RDB, or AOF commands).
    Base,
    /// A file replaced by a rewrite, to be deleted.
    History,
    /// Commands written since the base.
    Incr,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Base => 'b',
            Kind::History => 'h',
            Kind::Incr => 'i',
        }
    }
}

/// One file of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// File name inside the AOF directory.
    pub name: String,
    /// Sequence number.
    pub seq: u64,
    /// Role of the file.
    pub kind: Kind,
}

/// The files of an AOF, in manifest order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, if any.
    pub base: Option<Entry>,
    /// Files replaced by a rewrite.
    pub history: Vec<Entry>,
    /// Incremental files in replay order.
    pub incr: Vec<Entry>,
}

/// Longest manifest line Redis accepts.
const MAX_LINE: usize = 1024;

impl Manifest {
    /// Parses manifest text; the error is the message Redis logs for it.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for line in text.split('\n') {
            let line = line.trim_end_matches('\r');
            if line.len() > MAX_LINE {
                return Err("The AOF manifest file contains too long line".into());
            }
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let words = split_words(line).ok_or("Invalid AOF manifest file format")?;
            if words.len() < 6 || words.len() % 2 != 0 {
                return Err("Invalid AOF manifest file format".into());
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in words.chunks(2) {
                match pair[0].as_str() {
                    "file" => name = Some(pair[1].clone()),
                    "seq" => seq = pair[1].parse::<u64>().ok(),
                    "type" => {
                        kind = match pair[1].as_str() {
                            "b" => Some(Kind::Base),
                            "h" => Some(Kind::History),
                            "i" => Some(Kind::Incr),
                            _ => None,
                        }
                    }
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err("Invalid AOF manifest file format".into());
            };
            m.push(Entry { name, seq, kind })?;
        }
        Ok(m)
    }

    fn push(&mut self, e: Entry) -> Result<(), String> {
        match e.kind {
            Kind::Base if self.base.is_some() => {
                Err("Found duplicate base file information".into())
            }
            Kind::Base => {
                self.base = Some(e);
                Ok(())
            }
            Kind::History => {
                self.history.push(e);
                Ok(())
            }
            Kind::Incr => {
                if self.incr.last().is_some_and(|last| last.seq >= e.seq) {
                    return Err("Found a non-monotonic sequence number".into());
                }
                self.incr.push(e);
                Ok(())
            }
        }
    }

    /// The manifest as Redis writes it: base, history, then incremental files.
    pub fn format(&self) -> String {
        let mut out = String::new();
        let all = self.base.iter().chain(&self.history).chain(&self.incr);
        for e in all {
            let _ = writeln!(
                out,
                "file {} seq {} type {}",
                quote(&e.name),
                e.seq,
                e.kind.letter()
            );
        }
        out
    }

    /// The files to load, in order: the base, then the incremental files.
    pub fn load_order(&self) -> impl Iterator<Item = &Entry> {
        self.base.iter().chain(&self.incr)
    }

    /// Sequence number for the next base file.
    pub fn next_base_seq(&self) -> u64 {
        self.base.as_ref().map_or(1, |b| b.seq + 1)
    }

    /// Sequence number for the next incremental file.
    pub fn next_incr_seq(&self) -> u64 {
        self.incr.last().map_or(1, |e| e.seq + 1)
    }
}

/// Name of base file `seq` (`appendonly.aof.3.base.rdb`, or `.base.aof` for a command base).
pub fn base_name(prefix: &str, seq: u64, rdb: bool) -> String {
    let ext = if rdb { "rdb" } else { "aof" };
    format!("{prefix}.{seq}.base.{ext}")
}

/// Name of incremental file `seq` (`appendonly.aof.3.incr.aof`).
pub fn incr_name(prefix: &str, seq: u64) -> String {
    format!("{prefix}.{seq}.incr.aof")
}

/// Name of the manifest (`appendonly.aof.manifest`).
pub fn manifest_name(prefix: &str) -> String {
    format!("{prefix}.manifest")
}

/// A file name as Redis writes it: bare, or double-quoted with escapes when it holds
/// spaces, quotes or unprintable bytes.
fn quote(name: &str) -> String {
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if plain && !name.is_empty() {
        return name.to_string();
    }
    let mut out = String::from("\"");
    for b in name.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b if b.is_ascii_graphic() || b == b' ' => out.push(b as char),
            b => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// Splits a line into words as Redis's argument splitter does: spaces separate, double
/// quotes allow escapes (`\n`, `\xHH`, ...), single quotes keep text as it is. None when a
/// quote is left open or not followed by a space.
fn split_words(line: &str) -> Option<Vec<String>> {
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return Some(words);
        }
        let mut word = Vec::new();
        match b[i] {
            b'"' => i = double_quoted(b, i + 1, &mut word)?,
            b'\'' => {
                let end = b[i + 1..].iter().position(|&c| c == b'\'')? + i + 1;
                word.extend_from_slice(&b[i + 1..end]);
                i = end + 1;
            }
            _ => {
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    word.push(b[i]);
                    i += 1;
                }
            }
        }
        if i < b.len() && !b[i].is_ascii_whitespace() {
            return None;
        }
        words.push(String::from_utf8_lossy(&word).into_owned());
    }
}

/// Reads a double-quoted word from `i` (after the quote); returns where it ends.
fn double_quoted(b: &[u8], mut i: usize, word: &mut Vec<u8>) -> Option<usize> {
    loop {
        let c = *b.get(i)?;
        match c {
            b'"' => return Some(i + 1),
            b'\\' => {
                let n = *b.get(i + 1)?;
                let hex = |c: u8| (c as char).to_digit(16);
                if n == b'x' {
                    if let (Some(h), Some(l)) = (
                        b.get(i + 2).and_then(|&c| hex(c)),
                        b.get(i + 3).and_then(|&c| hex(c)),
                    ) {
                        word.push((h * 16 + l) as u8);
                        i += 4;
                        continue;
                    }
                }
                word.push(match n {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 8,
                    b'a' => 7,
                    other => other,
                });
                i += 2;
            }
            _ => {
                word.push(c);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_in_redis_layout() {
        let text = "file appendonly.aof.1.base.rdb seq 1 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type i\n\
                    file appendonly.aof.2.incr.aof seq 2 type i\n";
        let m = Manifest::parse(text).unwrap_or_default();
        assert_eq!(m.incr.len(), 2);
        assert_eq!(m.format(), text);
        assert_eq!((m.next_base_seq(), m.next_incr_seq()), (2, 3));
    }

    #[test]
    fn manifest_keys_in_any_order_and_unknown_keys_are_accepted() {
        let m = Manifest::parse("# comment\ntype b seq 4 file x.rdb startoffset 0\n");
        let base = m.ok().and_then(|m| m.base);
        assert_eq!(base.map(|b| (b.name, b.seq)), Some(("x.rdb".into(), 4)));
    }

    #[test]
    fn manifest_errors_are_redis_messages() {
        let bad = |t: &str| Manifest::parse(t).err().unwrap_or_default();
        assert_eq!(bad("file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(
            bad("file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            bad("file a seq 2 type i\nfile b seq 1 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(
            bad(&format!("file {} seq 1 type i\n", "a".repeat(1100))),
            "The AOF manifest file contains too long line"
        );
    }

    #[test]
    fn names_with_spaces_are_quoted_and_read_back() {
        let m = Manifest {
            base: Some(Entry {
                name: "my file.1.base.rdb".into(),
                seq: 1,
                kind: Kind::Base,
            }),
            ..Manifest::default()
        };
        let text = m.format();
        assert_eq!(text, "file \"my file.1.base.rdb\" seq 1 type b\n");
        assert_eq!(Manifest::parse(&text).ok(), Some(m));
    }

    #[test]
    fn file_names_follow_redis() {
        assert_eq!(
            base_name("appendonly.aof", 1, true),
            "appendonly.aof.1.base.rdb"
        );
        assert_eq!(
            base_name("appendonly.aof", 2, false),
            "appendonly.aof.2.base.aof"
        );
        assert_eq!(incr_name("appendonly.aof", 3), "appendonly.aof.3.incr.aof");
        assert_eq!(manifest_name("appendonly.aof"), "appendonly.aof.manifest");
    }
}
