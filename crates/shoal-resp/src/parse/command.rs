//! `parse_command`: client requests, multibulk or inline, as a Redis server reads them.

use super::{parse_strict_i64, Limits, ProtocolError, MAX_PREALLOC};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::ops::Range;

/// Parses the next client request from the front of `buf`, the way a Redis server does.
///
/// A request starting with `*` is a multibulk array of bulk strings; anything else is an
/// inline command: one line (ending in `\n` or `\r\n`) split into whitespace-separated
/// arguments, with `"double quotes"` (escapes `\n \r \t \b \a \\ \" \xHH`, any other
/// escaped byte stands for itself) and `'single quotes'` (only `\'`). A closing quote must
/// be followed by whitespace or the end of the line. As in Redis, an inline line ends at
/// its first NUL byte.
///
/// Returns `Ok(None)` when no complete request is buffered; `buf` then holds what it held
/// before, except that empty inline lines and `*0` or negative multibulk counts are
/// consumed and skipped, as Redis skips them. The arguments of a complete request are
/// zero-copy slices of its frozen bytes (an inline argument with escapes is copied).
///
/// Counts and lengths are checked against `limits` as soon as their header line is
/// buffered, before the payload arrives, so an oversized request is refused before
/// anything is allocated for it. As in Redis, the two bytes after a bulk payload are
/// skipped without being checked, and the byte after the CR of a header line is taken
/// to be its LF.
///
/// After an error the stream cannot be resynchronised; a server replies `-ERR {error}`
/// and closes the connection.
pub fn parse_command(
    buf: &mut BytesMut,
    limits: &Limits,
) -> Result<Option<Vec<Bytes>>, ProtocolError> {
    loop {
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        if first == b'*' {
            let mut spans = Spans::new();
            match multibulk(&buf[..], limits, &mut spans)? {
                None => return Ok(None),
                Some(Request::Skip(len)) => buf.advance(len),
                Some(Request::Args(len)) => {
                    let frozen = buf.split_to(len).freeze();
                    let mut args = Vec::with_capacity(spans.len);
                    args.extend(spans.iter().map(|(start, end)| frozen.slice(start..end)));
                    return Ok(Some(args));
                }
            }
        } else {
            let Some(newline) = memchr::memchr(b'\n', buf) else {
                if buf.len() > limits.max_inline {
                    return Err(ProtocolError::TooBigInlineRequest);
                }
                return Ok(None);
            };
            let mut line = &buf[..newline];
            if let Some(stripped) = line.strip_suffix(b"\r") {
                line = stripped;
            }
            // Redis splits the line as a C string: it stops at the first NUL.
            if let Some(nul) = memchr::memchr(0, line) {
                line = &line[..nul];
            }
            let tokens = split_args(line)?;
            let frozen = buf.split_to(newline + 1).freeze();
            if !tokens.is_empty() {
                let args = tokens
                    .into_iter()
                    .map(|t| match t {
                        Token::Slice(r) => frozen.slice(r),
                        Token::Owned(v) => Bytes::from(v),
                    })
                    .collect();
                return Ok(Some(args));
            }
        }
    }
}

/// Appends `args` to `out` as a multibulk request: `*N`, then each argument as a bulk
/// string. [`parse_command`] reads it back as the same arguments.
pub fn encode_command(args: &[impl AsRef<[u8]>], out: &mut BytesMut) {
    let payload: usize = args.iter().map(|a| a.as_ref().len() + 16).sum();
    out.reserve(payload + 16);
    header(out, b'*', args.len());
    for arg in args {
        let arg = arg.as_ref();
        header(out, b'$', arg.len());
        out.put_slice(arg);
        out.put_slice(b"\r\n");
    }
}

fn header(out: &mut BytesMut, prefix: u8, n: usize) {
    let mut digits = itoa::Buffer::new();
    out.put_u8(prefix);
    out.put_slice(digits.format(n).as_bytes());
    out.put_slice(b"\r\n");
}

/// Arguments a request keeps beside it without allocating; more spill to the heap.
const INLINE_SPANS: usize = 16;

/// Where each argument of a request lies in its bytes (start and end offsets), gathered
/// in one walk so the arguments can be sliced out once the request is known complete.
struct Spans {
    inline: [(usize, usize); INLINE_SPANS],
    len: usize,
    spill: Vec<(usize, usize)>,
}

impl Spans {
    fn new() -> Spans {
        Spans {
            inline: [(0, 0); INLINE_SPANS],
            len: 0,
            spill: Vec::new(),
        }
    }

