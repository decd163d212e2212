#![no_main]
//! registries.conf (v2, and v1 converted) and short-name resolution.
//!
//! Input: UTF-8 text, `CONF [\0 NAME (\n NAME)*]`. `CONF` goes to
//! `RegistriesConf::parse`; every `NAME` (plus a few fixed ones) is resolved against
//! the parsed file.
//!
//! Invariants beyond "no panic":
//! - registries come back sorted by prefix, one per prefix;
//! - every short-name candidate is a fully-qualified, strictly valid reference with a tag
//!   or digest; enforcing mode never returns more than one;
//! - `candidates_to_try` is exactly the disabled-mode resolution;
//! - a fully-qualified name resolves to itself (with `:latest` added when bare);
//! - pull sources are non-empty and each rewritten reference is strictly valid, and the
//!   registry `find_registry` picks has a prefix matching the name.
use hoist_core::reference::{
    is_short_name, parse, parse_normalized, RegistriesConf, ResolutionOrigin, ShortNameMode,
};
use hoist_core::ErrorCode;
use libfuzzer_sys::fuzz_target;

const FIXED_NAMES: &[&str] = &[
    "busybox",
    "fedora:40",
    "library/alpine",
    "quay.io/podman/stable",
    "localhost/app:1",
    "example.com:5000/ns/app@sha256:0123456789012345678901234567890123456789012345678901234567890123",
];

fn resolve(conf: &RegistriesConf, name: &str) {
    let short = is_short_name(name);
    for mode in [
        ShortNameMode::Disabled,
        ShortNameMode::Permissive,
        ShortNameMode::Enforcing,
    ] {
        match conf.short_name_candidates_with_mode(name, mode) {
            Ok(res) => {
                assert_eq!(res.mode, mode);
                assert!(!res.candidates.is_empty(), "{name:?}: no candidates");
                for c in &res.candidates {
                    assert!(c.domain().is_some(), "{name:?}: unqualified {c}");
                    assert!(!c.is_name_only(), "{name:?}: bare candidate {c}");
                    assert_eq!(parse(c.as_str()).as_ref(), Ok(c), "{name:?}: {c}");
                }
                if mode == ShortNameMode::Enforcing {
                    assert_eq!(res.candidates.len(), 1, "{name:?}: ambiguous in enforcing");
                }
                match res.origin {
                    ResolutionOrigin::FullyQualified => {
                        assert_eq!(short.as_ref().ok(), Some(&false));
                        let n = parse_normalized(name).expect("qualified name normalizes");
                        assert_eq!(res.candidates, vec![n.tag_name_only()]);
                    }
                    _ => assert_eq!(short.as_ref().ok(), Some(&true)),
                }
            }
            Err(e) => assert!(!e.code().is_empty()),
        }
    }
    let disabled = conf
        .short_name_candidates_with_mode(name, ShortNameMode::Disabled)
        .map(|r| r.candidates);
    assert_eq!(conf.candidates_to_try(name), disabled);
    let _ = conf.short_name_candidates(name);
    let _ = conf.resolve_alias(name);

    if let Some(r) = conf.find_registry(name) {
        let p = r.prefix();
        let matches = if let Some(suffix) = p.strip_prefix('*') {
            name.contains(suffix)
        } else {
            name.starts_with(p)
        };
        assert!(matches, "find_registry({name:?}) gave prefix {p:?}");
    }
    if let Ok(n) = parse_normalized(name) {
        match conf.pull_sources(&n) {
            Ok(sources) => {
                assert!(!sources.is_empty());
                for s in &sources {
                    assert_eq!(
                        parse(s.reference.as_str()).as_ref(),
                        Ok(&s.reference),
                        "pull source for {n}"
                    );
                    let _ = (s.endpoint.location(), s.endpoint.insecure());
                }
            }
            Err(e) => assert!(!e.code().is_empty()),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (conf_text, names) = text.split_once('\0').unwrap_or((text, ""));
    let conf = match RegistriesConf::parse(conf_text) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.code().is_empty() && !e.to_string().is_empty());
            return;
        }
    };

    let prefixes: Vec<&str> = conf.registries().iter().map(|r| r.prefix()).collect();
    assert!(
        prefixes.windows(2).all(|w| w[0] < w[1]),
        "registries not sorted and unique: {prefixes:?}"
    );
    for r in conf.registries() {
        let _ = (
            r.location(),
            r.insecure(),
            r.blocked(),
            r.mirror_by_digest_only(),
        );
        for m in r.mirrors() {
            let _ = (m.location(), m.pull_from_mirror().as_str());
        }
    }
    for (alias, target) in conf.aliases() {
        if let Some(t) = target {
            assert_eq!(parse(t.as_str()).as_ref(), Ok(t), "alias {alias:?}");
        }
    }
    let _ = (
        conf.unqualified_search_registries(),
        conf.short_name_mode().as_str(),
        conf.credential_helpers(),
    );

    for name in FIXED_NAMES
        .iter()
        .copied()
        .chain(names.split('\n').take(16))
    {
        resolve(&conf, name);
    }
});
