//! Feeds arbitrary bytes to `parse_frame`, whole and in arbitrary pieces.
//!
//! Input layout: byte 0 says how many of the following bytes (0..=7) are piece sizes;
//! the rest is the stream.
//!
//! Checks: no panic; `Ok(None)` leaves the buffer alone; the piecewise run yields the same
//! frames and the same final error as the whole run; and re-encoding a parsed frame as
//! RESP3 parses back to a frame that encodes identically.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use shoal_resp::{encode_to_vec, parse_frame, Protocol, ProtocolError};

fn split(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return (vec![usize::MAX], data);
    };
    let n = usize::from(n % 8).min(rest.len());
    let (sizes, stream) = rest.split_at(n);
    let mut sizes: Vec<usize> = sizes.iter().map(|&s| usize::from(s % 64) + 1).collect();
    if sizes.is_empty() {
        sizes.push(usize::MAX);
    }
    (sizes, stream)
}

/// Parses everything parseable in `buf`: the frames as RESP3 bytes, then the error, if any.
fn drain(buf: &mut BytesMut, out: &mut Vec<Vec<u8>>) -> Option<ProtocolError> {
    loop {
        let before = buf.clone();
        match parse_frame(buf) {
            Ok(Some(frame)) => {
                assert!(buf.len() < before.len());
                let wire = encode_to_vec(&frame, Protocol::Resp3);
                let mut again = BytesMut::from(&wire[..]);
                match parse_frame(&mut again) {
                    Ok(Some(reparsed)) => {
                        assert!(again.is_empty());
                        assert_eq!(encode_to_vec(&reparsed, Protocol::Resp3), wire);
                    }
                    other => panic!("re-encoded frame did not parse: {other:?}"),
                }
                out.push(wire);
            }
            Ok(None) => {
                assert_eq!(*buf, before);
                return None;
            }
            Err(e) => return Some(e),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (sizes, stream) = split(data);

    let mut whole = Vec::new();
    let whole_err = drain(&mut BytesMut::from(stream), &mut whole);

    let mut pieces = Vec::new();
    let mut pieces_err = None;
    let mut buf = BytesMut::new();
    let mut rest = stream;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).min(rest.len()));
        rest = tail;
        buf.extend_from_slice(chunk);
        pieces_err = drain(&mut buf, &mut pieces);
        if pieces_err.is_some() {
            break;
        }
    }

    assert_eq!(whole, pieces);
    assert_eq!(whole_err, pieces_err);
});
