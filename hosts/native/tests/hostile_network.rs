//! Hostile networks: servers that stall, trickle, drop connections, redirect where they
//! should not, and rate-limit. Failures assert the error code, a byte-identical store, an
//! unmoved tag and the canary nowhere; recoveries assert that the pull completes, the tag
//! moves, `fsck` is clean, and what the registry saw (Range, Authorization per origin,
//! the Retry-After pause).
#![allow(clippy::unwrap_used)]

mod hostile_support;

use std::time::Duration;

use hoist_testkit::fake::{truncated, Body, FakeRegistry, ImageParts, Reply, Seen, OCI_MANIFEST};
use hostile_support::{origin_of, Case, REPO, TAG};
use serde_json::json;

fn evil() -> ImageParts {
    ImageParts::new(2, &[40_000, 60_000])
}

/// The pull succeeds, the tag now names `parts`, and the store checks clean.
fn expect_success(case: &Case, parts: &ImageParts) {
    let out = case.pull(&case.reference());
    assert!(out.ok(), "{}", out.all());
    out.assert_no_canary();
    assert_eq!(out.stdout().trim(), parts.id());
    assert_eq!(case.tagged_id().as_deref(), Some(parts.id().as_str()));
    let fsck = case.hoist(&["fsck"]);
    assert!(fsck.ok(), "{}", fsck.all());
    hostile_support::assert_store_has_no_canary(&case.store());
}

#[test]
fn slow_loris_that_never_answers() {
    let case = Case::new();
    case.fake
        .rule(|seen, _| seen.is_manifest().then(Reply::hang));
    let out = case.expect_failure("timeout");
    // Bounded: five attempts of a 2 s idle timeout plus backoff, far from forever.
    assert!(out.took < Duration::from_secs(30), "{:?}", out.took);
    let tries = case.fake.log().iter().filter(|s| s.is_manifest()).count();
    assert!((2..=5).contains(&tries), "{tries} attempts");
}

#[test]
fn slow_loris_that_stalls_mid_body() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    case.fake
        .mangle_blob(&parts.layer_digest(1), usize::MAX, |b| Body::Stall {
            bytes: b[..10].to_vec(),
            declared: b.len() as u64,
        });
    case.expect_failure("timeout");
}

#[test]
fn slow_loris_that_trickles_under_the_idle_timeout() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    // One byte every 300 ms never trips a 2 s idle timeout; the document deadline must.
    case.fake
        .mangle_manifest(TAG, usize::MAX, |b| Body::Trickle {
            bytes: b.to_vec(),
            chunk: 1,
            every: Duration::from_millis(300),
        });
    let out = case.expect_failure_of(&case.reference(), "timeout", &["--document-timeout", "1s"]);
    assert!(out.took < Duration::from_secs(30), "{:?}", out.took);
}

#[test]
fn redirect_to_another_origin_drops_authorization() {
    let mut fake = FakeRegistry::start(REPO).unwrap();
    let cdn = fake.add_origin("127.0.0.2", false).unwrap();
    let case = Case::with_fake(fake, true);
    let parts = evil();
    case.serve(&parts);
    let registry = case.fake.host();
    let to = cdn.clone();
    case.fake.rule(move |seen, _| {
        (seen.origin == registry && seen.path().contains("/blobs/")).then(|| {
            let digest = seen.path().rsplit('/').next().unwrap();
            Reply::redirect(&format!("{to}/cdn/{digest}"))
        })
    });
    expect_success(&case, &parts);
    let on_cdn = case.requests_on(&origin_of(&cdn));
    assert!(!on_cdn.is_empty(), "blobs came from the other origin");
    assert!(
        on_cdn.iter().all(|s| !s.authorization),
        "Authorization followed a redirect: {on_cdn:?}"
    );
    let on_registry = case.requests_on(&case.fake.host());
    assert!(on_registry.iter().any(|s| s.authorization));
}

#[test]
fn redirect_from_https_to_http_is_refused() {
    let mut fake = FakeRegistry::start_tls(REPO).unwrap();
    let plain = fake.add_origin("127.0.0.1", false).unwrap();
    let case = Case::with_fake(fake, true);
    let parts = evil();
    case.serve(&parts);
    let to = plain.clone();
    case.fake.rule(move |seen, _| {
        (seen.tls && seen.path().contains("/blobs/")).then(|| {
            let digest = seen.path().rsplit('/').next().unwrap();
            Reply::redirect(&format!("{to}/cdn/{digest}"))
        })
    });
    case.expect_failure("insecure-redirect");
    assert!(
        case.requests_on(&origin_of(&plain)).is_empty(),
        "nothing is sent over plain http"
    );
}

