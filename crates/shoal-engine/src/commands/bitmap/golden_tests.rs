//! Replays `golden.txt`: a seeded random session of bit commands over binary strings
//! (runs of 0x00, 0xFF and random bytes), recorded from a real Redis 7 server, and checks
//! every reply. Each line is `hex-args => reply`, replies written as `i:N`, `n` (nil),
//! `b:HEX`, `s:TEXT`, `e:TEXT` or `a:[...]`.

use crate::testing::Harness;
use shoal_resp::Frame;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
        .collect()
}

fn repr(f: &Frame) -> String {
    match f {
        Frame::Integer(n) => format!("i:{n}"),
        Frame::Null | Frame::NullArray => "n".into(),
        Frame::Bulk(b) => format!("b:{}", hex(b)),
        Frame::Simple(s) => format!("s:{}", String::from_utf8_lossy(s)),
        Frame::Error(s) => format!("e:{}", String::from_utf8_lossy(s)),
        Frame::Array(items) => {
            let inner: Vec<String> = items.iter().map(repr).collect();
            format!("a:[{}]", inner.join(","))
        }
        other => format!("?{other:?}"),
    }
}

#[test]
fn replies_match_a_recorded_redis_session() {
    let mut h = Harness::new();
    let mut checked = 0;
    for (n, line) in include_str!("golden.txt").lines().enumerate() {
        let Some((args, want)) = line.split_once(" => ") else {
            continue;
        };
        let args: Vec<Vec<u8>> = args.split(' ').map(unhex).collect();
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let got = repr(&h.run_bin(&refs));
        assert_eq!(got, want, "line {}: {}", n + 1, line);
        checked += 1;
    }
    assert!(checked > 1000, "{checked}");
}
