#![no_main]
//! Platform specifiers, platform objects, normalization and matching.
//!
//! Input: byte 0 picks the host platform; the rest is UTF-8 `SPECIFIER [\n JSON]`, where
//! `JSON` is a platform object for `Platform::from_value`.
//!
//! Invariants beyond "no panic":
//! - `normalize` is idempotent;
//! - a parsed platform matches itself, can run itself, and `select_platform` picks it
//!   from a one-entry index;
//! - the formatted form of a parsed platform parses back to the same normalized platform
//!   whenever its OS options need no escaping beyond what `format` does;
//! - a platform object serializes to a JSON object that reads back equal.
use hoist_core::descriptor::Descriptor;
use hoist_core::digest::Digest;
use hoist_core::media_type;
use hoist_core::platform::{normalize_arch, normalize_os, select_platform, Platform};
use hoist_core::ErrorCode;
use libfuzzer_sys::fuzz_target;

fn hosts() -> [Platform; 6] {
    let mut windows = Platform::new("windows", "amd64", "");
    windows.os_version = "10.0.20348.2113".into();
    [
        Platform::new("linux", "amd64", ""),
        Platform::new("linux", "arm64", ""),
        Platform::new("linux", "arm", "v6"),
        Platform::new("linux", "arm", "v7"),
        Platform::new("darwin", "arm64", ""),
        windows,
    ]
}

fn option_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '%' | '-' | '+' | '(' | ')' | '/')
}

fn check_self(p: &Platform) {
    let n = p.normalize();
    assert_eq!(n.normalize(), n, "normalize is not idempotent for {p:?}");
    assert_eq!(normalize_os(&n.os), n.os);
    assert_eq!(
        normalize_arch(&n.architecture, &n.variant),
        (n.architecture.clone(), n.variant.clone())
    );
    assert!(p.matches(p), "{p:?} does not match itself");
    assert!(p.compatible(p), "{p:?} cannot run itself");
    let d = Descriptor {
        platform: Some(p.clone()),
        ..Descriptor::new(media_type::OCI_MANIFEST, Digest::sha256_of(b""), 0)
    };
    let entries = [d];
    match select_platform(&entries, p) {
        Ok(chosen) => assert_eq!(chosen.platform.as_ref(), Some(p)),
        Err(e) => panic!("{p:?} not selected from itself: {e}"),
    }
}

fn check_specifier(spec: &str, host: &Platform) {
    let p = match Platform::parse(spec, host) {
        Ok(p) => p,
        Err(e) => {
            assert!(!e.code().is_empty() && !e.to_string().is_empty());
            return;
        }
    };
    check_self(&p);
    let formatted = p.format();
    assert_eq!(p.to_string(), formatted);
    let plain = p.os_version.chars().all(option_char)
        && p.os_features.iter().all(|f| f.chars().all(option_char));
    match Platform::parse(&formatted, host) {
        Ok(again) => {
            assert_eq!(
                again.normalize().os,
                p.normalize().os,
                "{spec:?} -> {formatted:?}"
            );
            assert_eq!(again.os_version, p.os_version, "{spec:?} -> {formatted:?}");
            let mut want = p.os_features.clone();
            want.sort();
            let mut got = again.os_features.clone();
            got.sort();
            assert_eq!(got, want, "{spec:?} -> {formatted:?}");
            let (a, b) = (again.normalize(), p.normalize());
            assert_eq!(
                (a.architecture, a.variant),
                (b.architecture, b.variant),
                "{spec:?} -> {formatted:?}"
            );
        }
        Err(e) => assert!(
            !plain,
            "{spec:?} formats as {formatted:?}, which fails: {e}"
        ),
    }
}

fn check_object(text: &str, host: &Platform) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Ok(p) = Platform::from_value(&v) else {
        return;
    };
    check_self(&p);
    let _ = (
        p.matches(host),
        host.matches(&p),
        host.compatible(&p),
        p.compatible(host),
    );
    let json = serde_json::to_value(&p).expect("platform serializes");
    assert!(json.is_object());
    assert_eq!(Platform::from_value(&json).as_ref(), Ok(&p), "{json}");
    let _ = p.format();
}

fuzz_target!(|data: &[u8]| {
    let Some((&h, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let hosts = hosts();
    let host = &hosts[usize::from(h) % hosts.len()];
    let (spec, object) = text.split_once('\n').unwrap_or((text, ""));
    check_specifier(spec, host);
    check_object(object, host);
});
