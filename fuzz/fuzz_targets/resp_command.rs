//! Client requests (multibulk and inline), fed whole and in two pieces: the parser must
//! never panic, and splitting the input must not change what it yields.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use shoal_resp::{parse_command, Limits};

fn run(chunks: &[&[u8]], limits: &Limits) -> Vec<Result<Vec<bytes::Bytes>, String>> {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match parse_command(&mut buf, limits) {
                Ok(Some(args)) => out.push(Ok(args)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bulk_len: 1 << 20,
        max_multibulk: 1 << 16,
        max_inline: 1 << 16,
    };
    let whole = run(&[data], &limits);
    if data.len() > 1 {
        let cut = data[0] as usize % data.len();
        let split = run(&[&data[..cut], &data[cut..]], &limits);
        assert_eq!(whole, split, "splitting the input changed the result");
    }
});
