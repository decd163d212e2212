#![no_main]
//! Image references, Docker normalization, transports and ID prefixes.
//!
//! Input: UTF-8 text, `REF [\n TAG [\n DIGEST]]`. Every parser sees `REF`; `TAG` and
//! `DIGEST` feed `with_tag` / `with_digest` on whatever parsed.
//!
//! Invariants beyond "no panic":
//! - strict `parse`: the value prints as its input, reparses equal with equal parts, and
//!   `name`/`tag`/`digest` rebuild it; `trim`, `canonical`, `with_tag`, `with_digest` and
//!   serde all produce strings that reparse to the same value;
//! - `parse_normalized` is idempotent, its output is strictly valid and `parse_named`
//!   accepts it; the familiar form normalizes back (outside Docker's known asymmetries);
//! - `parse_docker_ref` never keeps both tag and digest and never returns a bare name;
//! - `ImageLocation`: `parse(display(x)) == x`;
//! - `IdPrefix`: prints as the hex it was given and matches IDs that start with it.
use hoist_core::digest::{Algorithm, Digest};
use hoist_core::id::{looks_like_id, IdPrefix};
use hoist_core::reference::{
    is_identifier, is_short_name, parse, parse_docker_ref, parse_named, parse_normalized,
    ImageLocation, Reference, DEFAULT_TAG,
};
use hoist_core::ErrorCode;
use libfuzzer_sys::fuzz_target;

fn check_strict(r: &Reference, input: &str) {
    assert_eq!(r.as_str(), input);
    let shown = r.to_string();
    assert_eq!(shown, input);
    let again = parse(&shown).expect("display reparses");
    assert_eq!(&again, r);
    assert_eq!(again.domain(), r.domain());
    assert_eq!(again.path(), r.path());
    assert_eq!(again.tag(), r.tag());
    assert_eq!(again.digest(), r.digest());
    check_parts(r);
}

/// The parts rebuild the string, and every derived reference reparses to itself.
fn check_parts(r: &Reference) {
    let mut rebuilt = r.name().to_owned();
    if let Some(t) = r.tag() {
        rebuilt.push(':');
        rebuilt.push_str(t);
    }
    if let Some(d) = r.digest() {
        rebuilt.push('@');
        rebuilt.push_str(d.as_str());
    }
    assert_eq!(rebuilt, r.as_str());
    match r.domain() {
        Some(d) => assert_eq!(r.name(), format!("{d}/{}", r.path())),
        None => assert_eq!(r.name(), r.path()),
    }
    assert_eq!(r.is_name_only(), r.tag().is_none() && r.digest().is_none());

    let trimmed = r.trim();
    assert!(trimmed.is_name_only());
    assert_eq!(trimmed.as_str(), r.name());
    assert_eq!(parse(trimmed.as_str()).as_ref(), Ok(&trimmed));
    assert_eq!(Reference::parse_name(r.name()).as_ref(), Ok(&trimmed));

    let canonical = r.canonical();
    assert_eq!(canonical, r.tag_name_only().as_str());
    let c = parse(&canonical).expect("canonical reparses");
    assert!(!c.is_name_only());
    if r.is_name_only() {
        assert_eq!(c.tag(), Some(DEFAULT_TAG));
    }

    let json = serde_json::to_string(r).expect("serialize");
    let back: Reference = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(&back, r);
    assert_eq!(r.as_str().parse::<Reference>().as_ref(), Ok(r));
}

fn check_with(r: &Reference, tag: Option<&str>, digest: Option<&Digest>) {
    if let Some(tag) = tag {
        match r.with_tag(tag) {
            Ok(t) => {
                assert_eq!(t.tag(), Some(tag));
                assert_eq!(t.digest(), r.digest());
                assert_eq!(t.name(), r.name());
                assert_eq!(parse(t.as_str()).as_ref(), Ok(&t), "with_tag {tag:?}");
                check_parts(&t);
            }
            Err(e) => assert_eq!(e.code(), "invalid-tag-format"),
        }
    }
    if let Some(d) = digest {
        let t = r.with_digest(d.clone());
        assert_eq!(t.digest(), Some(d));
        assert_eq!(t.tag(), r.tag());
        assert_eq!(t.name(), r.name());
        assert_eq!(parse(t.as_str()).as_ref(), Ok(&t), "with_digest {d}");
        check_parts(&t);
    }
}