    /// Forgets what was gathered; `count` arguments are expected next.
    fn expect(&mut self, count: usize) {
        self.len = 0;
        self.spill.clear();
        if count > INLINE_SPANS {
            self.spill.reserve((count - INLINE_SPANS).min(MAX_PREALLOC));
        }
    }

    fn push(&mut self, start: usize, end: usize) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = (start, end),
            None => self.spill.push((start, end)),
        }
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let inline = &self.inline[..self.len.min(INLINE_SPANS)];
        inline.iter().chain(self.spill.iter()).copied()
    }
}

enum Request {
    /// A request without arguments (`*0`, `*-1`) this many bytes long.
    Skip(usize),
    /// A request with arguments (their spans gathered) this many bytes long.
    Args(usize),
}

/// Walks the multibulk request at the start of `src`.
fn multibulk(
    src: &[u8],
    limits: &Limits,
    spans: &mut Spans,
) -> Result<Option<Request>, ProtocolError> {
    let Some((cr, mut pos)) = header_line(src, 0, limits, ProtocolError::TooBigMultibulkCount)?
    else {
        return Ok(None);
    };
    let count = parse_strict_i64(&src[1..cr]).ok_or(ProtocolError::InvalidMultibulkLength)?;
    if count <= 0 {
        return Ok(Some(Request::Skip(pos)));
    }
    let count = usize::try_from(count).map_err(|_| ProtocolError::InvalidMultibulkLength)?;
    if count > limits.max_multibulk {
        return Err(ProtocolError::InvalidMultibulkLength);
    }
    spans.expect(count);
    for _ in 0..count {
        let (len, start) = match plain_bulk_header(src, pos) {
            Some(found) => found,
            None => {
                let Some((cr, start)) =
                    header_line(src, pos, limits, ProtocolError::TooBigBulkCount)?
                else {
                    return Ok(None);
                };
                if src[pos] != b'$' {
                    return Err(ProtocolError::ExpectedDollar(src[pos]));
                }
                let len = parse_strict_i64(&src[pos + 1..cr])
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or(ProtocolError::InvalidBulkLength)?;
                (len, start)
            }
        };
        if len > limits.max_bulk_len {
            return Err(ProtocolError::InvalidBulkLength);
        }
        let end = start
            .checked_add(len)
            .ok_or(ProtocolError::InvalidBulkLength)?;
        let after = end.checked_add(2).ok_or(ProtocolError::InvalidBulkLength)?;
        if src.len() < after {
            return Ok(None);
        }
        spans.push(start, end);
        pos = after;
    }
    Ok(Some(Request::Args(pos)))
}

/// Reads the usual bulk header at `pos` in one pass: `$`, 1 to 18 digits without a
/// leading zero (or `0` alone), CR and one more byte, all buffered. Returns the length and
/// where the payload starts; None for anything else, which the general path then reads
/// (with the same outcome for these headers).
fn plain_bulk_header(src: &[u8], pos: usize) -> Option<(usize, usize)> {
    let rest = src.get(pos..)?;
    if rest.first() != Some(&b'$') {
        return None;
    }
    let mut len: usize = 0;
    let mut i = 1;
    while let Some(&c) = rest.get(i) {
        if !c.is_ascii_digit() || i > 18 {
            break;
        }
        len = len * 10 + usize::from(c - b'0');
        i += 1;
    }
    let digits = i - 1;
    let leading_zero = rest.get(1) == Some(&b'0') && digits > 1;
    if digits == 0 || leading_zero || rest.get(i) != Some(&b'\r') || rest.len() < i + 2 {
        return None;
    }
    Some((len, pos + i + 2))
}

/// How far a header line's CR is looked for byte by byte before memchr takes over.
const SHORT_LINE: usize = 24;

/// Finds the header line starting at `pos`: the offset of its CR and of the byte after
/// its line ending. `None` while the line is incomplete; `too_big` once more than
/// `limits.max_inline` bytes are buffered without a CR.
fn header_line(
    src: &[u8],
    pos: usize,
    limits: &Limits,
    too_big: ProtocolError,
) -> Result<Option<(usize, usize)>, ProtocolError> {
    let rest = src.get(pos..).unwrap_or_default();
    // Header lines are short: a plain scan finds their CR sooner than memchr's setup.
    let near = &rest[..rest.len().min(SHORT_LINE)];
    let found = match near.iter().position(|&c| c == b'\r') {
        Some(i) => Some(i),
        None if rest.len() > SHORT_LINE => {
            memchr::memchr(b'\r', &rest[SHORT_LINE..]).map(|i| i + SHORT_LINE)
        }
        None => None,
    };
    let Some(i) = found else {
        if rest.len() > limits.max_inline {
            return Err(too_big);
        }
        return Ok(None);
    };
    let cr = pos + i;
    if cr + 2 > src.len() {
        return Ok(None);
    }
    Ok(Some((cr, cr + 2)))
}

