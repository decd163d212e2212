#![no_main]
//! Absolute `http(s)` URLs and `Location` resolution.
//!
//! Input: UTF-8 `BASE (\n LOCATION)*` (at most 8 locations).
//!
//! Invariants beyond "no panic":
//! - `parse(display(u)) == u`, and the display form is a fixed point;
//! - `from_parts(scheme, authority, path_and_query)` rebuilds the URL;
//! - the host is lower-case, the path starts with `/` and carries no fragment;
//! - a joined URL also round-trips, and a path-only location keeps the base's origin.
use hoist_core::url::Url;
use hoist_core::ErrorCode;
use libfuzzer_sys::fuzz_target;

fn check(u: &Url, from: &str) {
    let shown = u.to_string();
    let again = Url::parse(&shown).unwrap_or_else(|e| panic!("{from:?} -> {shown:?}: {e}"));
    assert_eq!(&again, u, "{from:?} -> {shown:?}");
    assert_eq!(again.to_string(), shown);
    assert_eq!(
        Url::from_parts(u.scheme(), &u.authority(), u.path_and_query()).as_ref(),
        Ok(u)
    );
    assert_eq!(u.host(), u.host().to_ascii_lowercase());
    assert!(!u.host().is_empty());
    assert_ne!(u.port(), 0);
    assert!(u.path_and_query().starts_with('/'));
    assert!(!u.path_and_query().contains('#'));
    assert!(u.same_origin(u));
    assert_eq!(format!("{u:?}"), format!("Url({shown})"));
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let base_text = lines.next().unwrap_or_default();
    let base = match Url::parse(base_text) {
        Ok(u) => u,
        Err(e) => {
            assert!(!e.code().is_empty() && !e.to_string().is_empty());
            return;
        }
    };
    check(&base, base_text);
    for location in lines.take(8) {
        match base.join(location) {
            Ok(j) => {
                check(&j, location);
                let path_only = (location.starts_with('/') && !location.starts_with("//"))
                    || !(location.contains("://") || location.starts_with("//"));
                if path_only {
                    assert!(base.same_origin(&j), "{base} + {location:?} = {j}");
                }
            }
            Err(e) => assert!(!e.code().is_empty()),
        }
        if let Ok(u) = Url::parse(location) {
            check(&u, location);
            let _ = base.same_origin(&u);
        }
    }
});
