//! Writing frames for either protocol version.

use crate::{Frame, Protocol};
use bytes::{BufMut, BytesMut};

/// Appends `frame` to `out` as `proto` spells it.
pub fn encode(frame: &Frame, proto: Protocol, out: &mut BytesMut) {
    let resp3 = proto == Protocol::Resp3;
    match frame {
        Frame::Simple(s) => one_line(out, b'+', s),
        Frame::Error(s) => one_line(out, b'-', s),
        Frame::Integer(n) => int_line(out, b':', *n),
        Frame::Bulk(b) => bulk(out, b'$', b),
        Frame::Array(items) => aggregate(out, b'*', items, proto),
        Frame::Bulks(b) => {
            int_line(out, b'*', b.len() as i64);
            out.put_slice(b.wire());
        }
        Frame::Null if resp3 => out.put_slice(b"_\r\n"),
        Frame::NullArray if resp3 => out.put_slice(b"_\r\n"),
        Frame::Null => out.put_slice(b"$-1\r\n"),
        Frame::NullArray => out.put_slice(b"*-1\r\n"),
        Frame::Boolean(v) if resp3 => out.put_slice(if *v { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::Boolean(v) => int_line(out, b':', i64::from(*v)),
        Frame::Double(d) => {
            let text = format_double(*d);
            if resp3 {
                line(out, b',', text.as_bytes());
            } else {
                bulk(out, b'$', text.as_bytes());
            }
        }
        Frame::BigNumber(n) if resp3 => line(out, b'(', n),
        Frame::BigNumber(n) => bulk(out, b'$', n),
        Frame::BulkError(e) if resp3 => bulk(out, b'!', e),
        Frame::BulkError(e) => one_line(out, b'-', e),
        Frame::Verbatim { format, data } if resp3 => {
            int_line(out, b'=', data.len() as i64 + 4);
            out.put_slice(format);
            out.put_u8(b':');
            out.put_slice(data);
            out.put_slice(b"\r\n");
        }
        Frame::Verbatim { data, .. } => bulk(out, b'$', data),
        Frame::Map(pairs) => {
            if resp3 {
                int_line(out, b'%', pairs.len() as i64);
            } else {
                int_line(out, b'*', pairs.len() as i64 * 2);
            }
            for (k, v) in pairs {
                encode(k, proto, out);
                encode(v, proto, out);
            }
        }
        Frame::Set(items) => aggregate(out, if resp3 { b'~' } else { b'*' }, items, proto),
        Frame::Push(items) => aggregate(out, if resp3 { b'>' } else { b'*' }, items, proto),
        Frame::Attribute { attrs, value } => {
            if resp3 {
                int_line(out, b'|', attrs.len() as i64);
                for (k, v) in attrs {
                    encode(k, proto, out);
                    encode(v, proto, out);
                }
            }
            encode(value, proto, out);
        }
    }
}

/// Encodes one frame into a fresh vector; convenient for tests and small replies.
pub fn encode_to_vec(frame: &Frame, proto: Protocol) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(frame, proto, &mut out);
    out.to_vec()
}

/// Formats a double the way Redis 7.2 replies with one: `inf`, `-inf`, `nan`, and otherwise
/// the shortest digits that read back to the same value, laid out as C's `%.17g` lays them
/// out (fixed notation for exponents -4..=16, else `d.ddde+XX`).
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "nan".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let mut buf = ryu::Buffer::new();
    let shortest = buf.format_finite(d.abs());
    let (mantissa, exp) = match shortest.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (shortest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
    // `point` is where the decimal point sits relative to the start of `digits`.
    let mut point = int_part.len() as i32 + exp;
    let leading = digits.iter().take_while(|&&c| c == b'0').count();
    digits.drain(..leading);
    point -= leading as i32;
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    let mut out = String::with_capacity(24);
    if d < 0.0 {
        out.push('-');
    }
    let sci_exp = point - 1;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if !(-4..17).contains(&sci_exp) {
        out.push(char::from(digits[0]));
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&text(&digits[1..]));
        }
        out.push_str(&format!(
            "e{}{:02}",
            if sci_exp < 0 { '-' } else { '+' },
            sci_exp.abs()
        ));
    } else if point <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-point) as usize));
        out.push_str(&text(&digits));
    } else if point as usize >= digits.len() {
        out.push_str(&text(&digits));
        out.push_str(&"0".repeat(point as usize - digits.len()));
    } else {
        out.push_str(&text(&digits[..point as usize]));
        out.push('.');
        out.push_str(&text(&digits[point as usize..]));
    }
    out
}

