//! Number parsing and formatting with Redis's rules.
//!
//! Redis is strict: `"+1"`, `" 1"`, `"01"` and `"-0"` are not integers, and a float argument
//! may be `inf` but never NaN. Commands depend on these rules for their error replies.

/// Parses a signed 64-bit integer exactly as Redis's `string2ll` does.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i128).wrapping_neg() as i64)
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Parses an unsigned 64-bit integer with the same strictness as [`parse_i64`].
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s == b"0" {
        return Some(0);
    }
    match s.first() {
        Some(b'1'..=b'9') if s.len() <= 20 => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Parses a float argument as Redis's `string2d` / `string2ld` do: no surrounding space,
/// `inf`/`-inf`/`+inf` allowed (any case, also `infinity`), NaN refused.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() > 5120 {
        return None;
    }
    if s[0].is_ascii_whitespace() || s[s.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let v: f64 = text.parse().ok()?;
    if v.is_nan() {
        None
    } else {
        Some(v)
    }
}

/// Formats an integer into a fresh byte vector.
pub fn i64_to_bytes(v: i64) -> Vec<u8> {
    itoa::Buffer::new().format(v).as_bytes().to_vec()
}

/// Formats a float the way Redis stores the result of INCRBYFLOAT: no exponent, at most 17
/// digits after the point, trailing zeros removed (Redis's `%.17Lf`-then-trim humanized
/// form), and never `-0`.
///
/// Redis computes in `long double`; with `f64` the shortest text that reads back as the
/// same value is the closest match (`10.5 + 0.1` gives `10.6`, not `10.59999999999999964`).
pub fn format_humanized_f64(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `Display` for floats writes the shortest round-trip digits, never an exponent.
    let mut s = format!("{v}");
    let decimals = s.find('.').map_or(0, |dot| s.len() - dot - 1);
    if decimals > 17 {
        s = format!("{v:.17}");
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"9223372036854775808"[..],
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"",
            b"-",
            b"1a",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn floats_refuse_nan_and_spaces() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b""), None);
        assert_eq!(parse_f64(b"abc"), None);
    }

    #[test]
    fn humanized_floats_have_no_exponent() {
        assert_eq!(format_humanized_f64(10.5), "10.5");
        assert_eq!(format_humanized_f64(3.0), "3");
        assert_eq!(format_humanized_f64(5.0e3), "5000");
        assert_eq!(format_humanized_f64(1e20), "100000000000000000000");
        assert_eq!(format_humanized_f64(10.5 + 0.1), "10.6");
        assert_eq!(format_humanized_f64(5.0e3 + 2.0e2), "5200");
        assert_eq!(format_humanized_f64(1e-20), "0");
        assert_eq!(format_humanized_f64(-1e-20), "0");
        assert_eq!(format_humanized_f64(-0.0), "0");
        assert_eq!(format_humanized_f64(1.5e-7), "0.00000015");
        assert_eq!(format_humanized_f64(17179869185.5), "17179869185.5");
    }

    proptest! {
        #[test]
        fn parse_i64_round_trips(v in any::<i64>()) {
            prop_assert_eq!(parse_i64(&i64_to_bytes(v)), Some(v));
        }
    }
}