/// One inline argument: a run of the line itself, or bytes rebuilt from escapes.
#[derive(Debug, PartialEq)]
enum Token {
    Slice(Range<usize>),
    Owned(Vec<u8>),
}

/// Collects one argument, staying a slice of the line for as long as its bytes are a
/// contiguous run of it.
#[derive(Default)]
struct TokenBuilder {
    span: Option<Range<usize>>,
    owned: Option<Vec<u8>>,
}

impl TokenBuilder {
    /// Takes `line[i]` as it is.
    fn take(&mut self, line: &[u8], i: usize) {
        if let Some(v) = &mut self.owned {
            v.push(line[i]);
            return;
        }
        match &mut self.span {
            None => self.span = Some(i..i + 1),
            Some(span) if span.end == i => span.end += 1,
            Some(_) => self.own(line).push(line[i]),
        }
    }

    /// Adds a byte that is not in the line as such (an escape's value).
    fn push(&mut self, line: &[u8], b: u8) {
        self.own(line).push(b);
    }

    fn own(&mut self, line: &[u8]) -> &mut Vec<u8> {
        let span = self.span.take();
        self.owned.get_or_insert_with(|| match span {
            Some(r) => line[r].to_vec(),
            None => Vec::new(),
        })
    }

    fn finish(self) -> Token {
        match (self.owned, self.span) {
            (Some(v), _) => Token::Owned(v),
            (None, Some(r)) => Token::Slice(r),
            (None, None) => Token::Slice(0..0),
        }
    }
}

/// C's `isspace` in the C locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Quote {
    None,
    Double,
    Single,
}

