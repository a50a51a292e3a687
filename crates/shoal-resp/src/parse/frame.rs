//! `parse_frame`: any RESP2 or RESP3 frame.

use super::{parse_lenient_i64, parse_strict_i64, ProtocolError, MAX_FRAME_DEPTH, MAX_PREALLOC};
use crate::Frame;
use bytes::{Bytes, BytesMut};

/// Parses one complete RESP2 or RESP3 frame of any type from the front of `buf`.
///
/// Returns `Ok(None)` and leaves `buf` untouched while the frame is incomplete. Once it is
/// complete its bytes are split off `buf` and frozen once; every string in the returned
/// frame is a zero-copy slice of them.
///
/// `$-1` and `_` give [`Frame::Null`], `*-1` gives [`Frame::NullArray`], and `|N`
/// attributes give [`Frame::Attribute`] wrapping the frame that follows them.
/// Aggregates may nest [`MAX_FRAME_DEPTH`] levels deep.
///
/// The whole frame is walked again on every call until it is complete, so a caller that
/// reads a very large aggregate in small pieces pays for that walk each time.
pub fn parse_frame(buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
    let Some(((), len)) = walk(&buf[..], 0, 0, &Measure)? else {
        return Ok(None);
    };
    let frozen = buf.split_to(len).freeze();
    match walk(&frozen, 0, 0, &Build(&frozen))? {
        Some((frame, _)) => Ok(Some(frame)),
        // The first pass found these very bytes complete; the second pass walks them the
        // same way, so it cannot come up short.
        None => Err(ProtocolError::InvalidLength),
    }
}

/// What a walk produces: nothing at all while measuring, frames while building.
trait Sink {
    type Out;
    /// A frame that holds no other frame; `make` gets the frozen input to slice.
    fn leaf(&self, make: impl FnOnce(&Bytes) -> Frame) -> Self::Out;
    /// An array (`*`), set (`~`) or push (`>`).
    fn items(&self, kind: u8, items: Vec<Self::Out>) -> Self::Out;
    /// A map.
    fn map(&self, pairs: Vec<(Self::Out, Self::Out)>) -> Self::Out;
    /// Attributes and the frame they describe.
    fn attribute(&self, attrs: Vec<(Self::Out, Self::Out)>, value: Self::Out) -> Self::Out;
}

/// First pass: checks and measures. `Vec<()>` never allocates, so nothing here does.
struct Measure;

impl Sink for Measure {
    type Out = ();
    fn leaf(&self, _make: impl FnOnce(&Bytes) -> Frame) {}
    fn items(&self, _kind: u8, _items: Vec<()>) {}
    fn map(&self, _pairs: Vec<((), ())>) {}
    fn attribute(&self, _attrs: Vec<((), ())>, _value: ()) {}
}

/// Second pass: builds frames out of slices of the frozen input.
struct Build<'a>(&'a Bytes);

impl Sink for Build<'_> {
    type Out = Frame;
    fn leaf(&self, make: impl FnOnce(&Bytes) -> Frame) -> Frame {
        make(self.0)
    }
    fn items(&self, kind: u8, items: Vec<Frame>) -> Frame {
        match kind {
            b'~' => Frame::Set(items),
            b'>' => Frame::Push(items),
            _ => Frame::Array(items),
        }
    }
    fn map(&self, pairs: Vec<(Frame, Frame)>) -> Frame {
        Frame::Map(pairs)
    }
    fn attribute(&self, attrs: Vec<(Frame, Frame)>, value: Frame) -> Frame {
        Frame::Attribute {
            attrs,
            value: Box::new(value),
        }
    }
}

/// A walked frame and the offset just past it, or `None` when more bytes are needed.
type Walked<T> = Result<Option<(T, usize)>, ProtocolError>;

const TYPE_BYTES: &[u8] = b"+-:$*_#,(!=%~>|";

