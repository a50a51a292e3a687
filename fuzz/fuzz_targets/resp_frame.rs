//! Any RESP2/RESP3 frame (replies, pushes, nested aggregates): parse must not panic, and
//! what parses must encode and parse back to the same frame.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use shoal_resp::{encode, parse_frame, Protocol};

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    while let Ok(Some(frame)) = parse_frame(&mut buf) {
        let mut again = BytesMut::new();
        encode(&frame, Protocol::Resp3, &mut again);
        // Encoding is total; re-parsing what we encoded must not fail.
        assert!(
            parse_frame(&mut again).is_ok(),
            "encoded frame did not parse: {frame:?}"
        );
    }
});
