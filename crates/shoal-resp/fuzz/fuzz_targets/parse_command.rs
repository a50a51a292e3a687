//! Feeds arbitrary bytes to `parse_command`, whole and in arbitrary pieces, with small
//! limits so that every limit is reachable.
//!
//! Input layout: byte 0 says how many of the following bytes (0..=7) are piece sizes;
//! the rest is the stream.
//!
//! Checks: no panic; every request has at least one argument; re-encoding a request with
//! `encode_command` parses back to the same arguments (under the default limits); and when neither run fails, the
//! piecewise run yields the same requests as the whole run. (Limit errors may differ: a
//! piece may stop short of the newline that the whole stream has in time.)

#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use shoal_resp::{encode_command, parse_command, Limits, ProtocolError};

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

fn drain(
    buf: &mut BytesMut,
    limits: &Limits,
    out: &mut Vec<Vec<Bytes>>,
) -> Result<(), ProtocolError> {
    while let Some(args) = parse_command(buf, limits)? {
        assert!(!args.is_empty());
        let mut wire = BytesMut::new();
        encode_command(&args, &mut wire);
        // Default limits: an inline line may hold more or longer arguments than the
        // small multibulk limits allow.
        assert_eq!(
            parse_command(&mut wire, &Limits::default()),
            Ok(Some(args.clone()))
        );
        assert!(wire.is_empty());
        out.push(args);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let (sizes, stream) = split(data);
    let limits = Limits {
        max_bulk_len: 256,
        max_multibulk: 64,
        max_inline: 128,
    };

    let mut whole = Vec::new();
    let whole_res = drain(&mut BytesMut::from(stream), &limits, &mut whole);

    let mut pieces = Vec::new();
    let mut pieces_res = Ok(());
    let mut buf = BytesMut::new();
    let mut rest = stream;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).min(rest.len()));
        rest = tail;
        buf.extend_from_slice(chunk);
        pieces_res = drain(&mut buf, &limits, &mut pieces);
        if pieces_res.is_err() {
            break;
        }
    }

    if whole_res.is_ok() && pieces_res.is_ok() {
        assert_eq!(whole, pieces);
    }
});
