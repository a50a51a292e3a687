//! Config-file text (directives, quoting, escapes) applied to a fresh configuration: any
//! input is either applied or refused with an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = shoal_engine::Config::new();
    // File parameters would touch the disk: keep the fuzzer to the text parser and values.
    if text.contains("dir") || text.contains("file") || text.contains("include") {
        return;
    }
    let _ = shoal_server::apply_text(&config, text);
});