fn check_normalized(n: &Reference) {
    // No domain assertion: like Go's ParseNormalizedNamed, a first component that looks
    // like a domain (it has a `.`) but is not one (`a_b.c/d`) is kept as a path component,
    // so the normalized reference has no domain.
    assert_eq!(parse(n.as_str()).as_ref(), Ok(n), "normalized is strict");
    assert_eq!(parse_normalized(n.as_str()).as_ref(), Ok(n), "idempotent");
    assert_eq!(
        parse_named(n.as_str()).as_ref(),
        Ok(n),
        "canonical is named"
    );
    check_parts(n);
    let familiar = n.familiar();
    assert!(familiar.starts_with(n.familiar_name()));
    // Docker's familiar form is lossy for a Docker Hub namespace that looks like a
    // registry, and for a 64-hex official image name (Go has both asymmetries).
    let first = familiar.split_once('/').map(|(f, _)| f);
    let lossy = first.is_some_and(|f| {
        f.contains(['.', ':']) || f == "localhost" || f.chars().any(|c| c.is_uppercase())
    }) || is_identifier(n.familiar_name());
    if !lossy {
        let again = parse_normalized(familiar).expect("familiar form normalizes");
        assert_eq!(&again, n, "familiar {familiar:?}");
    }
}

fn check_location(s: &str) {
    let Ok(loc) = ImageLocation::parse(s) else {
        return;
    };
    let printed = loc.to_string();
    assert_eq!(
        ImageLocation::parse(&printed).as_ref(),
        Ok(&loc),
        "location {s:?} printed as {printed:?}"
    );
    let _ = loc.transport();
}

fn check_id_prefix(s: &str) {
    let _ = looks_like_id(s);
    let Ok(p) = IdPrefix::parse(s) else {
        return;
    };
    assert_eq!(s.strip_prefix("sha256:").unwrap_or(s), p.as_str());
    assert_eq!(p.to_string(), p.as_str());
    assert_eq!(p.is_full(), p.as_str().len() == 64);
    let mut hex = p.as_str().to_owned();
    while hex.len() < 64 {
        hex.push('0');
    }
    let id = Digest::parse(&format!("sha256:{hex}")).expect("padded prefix is an id");
    assert!(p.matches(&id));
    assert!(!p.matches(&Digest::of(Algorithm::Sha512, s.as_bytes())));
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(3, '\n');
    let s = lines.next().unwrap_or_default();
    let tag = lines.next();
    let digest = lines.next().and_then(|d| Digest::parse(d).ok());

    match parse(s) {
        Ok(r) => {
            check_strict(&r, s);
            check_with(&r, tag, digest.as_ref());
        }
        Err(e) => assert!(!e.code().is_empty() && !e.to_string().is_empty()),
    }
    if let Ok(r) = Reference::parse_name(s) {
        assert!(r.is_name_only());
        check_strict(&r, s);
    }
    if let Ok(n) = parse_normalized(s) {
        check_normalized(&n);
        check_with(&n, tag, digest.as_ref());
    }
    if let Ok(n) = parse_named(s) {
        assert_eq!(n.as_str(), s);
    }
    if let Ok(d) = parse_docker_ref(s) {
        assert!(!(d.tag().is_some() && d.digest().is_some()));
        assert!(!d.is_name_only());
        assert_eq!(parse_docker_ref(d.as_str()).as_ref(), Ok(&d));
    }
    // A short name is any strict reference without a registry-like domain.
    if let Ok(short) = is_short_name(s) {
        let r = parse(s).expect("is_short_name parsed it");
        let qualified = r
            .domain()
            .is_some_and(|d| d.contains(['.', ':']) || d == "localhost");
        assert_eq!(short, !qualified, "is_short_name({s:?})");
    }
    check_location(s);
    check_id_prefix(s);
    if let Some(tag) = tag {
        check_location(tag);
    }
});
