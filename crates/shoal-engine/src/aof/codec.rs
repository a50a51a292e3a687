//! Commands in AOF form (RESP multibulk, as Redis writes them) and the reader that walks a
//! file command by command, telling a torn tail from corruption.

use bytes::Bytes;
use std::io::Write as _;

/// Appends `*<argc>\r\n` and `$<len>\r\n<arg>\r\n` for each argument.
pub fn encode(out: &mut Vec<u8>, args: &[Bytes]) {
    let _ = write!(out, "*{}\r\n", args.len());
    for a in args {
        let _ = write!(out, "${}\r\n", a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends the SELECT that switches to `db`.
pub fn encode_select(out: &mut Vec<u8>, db: usize) {
    let n = db.to_string();
    let _ = write!(out, "*2\r\n$6\r\nSELECT\r\n${}\r\n{n}\r\n", n.len());
}

/// Why reading stopped before the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The data ends inside a command (a torn tail).
    Truncated,
    /// The bytes at this point are not a command.
    Corrupt(&'static str),
    /// A well-formed command this server does not know (only replay reports it).
    Unknown(Bytes),
}

/// Reads commands one at a time from a whole file's bytes.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

/// Longest argument count or argument length accepted (Redis's limits for the file).
const MAX_LEN: u64 = 1 << 32;

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// Offset of the next command.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The next command: `Ok(None)` at the end of the data. On error the position stays at
    /// the start of the bad command.
    pub fn next_command(&mut self) -> Result<Option<Vec<Bytes>>, Stop> {
        // Annotation lines (`#TS:<unix time>` with aof-timestamp-enabled) are skipped.
        while self.data.get(self.pos) == Some(&b'#') {
            let rest = &self.data[self.pos..];
            let nl = rest
                .iter()
                .position(|&c| c == b'\n')
                .ok_or(Stop::Truncated)?;
            self.pos += nl + 1;
        }
        if self.pos >= self.data.len() {
            return Ok(None);
        }
        let mut at = self.pos;
        let argc = self.number(&mut at, b'*')?;
        if argc == 0 {
            return Err(Stop::Corrupt("invalid argument count"));
        }
        let mut args = Vec::with_capacity(argc.min(1024) as usize);
        for _ in 0..argc {
            let len = self.number(&mut at, b'$')? as usize;
            let end = at.checked_add(len).ok_or(Stop::Corrupt("bad length"))?;
            if end + 2 > self.data.len() {
                return Err(Stop::Truncated);
            }
            if &self.data[end..end + 2] != b"\r\n" {
                return Err(Stop::Corrupt("expected CRLF after argument"));
            }
            args.push(Bytes::copy_from_slice(&self.data[at..end]));
            at = end + 2;
        }
        self.pos = at;
        Ok(Some(args))
    }

    /// Reads `<tag><digits>\r\n` at `*at`.
    fn number(&self, at: &mut usize, tag: u8) -> Result<u64, Stop> {
        let rest = &self.data[*at..];
        let Some(&first) = rest.first() else {
            return Err(Stop::Truncated);
        };
        if first != tag {
            return Err(Stop::Corrupt(if tag == b'*' {
                "expected '*'"
            } else {
                "expected '$'"
            }));
        }
        let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
            return if rest.len() > 32 {
                Err(Stop::Corrupt("line too long"))
            } else {
                Err(Stop::Truncated)
            };
        };
        let line = &rest[1..nl];
        let digits = line
            .strip_suffix(b"\r")
            .ok_or(Stop::Corrupt("expected CRLF"))?;
        let n = std::str::from_utf8(digits)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|&n| n <= MAX_LEN)
            .ok_or(Stop::Corrupt("invalid number"))?;
        *at += nl + 1;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::from(w.to_string())).collect()
    }

    #[test]
    fn commands_are_encoded_as_redis_writes_them() {
        let mut out = Vec::new();
        encode_select(&mut out, 12);
        encode(&mut out, &args(&["SET", "k", "hello"]));
        assert_eq!(
            out,
            b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"
        );
    }

    #[test]
    fn reader_returns_commands_then_the_end() {
        let mut out = Vec::new();
        encode(&mut out, &args(&["SET", "a", "1"]));
        encode(&mut out, &args(&["DEL", "a"]));
        let mut r = Reader::new(&out);
        assert_eq!(r.next_command(), Ok(Some(args(&["SET", "a", "1"]))));
        assert_eq!(r.next_command(), Ok(Some(args(&["DEL", "a"]))));
        assert_eq!(r.next_command(), Ok(None));
        assert_eq!(r.pos(), out.len());
    }

    #[test]
    fn every_cut_inside_a_command_is_a_torn_tail() {
        let mut out = Vec::new();
        encode(&mut out, &args(&["SET", "a", "1"]));
        let whole = out.len();
        encode(&mut out, &args(&["RPUSH", "list", "value"]));
        for cut in whole + 1..out.len() {
            let mut r = Reader::new(&out[..cut]);
            assert!(matches!(r.next_command(), Ok(Some(_))));
            assert_eq!(r.next_command(), Err(Stop::Truncated), "cut at {cut}");
            assert_eq!(r.pos(), whole);
        }
    }

    #[test]
    fn annotation_lines_are_skipped() {
        let mut out = b"#TS:1700000000\r\n".to_vec();
        encode(&mut out, &args(&["SET", "a", "1"]));
        out.extend_from_slice(b"#TS:1700000001\r\n");
        let mut r = Reader::new(&out);
        assert_eq!(r.next_command(), Ok(Some(args(&["SET", "a", "1"]))));
        assert_eq!(r.next_command(), Ok(None));
        assert_eq!(Reader::new(b"#TS:17").next_command(), Err(Stop::Truncated));
    }

    #[test]
    fn garbage_is_corruption_at_its_offset() {
        let mut out = Vec::new();
        encode(&mut out, &args(&["SET", "a", "1"]));
        let at = out.len();
        out.extend_from_slice(b"hello world\r\n");
        let mut r = Reader::new(&out);
        assert!(matches!(r.next_command(), Ok(Some(_))));
        assert!(matches!(r.next_command(), Err(Stop::Corrupt(_))));
        assert_eq!(r.pos(), at);
    }
}
