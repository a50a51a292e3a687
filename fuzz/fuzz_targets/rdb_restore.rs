//! DUMP payloads: the fuzzer's bytes become the serialized value, framed with an RDB
//! version and a valid CRC64 so the value decoder itself is exercised through RESTORE, then
//! the restored key is read back in several ways.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use shoal_engine::Engine;

fn payload(data: &[u8]) -> Vec<u8> {
    let mut p = data.to_vec();
    p.extend_from_slice(&11u16.to_le_bytes());
    let crc = shoal_engine::rdb::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

fn cmd(words: &[&[u8]]) -> Vec<Bytes> {
    words.iter().map(|w| Bytes::copy_from_slice(w)).collect()
}

fuzz_target!(|data: &[u8]| {
    let engine = Engine::new();
    let mut s = engine.session();
    let p = payload(data);
    let _ = s.execute(cmd(&[b"RESTORE", b"k", b"0", &p, b"REPLACE"]));
    for read in [
        &[&b"TYPE"[..], b"k"][..],
        &[b"OBJECT", b"ENCODING", b"k"],
        &[b"DUMP", b"k"],
        &[b"LRANGE", b"k", b"0", b"-1"],
        &[b"HGETALL", b"k"],
        &[b"SMEMBERS", b"k"],
        &[b"ZRANGE", b"k", b"0", b"-1", b"WITHSCORES"],
        &[b"XRANGE", b"k", b"-", b"+"],
        &[b"GET", b"k"],
    ] {
        let _ = s.execute(cmd(read));
    }
    // What DUMP produced restores again.
    if let Some(shoal_engine::Frame::Bulk(dump)) = s.execute(cmd(&[b"DUMP", b"k"])) {
        let again = s.execute(cmd(&[b"RESTORE", b"k2", b"0", &dump]));
        assert_eq!(
            again,
            Some(shoal_engine::Frame::ok()),
            "re-restore of a DUMP failed"
        );
    }
});
