//! Property tests: encoder and parsers agree, and no input makes a parser panic.

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use shoal_resp::{
    encode, encode_command, encode_to_vec, parse_command, parse_frame, Frame, Limits, Protocol,
    ProtocolError,
};

fn line_text() -> impl Strategy<Value = Bytes> {
    vec(
        any::<u8>().prop_filter("no CR or LF", |b| !matches!(b, b'\r' | b'\n')),
        0..16,
    )
    .prop_map(Bytes::from)
}

/// Binary data with CR and LF over-represented.
fn blob(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![4 => any::<u8>(), 1 => Just(b'\r'), 1 => Just(b'\n')],
        0..max,
    )
}

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("NaN never compares equal", |d| !d.is_nan()),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        (-1_000_000i64..1_000_000).prop_map(|n| n as f64 / 100.0),
    ]
}

fn leaf() -> impl Strategy<Value = Frame> {
    prop_oneof![
        line_text().prop_map(Frame::Simple),
        line_text().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        blob(40).prop_map(|b| Frame::Bulk(b.into())),
        Just(Frame::Null),
        Just(Frame::NullArray),
        any::<bool>().prop_map(Frame::Boolean),
        double().prop_map(Frame::Double),
        "[-+]?[0-9]{1,40}".prop_map(|s| Frame::BigNumber(s.into())),
        blob(40).prop_map(|b| Frame::BulkError(b.into())),
        (any::<[u8; 3]>(), blob(40)).prop_map(|(format, data)| Frame::Verbatim {
            format,
            data: data.into()
        }),
    ]
}

fn frame() -> impl Strategy<Value = Frame> {
    leaf().prop_recursive(4, 64, 6, |inner| {
        let pairs = vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Frame::Array),
            vec(inner.clone(), 0..6).prop_map(Frame::Set),
            vec(inner.clone(), 0..6).prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (pairs, inner).prop_map(|(attrs, value)| Frame::Attribute {
                attrs,
                value: Box::new(value)
            }),
        ]
    })
}

/// RESP3 writes `Null` and `NullArray` both as `_`, which reads back as `Null`.
fn resp3_view(f: &Frame) -> Frame {
    let all = |items: &[Frame]| items.iter().map(resp3_view).collect::<Vec<_>>();
    let pairs = |p: &[(Frame, Frame)]| {
        p.iter()
            .map(|(k, v)| (resp3_view(k), resp3_view(v)))
            .collect::<Vec<_>>()
    };
    match f {
        Frame::NullArray => Frame::Null,
        Frame::Array(items) => Frame::Array(all(items)),
        Frame::Set(items) => Frame::Set(all(items)),
        Frame::Push(items) => Frame::Push(all(items)),
        Frame::Map(p) => Frame::Map(pairs(p)),
        Frame::Attribute { attrs, value } => Frame::Attribute {
            attrs: pairs(attrs),
            value: Box::new(resp3_view(value)),
        },
        other => other.clone(),
    }
}

/// RESP2 has no bulk errors: the encoder writes them as simple errors, which cannot hold
/// CR or LF, so those bytes are dropped before testing RESP2.
fn without_newline_in_bulk_errors(f: &Frame) -> Frame {
    let all = |items: &[Frame]| {
        items
            .iter()
            .map(without_newline_in_bulk_errors)
            .collect::<Vec<_>>()
    };
    let pairs = |p: &[(Frame, Frame)]| {
        p.iter()
            .map(|(k, v)| {
                (
                    without_newline_in_bulk_errors(k),
                    without_newline_in_bulk_errors(v),
                )
            })
            .collect::<Vec<_>>()
    };
    match f {
        Frame::BulkError(e) => Frame::BulkError(
            e.iter()
                .copied()
                .filter(|b| !matches!(b, b'\r' | b'\n'))
                .collect::<Vec<u8>>()
                .into(),
        ),
        Frame::Array(items) => Frame::Array(all(items)),
        Frame::Set(items) => Frame::Set(all(items)),
        Frame::Push(items) => Frame::Push(all(items)),
        Frame::Map(p) => Frame::Map(pairs(p)),
        Frame::Attribute { attrs, value } => Frame::Attribute {
            attrs: pairs(attrs),
            value: Box::new(without_newline_in_bulk_errors(value)),
        },
        other => other.clone(),
    }
}

fn command() -> impl Strategy<Value = Vec<Vec<u8>>> {
    vec(blob(24), 1..6)
}

/// Parses every complete request in `buf`, stopping at the first error.
fn drain_commands(
    buf: &mut BytesMut,
    limits: &Limits,
    out: &mut Vec<Vec<Bytes>>,
) -> Result<(), ProtocolError> {
    while let Some(args) = parse_command(buf, limits)? {
        out.push(args);
    }
    Ok(())
}

fn as_bytes(cmds: &[Vec<Vec<u8>>]) -> Vec<Vec<Bytes>> {
    cmds.iter()
        .map(|c| c.iter().map(|a| Bytes::copy_from_slice(a)).collect())
        .collect()
}