/// Walks the frame starting at `src[pos]`, nested `depth` levels deep.
fn walk<S: Sink>(src: &[u8], pos: usize, depth: usize, sink: &S) -> Walked<S::Out> {
    if depth > MAX_FRAME_DEPTH {
        return Err(ProtocolError::TooDeep);
    }
    let Some(&kind) = src.get(pos) else {
        return Ok(None);
    };
    if !TYPE_BYTES.contains(&kind) {
        return Err(ProtocolError::InvalidFrameType(kind));
    }
    let Some(cr) = find_crlf(src, pos + 1)? else {
        return Ok(None);
    };
    let body = pos + 1..cr;
    let text = &src[body.clone()];
    let mut next = cr + 2;
    let out = match kind {
        b'+' => sink.leaf(|b| Frame::Simple(b.slice(body))),
        b'-' => sink.leaf(|b| Frame::Error(b.slice(body))),
        b'(' => {
            if !is_big_number(text) {
                return Err(ProtocolError::InvalidBigNumber);
            }
            sink.leaf(|b| Frame::BigNumber(b.slice(body)))
        }
        b':' => {
            let n = parse_lenient_i64(text).ok_or(ProtocolError::InvalidInteger)?;
            sink.leaf(|_| Frame::Integer(n))
        }
        b'_' => {
            if !text.is_empty() {
                return Err(ProtocolError::InvalidNull);
            }
            sink.leaf(|_| Frame::Null)
        }
        b'#' => {
            let v = match text {
                b"t" => true,
                b"f" => false,
                _ => return Err(ProtocolError::InvalidBoolean),
            };
            sink.leaf(|_| Frame::Boolean(v))
        }
        b',' => {
            let d = parse_double(text).ok_or(ProtocolError::InvalidDouble)?;
            sink.leaf(|_| Frame::Double(d))
        }
        b'$' | b'!' | b'=' => {
            let len = parse_strict_i64(text).ok_or(ProtocolError::InvalidLength)?;
            if len == -1 && kind == b'$' {
                sink.leaf(|_| Frame::Null)
            } else {
                let len = usize::try_from(len).map_err(|_| ProtocolError::InvalidLength)?;
                let start = next;
                let end = start.checked_add(len).ok_or(ProtocolError::InvalidLength)?;
                let after = end.checked_add(2).ok_or(ProtocolError::InvalidLength)?;
                let Some(tail) = src.get(end..after) else {
                    return Ok(None);
                };
                if tail != b"\r\n" {
                    return Err(ProtocolError::ExpectedCrlf);
                }
                next = after;
                match kind {
                    b'$' => sink.leaf(|b| Frame::Bulk(b.slice(start..end))),
                    b'!' => sink.leaf(|b| Frame::BulkError(b.slice(start..end))),
                    _ => match src[start..end] {
                        [a, b, c, b':', ..] => sink.leaf(|bytes| Frame::Verbatim {
                            format: [a, b, c],
                            data: bytes.slice(start + 4..end),
                        }),
                        _ => return Err(ProtocolError::InvalidVerbatim),
                    },
                }
            }
        }
        b'*' | b'~' | b'>' => {
            let len = parse_strict_i64(text).ok_or(ProtocolError::InvalidLength)?;
            if len == -1 && kind == b'*' {
                sink.leaf(|_| Frame::NullArray)
            } else {
                let len = u64::try_from(len).map_err(|_| ProtocolError::InvalidLength)?;
                let mut items = Vec::with_capacity(prealloc(len));
                for _ in 0..len {
                    let Some((item, after)) = walk(src, next, depth + 1, sink)? else {
                        return Ok(None);
                    };
                    items.push(item);
                    next = after;
                }
                sink.items(kind, items)
            }
        }
        _ => {
            // `%` (map) and `|` (attributes): pairs.
            let len = parse_strict_i64(text).ok_or(ProtocolError::InvalidLength)?;
            let len = u64::try_from(len).map_err(|_| ProtocolError::InvalidLength)?;
            let mut pairs = Vec::with_capacity(prealloc(len));
            for _ in 0..len {
                let Some((key, after)) = walk(src, next, depth + 1, sink)? else {
                    return Ok(None);
                };
                let Some((value, after)) = walk(src, after, depth + 1, sink)? else {
                    return Ok(None);
                };
                pairs.push((key, value));
                next = after;
            }
            if kind == b'%' {
                sink.map(pairs)
            } else {
                let Some((value, after)) = walk(src, next, depth + 1, sink)? else {
                    return Ok(None);
                };
                next = after;
                sink.attribute(pairs, value)
            }
        }
    };
    Ok(Some((out, next)))
}