#[test]
fn redirect_loop() {
    let mut fake = FakeRegistry::start(REPO).unwrap();
    let other = fake.add_origin("127.0.0.3", false).unwrap();
    let case = Case::with_fake(fake, true);
    let parts = evil();
    case.serve(&parts);
    let back = case.fake.url();
    let other_origin = origin_of(&other);
    case.fake.rule(move |seen, _| {
        if !seen.is_blob() {
            return None;
        }
        let digest = seen.path().rsplit('/').next().unwrap().to_owned();
        Some(if seen.origin == other_origin {
            Reply::redirect(&format!("{back}/v2/{REPO}/blobs/{digest}"))
        } else {
            Reply::redirect(&format!("{other}/cdn/{digest}"))
        })
    });
    case.expect_failure("too-many-redirects");
    let hops = case.fake.log().iter().filter(|s| s.is_blob()).count();
    assert!(hops <= 4 * 12, "redirects are bounded: {hops}");
}

#[test]
fn too_many_requests_with_retry_after_then_success() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    case.fake.times(1, |seen, _| {
        seen.is_manifest()
            .then(|| Reply::error(429, "TOOMANYREQUESTS").header("Retry-After", "1"))
    });
    expect_success(&case, &parts);
    let manifest_times: Vec<Seen> = case
        .fake
        .log()
        .into_iter()
        .filter(Seen::is_manifest)
        .collect();
    assert!(manifest_times.len() >= 2, "{manifest_times:?}");
}

#[test]
fn retry_after_is_honoured() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    case.fake.times(1, |seen, _| {
        seen.is_manifest()
            .then(|| Reply::error(429, "TOOMANYREQUESTS").header("Retry-After", "2"))
    });
    let out = case.pull(&case.reference());
    assert!(out.ok(), "{}", out.all());
    assert!(
        out.took >= Duration::from_secs(2),
        "waited only {:?}",
        out.took
    );
}

#[test]
fn too_many_requests_forever() {
    let case = Case::new();
    case.fake.rule(|seen, _| {
        seen.is_manifest()
            .then(|| Reply::error(429, "TOOMANYREQUESTS").header("Retry-After", "0"))
    });
    case.expect_failure("too-many-requests");
    let tries = case.fake.log().iter().filter(|s| s.is_manifest()).count();
    assert_eq!(tries, 5, "the retry policy's five attempts");
}

#[test]
fn server_errors_then_success() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    case.fake
        .times(2, |seen, _| seen.is_manifest().then(|| Reply::status(503)));
    let d = parts.layer_digest(0);
    case.fake.times(2, move |seen, _| {
        seen.path().ends_with(&d).then(|| Reply::status(500))
    });
    expect_success(&case, &parts);
    let blob0 = case
        .fake
        .log()
        .iter()
        .filter(|s| s.path().ends_with(&parts.layer_digest(0)))
        .count();
    assert_eq!(blob0, 3, "two 500s, then the blob");
}

#[test]
fn connection_reset_mid_layer_resumes_with_range() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    let half = parts.layers[1].len() / 2;
    case.fake
        .mangle_blob(&parts.layer_digest(1), 1, move |b| truncated(b, half));
    expect_success(&case, &parts);
    let gets: Vec<Seen> = case
        .fake
        .log()
        .into_iter()
        .filter(|s| s.path().ends_with(&parts.layer_digest(1)))
        .collect();
    assert_eq!(gets.len(), 2, "{gets:?}");
    assert_eq!(gets[0].header("range"), None);
    let range = gets[1].header("range").unwrap_or_default().to_owned();
    let start: usize = range
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a Range resume, got {range:?}"));
    assert!(start > 0 && start <= half, "resumed at {start} of {half}");
}