/// RESP-looking noise: fragments that make the parsers go deep before they fail.
fn resp_soup() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(&b"*"[..]),
        Just(&b"$"[..]),
        Just(&b"%"[..]),
        Just(&b"|"[..]),
        Just(&b"~"[..]),
        Just(&b">"[..]),
        Just(&b"="[..]),
        Just(&b"!"[..]),
        Just(&b":"[..]),
        Just(&b","[..]),
        Just(&b"#t"[..]),
        Just(&b"_"[..]),
        Just(&b"+OK"[..]),
        Just(&b"\r\n"[..]),
        Just(&b"\r"[..]),
        Just(&b"\n"[..]),
        Just(&b"1"[..]),
        Just(&b"2"[..]),
        Just(&b"0"[..]),
        Just(&b"-1"[..]),
        Just(&b"4"[..]),
        Just(&b"txt:"[..]),
        Just(&b"\""[..]),
        Just(&b"'"[..]),
        Just(&b"\\"[..]),
        Just(&b" "[..]),
        Just(&b"x"[..]),
        Just(&b"\0"[..]),
        Just(&b"99999999999999999999"[..]),
    ];
    vec(piece, 0..80).prop_map(|pieces| pieces.concat())
}

fn tight() -> Limits {
    Limits {
        max_bulk_len: 16,
        max_multibulk: 8,
        max_inline: 32,
    }
}

fn hammer(input: &[u8]) {
    let mut buf = BytesMut::from(input);
    loop {
        let before = buf.clone();
        match parse_frame(&mut buf) {
            Ok(Some(_)) => assert!(buf.len() < before.len()),
            Ok(None) => {
                assert_eq!(buf, before);
                break;
            }
            Err(_) => break,
        }
    }
    for limits in [Limits::default(), tight()] {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        let _ = drain_commands(&mut buf, &limits, &mut out);
        assert!(out.iter().all(|args| !args.is_empty()));
    }
}

proptest! {
    #[test]
    fn frames_round_trip_through_resp3(f in frame(), cut in any::<Index>()) {
        let wire = encode_to_vec(&f, Protocol::Resp3);
        let mut buf = BytesMut::from(&wire[..]);
        buf.extend_from_slice(b"+next\r\n");
        let parsed = parse_frame(&mut buf);
        prop_assert_eq!(parsed, Ok(Some(resp3_view(&f))));
        prop_assert_eq!(&buf[..], b"+next\r\n");

        // Any strict prefix is incomplete and left alone.
        let n = cut.index(wire.len());
        let mut partial = BytesMut::from(&wire[..n]);
        prop_assert_eq!(parse_frame(&mut partial), Ok(None));
        prop_assert_eq!(&partial[..], &wire[..n]);
    }

    #[test]
    fn resp2_encoding_parses_to_its_end(f in frame()) {
        let f = without_newline_in_bulk_errors(&f);
        let wire = encode_to_vec(&f, Protocol::Resp2);
        let mut buf = BytesMut::from(&wire[..]);
        prop_assert!(matches!(parse_frame(&mut buf), Ok(Some(_))));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn frames_pipeline(frames in vec(frame(), 1..5)) {
        let mut buf = BytesMut::new();
        for f in &frames {
            encode(f, Protocol::Resp3, &mut buf);
        }
        for f in &frames {
            prop_assert_eq!(parse_frame(&mut buf), Ok(Some(resp3_view(f))));
        }
        prop_assert_eq!(parse_frame(&mut buf), Ok(None));
    }

    #[test]
    fn commands_round_trip(cmds in vec(command(), 1..5)) {
        let mut buf = BytesMut::new();
        for c in &cmds {
            encode_command(c, &mut buf);
        }
        let mut out = Vec::new();
        prop_assert_eq!(drain_commands(&mut buf, &Limits::default(), &mut out), Ok(()));
        prop_assert_eq!(out, as_bytes(&cmds));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn commands_round_trip_in_chunks(
        cmds in vec(command(), 1..5),
        chunks in vec(1usize..40, 1..64),
    ) {
        let mut wire = BytesMut::new();
        for c in &cmds {
            encode_command(c, &mut wire);
        }
        let limits = Limits::default();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut rest = &wire[..];
        for size in chunks.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at((*size).min(rest.len()));
            rest = tail;
            buf.extend_from_slice(chunk);
            prop_assert_eq!(drain_commands(&mut buf, &limits, &mut out), Ok(()));
        }
        prop_assert_eq!(out, as_bytes(&cmds));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn inline_commands_round_trip(cmd in command(), crlf in any::<bool>()) {
        // Every byte written as `\xHH` inside double quotes comes back as itself.
        let mut line = Vec::new();
        for arg in &cmd {
            line.push(b'"');
            for b in arg {
                line.extend_from_slice(format!("\\x{b:02x}").as_bytes());
            }
            line.extend_from_slice(b"\" ");
        }
        line.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        let mut buf = BytesMut::from(&line[..]);
        let parsed = parse_command(&mut buf, &Limits::default());
        prop_assert_eq!(parsed, Ok(Some(as_bytes(&[cmd])[0].clone())));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn random_bytes_never_panic(input in vec(any::<u8>(), 0..256)) {
        hammer(&input);
    }

    #[test]
    fn resp_noise_never_panics(input in resp_soup()) {
        hammer(&input);
    }
}
