#![no_main]
//! The strict JSON gate never panics, and whatever it accepts serde_json parses.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if hoist_core::json::check(data).is_ok() {
        assert!(serde_json::from_slice::<serde_json::Value>(data).is_ok());
    }
});