/// Finds the CR of the first CRLF at or after `from`; `None` if no CR is buffered yet or
/// the CR is the last byte. A CR followed by anything but LF is an error.
fn find_crlf(src: &[u8], from: usize) -> Result<Option<usize>, ProtocolError> {
    let Some(rest) = src.get(from..) else {
        return Ok(None);
    };
    let Some(i) = memchr::memchr(b'\r', rest) else {
        return Ok(None);
    };
    let cr = from + i;
    match src.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') => Ok(Some(cr)),
        Some(_) => Err(ProtocolError::ExpectedCrlf),
    }
}

fn prealloc(len: u64) -> usize {
    usize::try_from(len).map_or(MAX_PREALLOC, |n| n.min(MAX_PREALLOC))
}

/// An optional sign followed by at least one decimal digit.
fn is_big_number(text: &[u8]) -> bool {
    let digits = match text.split_first() {
        Some((b'-' | b'+', rest)) => rest,
        _ => text,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// `1.5`, `-2`, `1.5e3`, `inf`, `-inf`, `nan` and the other spellings Rust reads.
fn parse_double(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encode_to_vec, Protocol};

    fn parse_all(input: &[u8]) -> Result<Option<Frame>, ProtocolError> {
        let mut buf = BytesMut::from(input);
        let out = parse_frame(&mut buf);
        if let Ok(Some(_)) = out {
            assert!(buf.is_empty(), "left over: {:?}", buf);
        }
        out
    }

    fn ok(input: &[u8]) -> Frame {
        match parse_all(input) {
            Ok(Some(f)) => f,
            other => panic!("{:?} gave {:?}", String::from_utf8_lossy(input), other),
        }
    }

    fn err(input: &[u8]) -> ProtocolError {
        match parse_all(input) {
            Err(e) => e,
            other => panic!("{:?} gave {:?}", String::from_utf8_lossy(input), other),
        }
    }

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    /// Every strict prefix is incomplete and leaves the buffer as it was.
    fn assert_prefixes_incomplete(input: &[u8]) {
        for n in 0..input.len() {
            let mut buf = BytesMut::from(&input[..n]);
            assert_eq!(
                parse_frame(&mut buf),
                Ok(None),
                "prefix {:?}",
                String::from_utf8_lossy(&input[..n])
            );
            assert_eq!(&buf[..], &input[..n]);
        }
    }

    #[test]
    fn every_frame_type() {
        assert_eq!(ok(b"+OK\r\n"), Frame::Simple(b("OK")));
        assert_eq!(ok(b"+\r\n"), Frame::Simple(Bytes::new()));
        assert_eq!(ok(b"-ERR bad\r\n"), Frame::Error(b("ERR bad")));
        assert_eq!(ok(b":42\r\n"), Frame::Integer(42));
        assert_eq!(ok(b":-7\r\n"), Frame::Integer(-7));
        assert_eq!(ok(b":+7\r\n"), Frame::Integer(7));
        assert_eq!(ok(b":-9223372036854775808\r\n"), Frame::Integer(i64::MIN));
        assert_eq!(ok(b"$3\r\nfoo\r\n"), Frame::Bulk(b("foo")));
        assert_eq!(ok(b"$0\r\n\r\n"), Frame::Bulk(Bytes::new()));
        assert_eq!(ok(b"$4\r\na\r\nb\r\n"), Frame::Bulk(b("a\r\nb")));
        assert_eq!(ok(b"$-1\r\n"), Frame::Null);
        assert_eq!(ok(b"*-1\r\n"), Frame::NullArray);
        assert_eq!(ok(b"_\r\n"), Frame::Null);
        assert_eq!(ok(b"*0\r\n"), Frame::Array(vec![]));
        assert_eq!(
            ok(b"*2\r\n:1\r\n$1\r\nx\r\n"),
            Frame::Array(vec![Frame::Integer(1), Frame::Bulk(b("x"))])
        );
        assert_eq!(ok(b"#t\r\n"), Frame::Boolean(true));
        assert_eq!(ok(b"#f\r\n"), Frame::Boolean(false));
        assert_eq!(ok(b",1.5\r\n"), Frame::Double(1.5));
        assert_eq!(ok(b",1.5e3\r\n"), Frame::Double(1500.0));
        assert_eq!(ok(b",-2\r\n"), Frame::Double(-2.0));
        assert_eq!(ok(b",inf\r\n"), Frame::Double(f64::INFINITY));
        assert_eq!(ok(b",-inf\r\n"), Frame::Double(f64::NEG_INFINITY));
        assert!(matches!(ok(b",nan\r\n"), Frame::Double(d) if d.is_nan()));
        assert_eq!(
            ok(b"(3492890328409238509324850943850943825024385\r\n"),
            Frame::BigNumber(b("3492890328409238509324850943850943825024385"))
        );
        assert_eq!(ok(b"(-12\r\n"), Frame::BigNumber(b("-12")));
        assert_eq!(
            ok(b"!21\r\nSYNTAX invalid syntax\r\n"),
            Frame::BulkError(b("SYNTAX invalid syntax"))
        );
        assert_eq!(
            ok(b"=15\r\ntxt:Some string\r\n"),
            Frame::Verbatim {
                format: *b"txt",
                data: b("Some string")
            }
        );
        assert_eq!(
            ok(b"=4\r\nmkd:\r\n"),
            Frame::Verbatim {
                format: *b"mkd",
                data: Bytes::new()
            }
        );
        assert_eq!(
            ok(b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"),
            Frame::Map(vec![
                (Frame::Simple(b("first")), Frame::Integer(1)),
                (Frame::Simple(b("second")), Frame::Integer(2)),
            ])
        );
        assert_eq!(
            ok(b"~2\r\n+a\r\n_\r\n"),
            Frame::Set(vec![Frame::Simple(b("a")), Frame::Null])
        );
        assert_eq!(
            ok(b">3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n"),
            Frame::Push(vec![
                Frame::Simple(b("message")),
                Frame::Simple(b("chan")),
                Frame::Bulk(b("hi")),
            ])
        );
        assert_eq!(
            ok(b"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2039123\r\n"),
            Frame::Attribute {
                attrs: vec![(
                    Frame::Simple(b("key-popularity")),
                    Frame::Map(vec![(Frame::Bulk(b("a")), Frame::Double(0.19))]),
                )],
                value: Box::new(Frame::Array(vec![Frame::Integer(2039123)])),
            }
        );
        assert_eq!(
            ok(b"|0\r\n:1\r\n"),
            Frame::Attribute {
                attrs: vec![],
                value: Box::new(Frame::Integer(1))
            }
        );
    }

    #[test]
    fn strings_are_slices_of_one_buffer() {
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nfoo\r\n+bar\r\n"[..]);
        let base = buf.as_ptr() as usize;
        let Ok(Some(Frame::Array(items))) = parse_frame(&mut buf) else {
            panic!("not an array");
        };
        let ptrs: Vec<usize> = items
            .iter()
            .filter_map(|f| f.as_bytes())
            .map(|b| b.as_ptr() as usize - base)
            .collect();
        assert_eq!(ptrs, vec![8, 14]);
    }

    #[test]
    fn frames_parse_one_at_a_time() {
        let mut buf = BytesMut::from(&b":1\r\n+two\r\n$5\r\nthr"[..]);
        assert_eq!(parse_frame(&mut buf), Ok(Some(Frame::Integer(1))));
        assert_eq!(parse_frame(&mut buf), Ok(Some(Frame::Simple(b("two")))));
        assert_eq!(parse_frame(&mut buf), Ok(None));
        assert_eq!(&buf[..], b"$5\r\nthr");
        buf.extend_from_slice(b"ee\r\n");
        assert_eq!(parse_frame(&mut buf), Ok(Some(Frame::Bulk(b("three")))));
        assert!(buf.is_empty());
        assert_eq!(parse_frame(&mut buf), Ok(None));
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let samples: &[&[u8]] = &[
            b"+OK\r\n",
            b"-ERR x\r\n",
            b":123\r\n",
            b"$3\r\nfoo\r\n",
            b"$-1\r\n",
            b"*-1\r\n",
            b"_\r\n",
            b"#t\r\n",
            b",1.5e3\r\n",
            b"(123\r\n",
            b"!3\r\nbad\r\n",
            b"=7\r\ntxt:abc\r\n",
            b"*3\r\n:1\r\n*1\r\n$2\r\nab\r\n%1\r\n+k\r\n~0\r\n",
            b">2\r\n+a\r\n#f\r\n",
            b"|1\r\n+a\r\n:1\r\n*1\r\n_\r\n",
        ];
        for sample in samples {
            assert_prefixes_incomplete(sample);
            ok(sample);
        }
        // Every frame type round-trips through the encoder too.
        let frame = ok(samples[12]);
        assert_eq!(ok(&encode_to_vec(&frame, Protocol::Resp3)), frame);
    }

    #[test]
    fn malformed_frames() {
        assert_eq!(err(b"?x\r\n"), ProtocolError::InvalidFrameType(b'?'));
        // The type byte is checked before the line is complete.
        assert_eq!(err(b"x"), ProtocolError::InvalidFrameType(b'x'));
        assert_eq!(err(b"*1\r\nfoo"), ProtocolError::InvalidFrameType(b'f'));
        assert_eq!(err(b":12a\r\n"), ProtocolError::InvalidInteger);
        assert_eq!(err(b":\r\n"), ProtocolError::InvalidInteger);
        assert_eq!(
            err(b":9223372036854775808\r\n"),
            ProtocolError::InvalidInteger
        );
        assert_eq!(err(b"$x\r\n"), ProtocolError::InvalidLength);
        assert_eq!(err(b"$-2\r\n"), ProtocolError::InvalidLength);
        assert_eq!(err(b"$+3\r\nfoo\r\n"), ProtocolError::InvalidLength);
        assert_eq!(
            err(b"$99999999999999999999\r\n"),
            ProtocolError::InvalidLength
        );
        assert_eq!(err(b"!-1\r\n"), ProtocolError::InvalidLength);
        assert_eq!(err(b"*-2\r\n"), ProtocolError::InvalidLength);
        assert_eq!(err(b"%-1\r\n"), ProtocolError::InvalidLength);
        assert_eq!(err(b"~-1\r\n"), ProtocolError::InvalidLength);
        assert_eq!(err(b"$3\r\nfooXY"), ProtocolError::ExpectedCrlf);
        assert_eq!(err(b"+OK\rX"), ProtocolError::ExpectedCrlf);
        assert_eq!(err(b"_x\r\n"), ProtocolError::InvalidNull);
        assert_eq!(err(b"#x\r\n"), ProtocolError::InvalidBoolean);
        assert_eq!(err(b"#\r\n"), ProtocolError::InvalidBoolean);
        assert_eq!(err(b",\r\n"), ProtocolError::InvalidDouble);
        assert_eq!(err(b",1.5x\r\n"), ProtocolError::InvalidDouble);
        assert_eq!(err(b",\xff\r\n"), ProtocolError::InvalidDouble);
        assert_eq!(err(b"(\r\n"), ProtocolError::InvalidBigNumber);
        assert_eq!(err(b"(12a\r\n"), ProtocolError::InvalidBigNumber);
        assert_eq!(err(b"=3\r\ntxt\r\n"), ProtocolError::InvalidVerbatim);
        assert_eq!(err(b"=5\r\ntxt-x\r\n"), ProtocolError::InvalidVerbatim);
    }

    #[test]
    fn nesting_is_bounded() {
        let mut deep = Vec::new();
        for _ in 0..=MAX_FRAME_DEPTH {
            deep.extend_from_slice(b"*1\r\n");
        }
        // MAX_FRAME_DEPTH + 1 arrays: the innermost element would sit one level too deep.
        assert_eq!(parse_all(&deep), Err(ProtocolError::TooDeep));

        let mut fine = Vec::new();
        for _ in 0..MAX_FRAME_DEPTH {
            fine.extend_from_slice(b"*1\r\n");
        }
        fine.extend_from_slice(b":1\r\n");
        let mut frame = ok(&fine);
        let mut levels = 0;
        while let Frame::Array(mut items) = frame {
            levels += 1;
            frame = items.pop().unwrap_or(Frame::Null);
        }
        assert_eq!(levels, MAX_FRAME_DEPTH);
        assert_eq!(frame, Frame::Integer(1));

        // Attributes nest too: a chain of `|0` cannot recurse forever.
        let chain = b"|0\r\n".repeat(MAX_FRAME_DEPTH + 2);
        assert_eq!(parse_all(&chain), Err(ProtocolError::TooDeep));
    }

    #[test]
    fn huge_announced_lengths_wait_without_allocating() {
        for input in [
            &b"*9223372036854775807\r\n"[..],
            b"%9223372036854775807\r\n",
            b"$9223372036854775807\r\n",
            b"*4611686018427387904\r\n:1\r\n:2\r\n",
        ] {
            let mut buf = BytesMut::from(input);
            assert_eq!(parse_frame(&mut buf), Ok(None));
            assert_eq!(&buf[..], input);
        }
    }
}