#[test]
fn foreign_layer_urls_are_fetched_without_credentials() {
    let mut fake = FakeRegistry::start(REPO).unwrap();
    let foreign = fake.add_origin("127.0.0.3", false).unwrap();
    let case = Case::with_fake(fake, true);
    let mut parts = evil();
    let d = parts.layer_digest(0);
    parts.manifest["layers"][0]["urls"] = json!([format!("{foreign}/cdn/{d}")]);
    parts.manifest["layers"][0]["mediaType"] =
        json!("application/vnd.oci.image.layer.nondistributable.v1.tar");
    case.serve(&parts);
    // The registry itself does not have the foreign layer.
    let dd = d.clone();
    let registry = case.fake.host();
    case.fake.rule(move |seen, _| {
        (seen.origin == registry && seen.path().ends_with(&dd))
            .then(|| Reply::error(404, "BLOB_UNKNOWN"))
    });
    expect_success(&case, &parts);
    let on_foreign = case.requests_on(&origin_of(&foreign));
    assert!(!on_foreign.is_empty(), "the foreign URL was used");
    assert!(
        on_foreign.iter().all(|s| !s.authorization),
        "{on_foreign:?}"
    );
}

#[test]
fn foreign_layer_url_with_another_scheme_is_refused() {
    let case = Case::new();
    let mut parts = evil();
    let d = parts.layer_digest(0);
    parts.manifest["layers"][0]["urls"] = json!([format!("file:///etc/{d}")]);
    parts.manifest["layers"][0]["mediaType"] =
        json!("application/vnd.oci.image.layer.nondistributable.v1.tar");
    let registry = case.fake.host();
    case.serve(&parts);
    case.fake.rule(move |seen, _| {
        (seen.origin == registry && seen.path().ends_with(&d))
            .then(|| Reply::error(404, "BLOB_UNKNOWN"))
    });
    case.expect_failure("invalid-url");
    assert!(case.store().join("etc").read_dir().is_err());
}

#[test]
fn manifest_content_type_is_only_a_hint_never_a_path() {
    // A Docker-Content-Digest that is not a digest at all never becomes a path.
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    case.fake.rule(|seen, content| {
        seen.is_manifest().then(|| {
            let mut r = content.manifest(TAG);
            r.headers.retain(|(k, _)| k != "Docker-Content-Digest");
            r.header("Docker-Content-Digest", "sha256:../../../../etc/passwd")
                .header("Content-Type", OCI_MANIFEST)
        })
    });
    let before = case.snapshot();
    let out = case.pull(&case.reference());
    eprintln!("OUTCOME {}", out.all());
    out.assert_no_canary();
    if out.ok() {
        assert_eq!(case.tagged_id().as_deref(), Some(parts.id().as_str()));
    } else {
        case.assert_unchanged(&before);
    }
    assert!(!case.store().join("etc").exists());
}

#[test]
fn server_that_ignores_range_restarts_the_layer() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    let d = parts.layer_digest(1);
    let half = parts.layers[1].len() / 2;
    case.fake.mangle_blob(&d, 1, move |b| truncated(b, half));
    // Every later answer is the whole blob with 200, whatever Range asked for.
    let dd = d.clone();
    case.fake.rule(move |seen, content| {
        (seen.is_blob() && seen.path().ends_with(&dd)).then(|| content.blob(&dd, None))
    });
    expect_success(&case, &parts);
    let gets: Vec<Seen> = case
        .fake
        .log()
        .into_iter()
        .filter(|s| s.path().ends_with(&d))
        .collect();
    assert_eq!(gets.len(), 2, "{gets:?}");
    assert!(gets[1].header("range").is_some(), "a resume was asked for");
}

#[test]
fn content_range_that_lies_is_caught() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    let d = parts.layer_digest(1);
    let half = parts.layers[1].len() / 2;
    case.fake.mangle_blob(&d, 1, move |b| truncated(b, half));
    // The resume answer claims to continue where asked but sends the blob from byte 0.
    let dd = d.clone();
    case.fake.times(1, move |seen, content| {
        let range = seen.header("range")?.to_owned();
        if !seen.path().ends_with(&dd) {
            return None;
        }
        let full = content.blob(&dd, None);
        let bytes = full.bytes()?.to_vec();
        let start = range
            .trim_start_matches("bytes=")
            .trim_end_matches('-')
            .to_owned();
        Some(Reply::new(206, bytes.clone()).header(
            "Content-Range",
            format!("bytes {start}-{}/{}", bytes.len() - 1, bytes.len()),
        ))
    });
    // The extra bytes overrun the declared size: caught as it streams, never stored.
    let out = case.expect_failure("size-mismatch");
    assert!(out.stderr().contains(&d), "{}", out.all());
}