fn line(out: &mut BytesMut, prefix: u8, s: &[u8]) {
    out.reserve(s.len() + 3);
    out.put_u8(prefix);
    out.put_slice(s);
    out.put_slice(b"\r\n");
}

/// A line whose text may come from untrusted input: CR and LF become spaces so the reply
/// stays one protocol line.
fn one_line(out: &mut BytesMut, prefix: u8, s: &[u8]) {
    if memchr::memchr2(b'\r', b'\n', s).is_none() {
        return line(out, prefix, s);
    }
    let cleaned: Vec<u8> = s
        .iter()
        .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
        .collect();
    line(out, prefix, &cleaned);
}

fn int_line(out: &mut BytesMut, prefix: u8, n: i64) {
    let mut buf = itoa::Buffer::new();
    line(out, prefix, buf.format(n).as_bytes());
}

fn bulk(out: &mut BytesMut, prefix: u8, b: &[u8]) {
    let mut digits = itoa::Buffer::new();
    let len = digits.format(b.len()).as_bytes();
    // One reservation for the whole bulk string.
    out.reserve(len.len() + b.len() + 5);
    out.put_u8(prefix);
    out.put_slice(len);
    out.put_slice(b"\r\n");
    out.put_slice(b);
    out.put_slice(b"\r\n");
}

fn aggregate(out: &mut BytesMut, prefix: u8, items: &[Frame], proto: Protocol) {
    int_line(out, prefix, items.len() as i64);
    for item in items {
        encode(item, proto, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn both(f: &Frame) -> (String, String) {
        (
            String::from_utf8_lossy(&encode_to_vec(f, Protocol::Resp2)).into_owned(),
            String::from_utf8_lossy(&encode_to_vec(f, Protocol::Resp3)).into_owned(),
        )
    }

    #[test]
    fn resp3_types_lower_to_resp2_shapes() {
        let map = Frame::Map(vec![(Frame::bulk("a"), Frame::Integer(1))]);
        assert_eq!(
            both(&map),
            (
                "*2\r\n$1\r\na\r\n:1\r\n".into(),
                "%1\r\n$1\r\na\r\n:1\r\n".into()
            )
        );
        assert_eq!(both(&Frame::Null), ("$-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(&Frame::NullArray), ("*-1\r\n".into(), "_\r\n".into()));
        assert_eq!(
            both(&Frame::Boolean(true)),
            (":1\r\n".into(), "#t\r\n".into())
        );
        assert_eq!(
            both(&Frame::Double(1.5)),
            ("$3\r\n1.5\r\n".into(), ",1.5\r\n".into())
        );
        let v = Frame::Verbatim {
            format: *b"txt",
            data: Bytes::from_static(b"hi"),
        };
        assert_eq!(both(&v), ("$2\r\nhi\r\n".into(), "=6\r\ntxt:hi\r\n".into()));
    }

    #[test]
    fn line_breaks_in_errors_become_spaces() {
        let f = Frame::Error(Bytes::from_static(b"ERR bad\r\nthing"));
        assert_eq!(both(&f).0, "-ERR bad  thing\r\n");
        let f = Frame::BulkError(Bytes::from_static(b"ERR a\nb"));
        assert_eq!(both(&f).0, "-ERR a b\r\n");
    }

    #[test]
    fn doubles_format_like_redis() {
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(-2.0), "-2");
        assert_eq!(format_double(0.1), "0.1");
        assert_eq!(format_double(1.5e20), "1.5e+20");
        assert_eq!(format_double(1e-7), "1e-07");
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_double(10.5), "10.5");
        assert_eq!(format_double(1e16), "10000000000000000");
        assert_eq!(format_double(1e17), "1e+17");
        assert_eq!(format_double(0.0001), "0.0001");
        assert_eq!(format_double(0.00001), "1e-05");
        assert_eq!(format_double(-0.0), "-0");
        assert_eq!(format_double(123.456), "123.456");
        assert_eq!(format_double(-1.25e-10), "-1.25e-10");
    }
}
