#![no_main]
//! Digest parsing and streaming verification never panic; parse → print round-trips.
use hoist_core::digest::Digest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(d) = Digest::parse(s) {
            assert_eq!(d.to_string(), s);
            let mut v = d.verifier().with_size(data.len() as u64);
            let _ = v.update(data);
            let _ = v.finish();
        }
    }
});
