//! Ziplists, zipmaps and intsets built by hand from the documented layouts.

use super::*;

/// One ziplist entry: a string or an integer, in the form Redis would choose.
pub(crate) enum Zl<'a> {
    S(&'a [u8]),
    I(i64),
}

/// A ziplist of `items`, laid out as documented (prevlen, encoding, data).
pub(crate) fn build_ziplist(items: &[Zl<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut tail = 10;
    for it in items {
        let start = body.len();
        tail = 10 + start;
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(0xFE);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match it {
            Zl::S(s) if s.len() < 64 => body.push(s.len() as u8),
            Zl::S(s) if s.len() < 16384 => {
                body.extend_from_slice(&[0x40 | (s.len() >> 8) as u8, s.len() as u8])
            }
            Zl::S(s) => {
                body.push(0x80);
                body.extend_from_slice(&(s.len() as u32).to_be_bytes());
            }
            Zl::I(v) => zl_int(&mut body, *v),
        }
        if let Zl::S(s) = it {
            body.extend_from_slice(s);
        }
        prev = body.len() - start;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&((body.len() + 11) as u32).to_le_bytes());
    out.extend_from_slice(&(tail as u32).to_le_bytes());
    out.extend_from_slice(&(items.len() as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xFF);
    out
}

fn zl_int(out: &mut Vec<u8>, v: i64) {
    match v {
        0..=12 => out.push(0xF1 + v as u8),
        -128..=127 => out.extend_from_slice(&[0xFE, v as u8]),
        -32768..=32767 => {
            out.push(0xC0);
            out.extend_from_slice(&(v as i16).to_le_bytes());
        }
        -8388608..=8388607 => {
            out.push(0xF0);
            out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        }
        -2147483648..=2147483647 => {
            out.push(0xD0);
            out.extend_from_slice(&(v as i32).to_le_bytes());
        }
        _ => {
            out.push(0xE0);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// A zipmap of `pairs`, each value followed by `free` unused bytes.
pub(crate) fn build_zipmap(pairs: &[(&[u8], &[u8])], free: u8) -> Vec<u8> {
    let mut out = vec![pairs.len() as u8];
    let len = |out: &mut Vec<u8>, n: usize| {
        if n < 254 {
            out.push(n as u8);
        } else {
            out.push(254);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
    };
    for (k, v) in pairs {
        len(&mut out, k.len());
        out.extend_from_slice(k);
        len(&mut out, v.len());
        out.push(free);
        out.extend_from_slice(v);
        out.extend(std::iter::repeat_n(0u8, free as usize));
    }
    out.push(0xFF);
    out
}

#[test]
fn ziplist_entries_of_every_encoding_parse() {
    let long = b"q".repeat(300);
    let huge = b"h".repeat(20000);
    let ints = [
        0i64,
        12,
        13,
        -1,
        127,
        -128,
        1000,
        -32768,
        70000,
        -8388608,
        1 << 30,
        i64::MIN,
        i64::MAX,
    ];
    let mut items: Vec<Zl<'_>> = ints.iter().map(|&v| Zl::I(v)).collect();
    items.extend([Zl::S(b"abc"), Zl::S(&long), Zl::S(&huge)]);
    let zl = build_ziplist(&items);
    let got = ziplist(&zl).unwrap_or_default();
    let mut want: Vec<Vec<u8>> = ints.iter().map(|v| v.to_string().into_bytes()).collect();
    want.extend([b"abc".to_vec(), long.clone(), huge.clone()]);
    assert_eq!(got, want);
}

#[test]
fn a_truncated_ziplist_is_refused() {
    let zl = build_ziplist(&[Zl::S(b"abc"), Zl::I(5)]);
    for cut in 0..zl.len() {
        assert!(ziplist(&zl[..cut]).is_err());
    }
    let mut bad_count = zl.clone();
    bad_count[8] = 3;
    assert!(ziplist(&bad_count).is_err());
}

#[test]
fn zipmaps_parse_with_free_space() {
    let long = b"v".repeat(300);
    let zm = build_zipmap(&[(b"a", b"1"), (b"key", &long)], 2);
    let got = zipmap(&zm).unwrap_or_default();
    assert_eq!(
        got,
        vec![(b"a".to_vec(), b"1".to_vec()), (b"key".to_vec(), long)]
    );
    assert!(zipmap(&zm[..zm.len() - 1]).is_err());
}

#[test]
fn intsets_round_trip_in_each_width() {
    for vals in [vec![1i64, -3, 7], vec![70000, 1], vec![1 << 40, -(1 << 40)]] {
        let mut sorted = vals.clone();
        sorted.sort_unstable();
        assert_eq!(intset(&write_intset(vals)), Ok(sorted));
    }
    assert_eq!(write_intset(vec![3, 1])[..4], [2, 0, 0, 0]);
    // Unsorted or duplicated contents are refused.
    let mut bad = write_intset(vec![1, 2]);
    bad.swap(8, 10);
    assert!(intset(&bad).is_err());
}