/// Splits an inline request line into arguments, with the quoting rules of
/// `redis-cli`/`sdssplitargs` described on [`parse_command`].
fn split_args(line: &[u8]) -> Result<Vec<Token>, ProtocolError> {
    let at = |j: usize| line.get(j).copied();
    let mut tokens = Vec::new();
    let mut i = 0;
    loop {
        while at(i).is_some_and(is_space) {
            i += 1;
        }
        if i >= line.len() {
            return Ok(tokens);
        }
        let mut token = TokenBuilder::default();
        let mut quote = Quote::None;
        loop {
            let Some(c) = at(i) else {
                if quote != Quote::None {
                    return Err(ProtocolError::UnbalancedQuotes);
                }
                break;
            };
            match quote {
                Quote::None => match c {
                    b' ' | b'\n' | b'\r' | b'\t' => break,
                    b'"' => quote = Quote::Double,
                    b'\'' => quote = Quote::Single,
                    _ => token.take(line, i),
                },
                Quote::Double if c == b'\\' && at(i + 1).is_some() => {
                    let hex = at(i + 2)
                        .and_then(hex_value)
                        .zip(at(i + 3).and_then(hex_value));
                    match (at(i + 1), hex) {
                        (Some(b'x'), Some((hi, lo))) => {
                            token.push(line, hi << 4 | lo);
                            i += 2;
                        }
                        (Some(b'n'), _) => token.push(line, b'\n'),
                        (Some(b'r'), _) => token.push(line, b'\r'),
                        (Some(b't'), _) => token.push(line, b'\t'),
                        (Some(b'b'), _) => token.push(line, b'\x08'),
                        (Some(b'a'), _) => token.push(line, b'\x07'),
                        _ => token.take(line, i + 1),
                    }
                    i += 1;
                }
                Quote::Single if c == b'\\' && at(i + 1) == Some(b'\'') => {
                    token.take(line, i + 1);
                    i += 1;
                }
                Quote::Double | Quote::Single
                    if (quote == Quote::Double && c == b'"')
                        || (quote == Quote::Single && c == b'\'') =>
                {
                    if at(i + 1).is_some_and(|n| !is_space(n)) {
                        return Err(ProtocolError::UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                }
                _ => token.take(line, i),
            }
            i += 1;
        }
        tokens.push(token.finish());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn args(v: &[&[u8]]) -> Vec<Bytes> {
        v.iter().map(|a| Bytes::copy_from_slice(a)).collect()
    }

    fn one(input: &[u8]) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        parse_command(&mut BytesMut::from(input), &limits())
    }

    fn split(line: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
        Ok(split_args(line)?
            .into_iter()
            .map(|t| match t {
                Token::Slice(r) => line[r].to_vec(),
                Token::Owned(v) => v,
            })
            .collect())
    }

    fn split_ok(line: &str) -> Vec<String> {
        match split(line.as_bytes()) {
            Ok(v) => v
                .into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect(),
            Err(e) => panic!("{line:?}: {e}"),
        }
    }

    #[test]
    fn multibulk_request() {
        assert_eq!(
            one(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nx!\r\n"),
            Ok(Some(args(&[b"SET", b"k", b"v\r\nx!"])))
        );
        assert_eq!(one(b"*1\r\n$0\r\n\r\n"), Ok(Some(args(&[b""]))));
    }

    #[test]
    fn arguments_are_slices_of_the_input() {
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nGET \"k2\" k3\n"[..]);
        let base = buf.as_ptr() as usize;
        let offsets = |v: Vec<Bytes>| -> Vec<usize> {
            v.iter().map(|a| a.as_ptr() as usize - base).collect()
        };
        let Ok(Some(first)) = parse_command(&mut buf, &limits()) else {
            panic!("no request");
        };
        assert_eq!(offsets(first), vec![8, 17]);
        let Ok(Some(second)) = parse_command(&mut buf, &limits()) else {
            panic!("no request");
        };
        assert_eq!(offsets(second), vec![20, 25, 29]);
    }

    #[test]
    fn pipelined_requests_come_out_in_order() {
        let mut buf = BytesMut::new();
        encode_command(&["PING"], &mut buf);
        buf.extend_from_slice(b"\r\n\nECHO hi\r\n*0\r\n*-1\r\n");
        encode_command(&["SET", "a", "1"], &mut buf);
        buf.extend_from_slice(b"GET a\n*2\r\n$3\r\nGET");
        let l = limits();
        assert_eq!(parse_command(&mut buf, &l), Ok(Some(args(&[b"PING"]))));
        // Two empty inline lines are skipped on the way.
        assert_eq!(
            parse_command(&mut buf, &l),
            Ok(Some(args(&[b"ECHO", b"hi"])))
        );
        // `*0` and `*-1` are skipped on the way.
        assert_eq!(
            parse_command(&mut buf, &l),
            Ok(Some(args(&[b"SET", b"a", b"1"])))
        );
        assert_eq!(parse_command(&mut buf, &l), Ok(Some(args(&[b"GET", b"a"]))));
        assert_eq!(parse_command(&mut buf, &l), Ok(None));
        assert_eq!(&buf[..], b"*2\r\n$3\r\nGET");
        buf.extend_from_slice(b"\r\n$1\r\nb\r\n");
        assert_eq!(parse_command(&mut buf, &l), Ok(Some(args(&[b"GET", b"b"]))));
        assert!(buf.is_empty());
    }

    #[test]
    fn skipped_requests_are_consumed_even_when_nothing_follows() {
        let mut buf = BytesMut::from(&b"\r\n*0\r\n*-5\r\n  \n*1\r\n"[..]);
        assert_eq!(parse_command(&mut buf, &limits()), Ok(None));
        assert_eq!(&buf[..], b"*1\r\n");
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let mut full = BytesMut::new();
        encode_command(&["SET", "key", "a\r\nb", ""], &mut full);
        for n in 0..full.len() {
            let mut buf = BytesMut::from(&full[..n]);
            assert_eq!(parse_command(&mut buf, &limits()), Ok(None), "{n}");
            assert_eq!(&buf[..], &full[..n]);
        }
        let inline = b"SET \"a b\" c\r\n";
        // Only the final `\n` completes an inline line.
        for n in 0..inline.len() {
            let mut buf = BytesMut::from(&inline[..n]);
            assert_eq!(parse_command(&mut buf, &limits()), Ok(None), "{n}");
            assert_eq!(&buf[..], &inline[..n]);
        }
    }

    #[test]
    fn header_integers() {
        assert_eq!(one(b"*1\r\n$1\r\nx\r\n"), Ok(Some(args(&[b"x"]))));
        for bad in [
            &b"*+1\r\n"[..],
            b"*01\r\n",
            b"* 1\r\n",
            b"*1 \r\n",
            b"*x\r\n",
            b"*\r\n",
            b"*-0\r\n",
            b"*9223372036854775808\r\n",
            b"*2147483648\r\n",
        ] {
            assert_eq!(
                one(bad),
                Err(ProtocolError::InvalidMultibulkLength),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // i32::MAX itself is allowed: the request then waits for its arguments.
        assert_eq!(one(b"*2147483647\r\n"), Ok(None));
        for bad in [
            &b"*1\r\n$+1\r\nx\r\n"[..],
            b"*1\r\n$01\r\nx\r\n",
            b"*1\r\n$-1\r\n",
            b"*1\r\n$\r\n",
            b"*1\r\n$1x\r\n",
            b"*1\r\n$99999999999999999999\r\n",
            b"*1\r\n$536870913\r\n",
        ] {
            assert_eq!(
                one(bad),
                Err(ProtocolError::InvalidBulkLength),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(one(b"*1\r\n$536870912\r\n"), Ok(None));
    }

    #[test]
    fn limits_are_checked_before_the_payload() {
        let tight = Limits {
            max_bulk_len: 10,
            max_multibulk: 3,
            max_inline: 16,
        };
        let parse = |input: &[u8]| parse_command(&mut BytesMut::from(input), &tight);
        assert_eq!(parse(b"*3\r\n"), Ok(None));
        assert_eq!(parse(b"*4\r\n"), Err(ProtocolError::InvalidMultibulkLength));
        assert_eq!(parse(b"*1\r\n$10\r\n"), Ok(None));
        assert_eq!(
            parse(b"*1\r\n$11\r\n"),
            Err(ProtocolError::InvalidBulkLength)
        );
        // A client announcing 10 GB is refused at once with the default limits.
        assert_eq!(
            one(b"*1\r\n$10000000000\r\n"),
            Err(ProtocolError::InvalidBulkLength)
        );
        // Header lines: more than max_inline bytes without a CR.
        let mut long = b"*".to_vec();
        long.extend_from_slice(&[b'1'; 16]);
        assert_eq!(parse(&long), Err(ProtocolError::TooBigMultibulkCount));
        assert_eq!(parse(&long[..16]), Ok(None));
        let mut long = b"*1\r\n$".to_vec();
        long.extend_from_slice(&[b'1'; 16]);
        assert_eq!(parse(&long), Err(ProtocolError::TooBigBulkCount));
        assert_eq!(parse(&long[..20]), Ok(None));
        // Inline: more than max_inline bytes without a newline.
        assert_eq!(parse(&[b'a'; 17]), Err(ProtocolError::TooBigInlineRequest));
        assert_eq!(parse(&[b'a'; 16]), Ok(None));
    }

    #[test]
    fn default_limits_are_redis_limits() {
        let l = Limits::default();
        assert_eq!(l.max_bulk_len, 512 * 1024 * 1024);
        assert_eq!(l.max_multibulk, 2_147_483_647);
        assert_eq!(l.max_inline, 65536);
        let mut inline = vec![b'a'; 65536];
        assert_eq!(one(&inline), Ok(None));
        inline.push(b'a');
        assert_eq!(one(&inline), Err(ProtocolError::TooBigInlineRequest));
        let mut count = vec![b'*'; 65537];
        assert_eq!(one(&count), Err(ProtocolError::TooBigMultibulkCount));
        count.pop();
        assert_eq!(one(&count), Ok(None));
        let mut bulk = b"*1\r\n".to_vec();
        bulk.resize(4 + 65537, b'$');
        assert_eq!(one(&bulk), Err(ProtocolError::TooBigBulkCount));
    }

    #[test]
    fn expected_dollar() {
        assert_eq!(
            one(b"*1\r\n:1\r\n"),
            Err(ProtocolError::ExpectedDollar(b':'))
        );
        assert_eq!(
            one(b"*2\r\n$1\r\na\r\nfoo\r\n"),
            Err(ProtocolError::ExpectedDollar(b'f'))
        );
        assert_eq!(
            one(b"*1\r\n\r\n"),
            Err(ProtocolError::ExpectedDollar(b'\r'))
        );
        assert_eq!(
            ProtocolError::ExpectedDollar(b':').to_string(),
            "Protocol error: expected '$', got ':'"
        );
        // Like Redis, the item is only looked at once its line is complete.
        assert_eq!(one(b"*1\r\nfoo"), Ok(None));
    }

    #[test]
    fn inline_requests() {
        assert_eq!(one(b"PING\r\n"), Ok(Some(args(&[b"PING"]))));
        assert_eq!(one(b"PING\n"), Ok(Some(args(&[b"PING"]))));
        assert_eq!(
            one(b"  set  a\t b \r\n"),
            Ok(Some(args(&[b"set", b"a", b"b"])))
        );
        assert_eq!(
            one(b"set \"a b\" 'c\\'d'\r\n"),
            Ok(Some(args(&[b"set", b"a b", b"c'd"])))
        );
        assert_eq!(one(b"set k \"a\nb"), Err(ProtocolError::UnbalancedQuotes));
        // Only `\n` ends a line, so a quoted `\r` in the middle stays in the argument.
        assert_eq!(
            one(b"echo \"a\rb\"\r\n"),
            Ok(Some(args(&[b"echo", b"a\rb"])))
        );
        // The line stops at a NUL byte, as the C string Redis splits.
        assert_eq!(one(b"get a\0b c\n"), Ok(Some(args(&[b"get", b"a"]))));
        assert_eq!(one(b"get \"a\0b\"\n"), Err(ProtocolError::UnbalancedQuotes));
    }

    #[test]
    fn inline_quoting() {
        assert_eq!(split_ok(r#""\x41""#), ["A"]);
        assert_eq!(split_ok(r#""\x4a\x4B""#), ["JK"]);
        assert_eq!(split_ok(r#""\x4""#), ["x4"]);
        assert_eq!(split_ok(r#""\xZZ""#), ["xZZ"]);
        assert_eq!(
            split_ok(r#""a\nb\rc\td\be\af\\g\"h\qi""#),
            ["a\nb\rc\td\x08e\x07f\\g\"hqi"]
        );
        assert_eq!(split_ok(r#"'a\nb'"#), ["a\\nb"]);
        assert_eq!(split_ok(r#"'it\'s'"#), ["it's"]);
        assert_eq!(split_ok(r#"'a\\ b'"#), ["a\\\\ b"]);
        assert_eq!(split_ok(r#""" ''"#), ["", ""]);
        assert_eq!(split_ok(r#"a"b c" e"#), ["ab c", "e"]);
        assert_eq!(split_ok(r#"a'b c' d"#), ["ab c", "d"]);
        assert_eq!(split_ok("\"a\"\t\"b\"\x0b'c'"), ["a", "b", "c"]);
        // Vertical tab and form feed separate arguments only where they are skipped.
        assert_eq!(split_ok("a\x0bb \x0cc"), ["a\x0bb", "c"]);
        assert_eq!(split_ok(""), Vec::<String>::new());
        assert_eq!(split_ok(" \t "), Vec::<String>::new());
        for bad in [
            &b"\"abc"[..],
            b"'abc",
            b"\"a\"b",
            b"'a'b",
            b"\"a\"\"b\"",
            b"\"abc\\\"",
            b"'abc\\'",
            b"'a\\\\'",
            b"a\"b c\"d e",
            b"\"\\",
            b"a \"b",
        ] {
            assert_eq!(
                split(bad),
                Err(ProtocolError::UnbalancedQuotes),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn inline_tokens_stay_slices_unless_rebuilt() {
        let line = br#"plain "quoted" 'it\'s' "a\nb" "x\"y""#;
        let tokens = split_args(line).unwrap_or_default();
        assert_eq!(
            tokens,
            vec![
                Token::Slice(0..5),
                Token::Slice(7..13),
                Token::Owned(b"it's".to_vec()),
                Token::Owned(b"a\nb".to_vec()),
                Token::Owned(b"x\"y".to_vec()),
            ]
        );
    }

    #[test]
    fn encode_command_writes_multibulk() {
        let mut out = BytesMut::new();
        encode_command(&[&b"SET"[..], b"k", b""], &mut out);
        assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        let mut out = BytesMut::new();
        let none: [&str; 0] = [];
        encode_command(&none, &mut out);
        assert_eq!(&out[..], b"*0\r\n");
    }

    #[test]
    fn bulk_terminator_is_skipped_unchecked_like_redis() {
        assert_eq!(
            one(b"*1\r\n$1\r\naXY*1\r\n$1\r\nb\r\n"),
            Ok(Some(args(&[b"a"])))
        );
        assert_eq!(one(b"*1\rX$1\rXa\r\n"), Ok(Some(args(&[b"a"]))));
    }
}
