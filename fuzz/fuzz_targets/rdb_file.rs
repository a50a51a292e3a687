//! Whole RDB files: a `REDIS0011` header followed by the fuzzer's bytes, loaded from disk;
//! any input loads or is refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shoal_engine::Engine;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("shoal-fuzz-rdb-{}.rdb", std::process::id()));
    let mut file = b"REDIS0011".to_vec();
    file.extend_from_slice(data);
    if std::fs::write(&path, &file).is_err() {
        return;
    }
    let engine = Engine::new();
    let _ = engine.load_rdb(&path);
});
