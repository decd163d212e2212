//! Scenario tests: a [`Puller`] driven end to end against the fake registry in
//! [`super::sim`], with faults injected. Every failing scenario also proves the visible
//! store is unchanged.

use super::sim::*;
use super::*;
use crate::auth::{Credentials, Secret};
use crate::digest::Digest;
use crate::media_type as mt;
use crate::platform::Platform;
use crate::reference::parse_normalized;
use crate::url::Scheme;
use crate::ErrorCode;

const REPO: &str = "library/app";

fn request(r: &str) -> PullRequest {
    PullRequest {
        reference: parse_normalized(r).expect("valid reference"),
        platform: Platform::new("linux", "amd64", ""),
    }
}

fn config() -> PullConfig {
    PullConfig {
        endpoints: vec![Endpoint {
            scheme: Scheme::Https,
            tls_verify: true,
            authority: REGISTRY.into(),
            repository: REPO.into(),
            credential_host: REGISTRY.into(),
        }],
        ..PullConfig::default()
    }
}

fn alice() -> Credentials {
    Credentials::Basic {
        username: "alice".into(),
        password: Secret::new("canary-s3cret"),
    }
}

fn pull(
    reg: &mut FakeRegistry,
    store: &mut MemStore,
    r: &str,
    cfg: PullConfig,
    creds: Credentials,
) -> Run {
    let puller = Puller::new(request(r), cfg, 1_000).expect("valid request");
    drive(puller, reg, store, creds, 1_000)
}

fn err_code(run: &Run) -> &'static str {
    match &run.result {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn anonymous_pull_by_tag() {
    let mut reg = FakeRegistry::new(REPO);
    let (md, cd) = oci_image(&mut reg, 3, "amd64", Some("v1"));
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app:v1",
        config(),
        Credentials::Anonymous,
    );
    let out = run.result.expect("pull succeeds");
    assert_eq!(out.config_digest, cd);
    assert_eq!(out.manifest_digest, md);
    assert_eq!(out.resolved_digest, md);
    assert_eq!(out.record.id, cd);
    assert_eq!(
        out.record.names,
        vec!["registry.test/library/app:v1".to_owned()]
    );
    assert_eq!(
        out.record.digests,
        vec![format!("registry.test/library/app@{md}")]
    );
    // manifest + config + 3 layers, every one hashing to its name.
    assert_eq!(store.blobs.len(), 5);
    for (d, b) in &store.blobs {
        assert_eq!(&Digest::sha256_of(b), d);
    }
    assert!(
        run.credential_requests.is_empty(),
        "no credentials asked for an anonymous registry"
    );
    // HEAD by tag first, then GET by digest.
    assert_eq!(reg.log[0].method, Method::Head);
    assert!(reg.log[1].url.ends_with(&format!("/manifests/{md}")));
    assert!(run
        .events
        .iter()
        .any(|e| matches!(e, PullEvent::Resolved { .. })));
    assert_eq!(
        run.events
            .iter()
            .filter(|e| matches!(e, PullEvent::BlobDone { .. }))
            .count(),
        3
    );
    assert!(run
        .events
        .iter()
        .any(|e| matches!(e, PullEvent::ImageRecorded { .. })));
}

#[test]
fn pull_by_digest_skips_head() {
    let mut reg = FakeRegistry::new(REPO);
    let (md, _) = oci_image(&mut reg, 1, "amd64", None);
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        &format!("registry.test/library/app@{md}"),
        config(),
        Credentials::Anonymous,
    );
    let out = run.result.expect("pull succeeds");
    assert!(out.record.names.is_empty(), "a digest pull adds no tag");
    assert_eq!(
        out.record.digests,
        vec![format!("registry.test/library/app@{md}")]
    );
    assert_eq!(reg.log[0].method, Method::Get);
}

#[test]
fn multi_platform_index_selects_platform() {
    let mut reg = FakeRegistry::new(REPO);
    let (amd, _) = oci_image(&mut reg, 1, "amd64", None);
    let (arm, arm_cfg) = oci_image(&mut reg, 2, "arm64", None);
    let size = |reg: &FakeRegistry, d: &Digest| reg.manifests[&d.to_string()].1.len();
    let index = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"manifests\":[{{\"mediaType\":\"{}\",\"digest\":\"{amd}\",\"size\":{},\"platform\":{{\"os\":\"linux\",\"architecture\":\"amd64\"}}}},{{\"mediaType\":\"{}\",\"digest\":\"{arm}\",\"size\":{},\"platform\":{{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}}}]}}",
        mt::OCI_INDEX, mt::OCI_MANIFEST, size(&reg, &amd), mt::OCI_MANIFEST, size(&reg, &arm)
    );
    let idx = reg.add_manifest(mt::OCI_INDEX, index.into_bytes(), Some("multi"));
    let mut store = MemStore::default();
    let mut req = request("registry.test/library/app:multi");
    req.platform = Platform::new("linux", "arm64", "");
    let run = drive(
        Puller::new(req, config(), 0).expect("valid"),
        &mut reg,
        &mut store,
        Credentials::Anonymous,
        0,
    );
    let out = run.result.expect("pull succeeds");
    assert_eq!(out.config_digest, arm_cfg);
    assert_eq!(out.manifest_digest, arm);
    assert_eq!(
        out.resolved_digest, idx,
        "the repo digest is the index digest, as docker and cri report"
    );
    assert!(run
        .events
        .iter()
        .any(|e| matches!(e, PullEvent::PlatformSelected { .. })));

    let mut req = request("registry.test/library/app:multi");
    req.platform = Platform::new("windows", "amd64", "");
    let mut store = MemStore::default();
    let before = store.visible();
    let run = drive(
        Puller::new(req, config(), 0).expect("valid"),
        &mut reg,
        &mut store,
        Credentials::Anonymous,
        0,
    );
    assert_eq!(err_code(&run), "no-matching-platform");
    assert_eq!(store.visible(), before);
}

#[test]
fn bearer_token_flow_asks_once_and_caches_the_token() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 4, "amd64", Some("latest"));
    reg.auth = AuthMode::Bearer;
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        alice(),
    );
    run.result.expect("pull succeeds");
    assert_eq!(run.credential_requests, vec![REGISTRY.to_owned()]);
    assert_eq!(reg.token_requests, 1, "one token serves every request");
    let token_req = reg
        .log
        .iter()
        .find(|l| l.url.contains(AUTH))
        .expect("token request");
    assert!(
        token_req
            .url
            .contains("scope=repository%3Alibrary%2Fapp%3Apull"),
        "{}",
        token_req.url
    );
    assert!(token_req.url.contains("service=registry.test"));
}

#[test]
fn basic_auth() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    reg.auth = AuthMode::Basic;
    let mut store = MemStore::default();
    pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        alice(),
    )
    .result
    .expect("ok");

    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    assert_eq!(err_code(&run), "unauthorized");
}

#[test]
fn a_401_loop_ends_unauthorized() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    reg.auth = AuthMode::BearerRejectAll;
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        alice(),
    );
    assert_eq!(err_code(&run), "unauthorized");
    assert!(reg.log.len() < 10, "bounded: {} requests", reg.log.len());
}

#[test]
fn wrong_layer_digest_fails_and_leaves_store_unchanged() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 2, "amd64", Some("latest"));
    let layer = reg
        .blobs
        .keys()
        .find(|d| reg.blobs[*d].len() == 1000)
        .expect("layer 0")
        .clone();
    reg.faults
        .push((layer.to_string(), Fault::Corrupt(vec![0u8; 1000])));
    let mut store = MemStore::default();
    let before = store.visible();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    assert_eq!(err_code(&run), "digest-mismatch");
    assert_eq!(store.visible(), before);
}

#[test]
fn a_lying_docker_content_digest_is_caught() {
    let mut reg = FakeRegistry::new(REPO);
    let (md, _) = oci_image(&mut reg, 1, "amd64", Some("latest"));
    let other = Digest::sha256_of(b"something else");
    reg.manifests
        .insert(other.to_string(), reg.manifests[&md.to_string()].clone());
    reg.faults.push((
        "/manifests/latest".into(),
        Fault::LyingDigestHeader(other.to_string()),
    ));
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    assert_eq!(err_code(&run), "digest-mismatch");
    assert!(store.blobs.is_empty());
}

#[test]
fn retries_5xx_and_honours_retry_after() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    reg.faults.push((
        "/manifests/latest".into(),
        Fault::Status {
            status: 503,
            headers: vec![],
            times: 2,
        },
    ));
    reg.faults.push((
        "/blobs/".into(),
        Fault::Status {
            status: 429,
            headers: vec![("Retry-After".into(), "3".into())],
            times: 1,
        },
    ));
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    run.result.expect("succeeds after retries");
    assert_eq!(
        run.waits,
        vec![250, 500, 3000],
        "backoff, backoff, Retry-After"
    );

    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    reg.faults.push((
        "/manifests/".into(),
        Fault::Status {
            status: 503,
            headers: vec![],
            times: 100,
        },
    ));
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    assert_eq!(err_code(&run), "registry-unavailable");
    assert_eq!(reg.log.len(), 5, "max_attempts");
}

#[test]
fn cross_origin_redirect_drops_authorization() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 2, "amd64", Some("latest"));
    reg.auth = AuthMode::Bearer;
    reg.faults
        .push(("/blobs/".into(), Fault::Redirect(format!("https://{CDN}"))));
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        alice(),
    );
    run.result.expect("succeeds via the cdn");
    let cdn: Vec<_> = reg.log.iter().filter(|l| l.url.contains(CDN)).collect();
    assert!(!cdn.is_empty());
    assert!(
        cdn.iter().all(|l| l.authorization.is_none()),
        "Authorization must not follow to another origin"
    );
    let registry_blob = reg
        .log
        .iter()
        .find(|l| l.url.contains(REGISTRY) && l.url.contains("/blobs/"))
        .expect("blob");
    assert!(registry_blob.authorization.is_some());
}

#[test]
fn https_to_http_redirect_is_refused() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    reg.faults
        .push(("/blobs/".into(), Fault::Redirect(format!("http://{CDN}"))));
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    assert_eq!(err_code(&run), "insecure-redirect");
    assert!(store.blobs.is_empty());
}

#[test]
fn redirect_loop_is_bounded() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    for _ in 0..50 {
        reg.faults.push((
            "/blobs/".into(),
            Fault::Redirect(format!("https://{REGISTRY}")),
        ));
    }
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    assert_eq!(err_code(&run), "too-many-redirects");
}

#[test]
fn oversized_manifest_is_rejected() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    reg.faults
        .push(("/manifests/".into(), Fault::Huge(5 * 1024 * 1024)));
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    assert_eq!(err_code(&run), "manifest-too-large");
}

#[test]
fn present_layers_are_skipped_after_stat() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 3, "amd64", Some("latest"));
    let mut store = MemStore::default();
    pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    )
    .result
    .expect("ok");
    reg.log.clear();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    let out = run.result.expect("ok");
    assert_eq!(out.bytes_downloaded, 0);
    assert_eq!(
        run.events
            .iter()
            .filter(|e| matches!(e, PullEvent::BlobSkipped { .. }))
            .count(),
        3
    );
    assert!(reg
        .log
        .iter()
        .all(|l| !l.url.contains("/blobs/") || l.url.contains(&out.config_digest.to_string())));
}

#[test]
fn broken_layer_transfer_resumes_with_range() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    let layer = reg
        .blobs
        .keys()
        .find(|d| reg.blobs[*d].len() == 1000)
        .expect("layer")
        .clone();
    reg.faults.push((layer.to_string(), Fault::ResetAfter(400)));
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    run.result.expect("resumes");
    let ranged: Vec<_> = reg.log.iter().filter_map(|l| l.range.clone()).collect();
    assert_eq!(ranged, vec!["bytes=400-".to_owned()]);
    assert_eq!(store.blobs[&layer], reg.blobs[&layer]);
}

#[test]
fn mirrors_are_tried_before_the_primary() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    let mut cfg = config();
    cfg.endpoints.insert(
        0,
        Endpoint {
            scheme: Scheme::Https,
            tls_verify: true,
            authority: REGISTRY.into(),
            repository: "mirror-prefix/library/app".into(),
            credential_host: REGISTRY.into(),
        },
    );
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        cfg,
        Credentials::Anonymous,
    );
    run.result.expect("falls back to the primary");
    assert!(reg.log[0].url.contains("mirror-prefix"));
    assert!(reg.log.iter().any(|l| l.url.contains("/v2/library/app/")));
}

#[test]
fn unknown_tag_is_manifest_unknown() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app:nope",
        config(),
        Credentials::Anonymous,
    );
    assert_eq!(err_code(&run), "manifest-unknown");
}

#[test]
fn secrets_never_reach_errors_or_events() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    reg.auth = AuthMode::BearerRejectAll;
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        alice(),
    );
    let text = format!(
        "{:?} {} {:?}",
        run.result.as_ref().err(),
        run.result
            .as_ref()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default(),
        run.events
    );
    assert!(!text.contains("canary-s3cret"));
    assert!(
        !text.contains("Y2FuYXJ5LXMzY3JldA"),
        "base64 of the password"
    );
}

#[test]
fn errors_are_sticky() {
    let mut p = Puller::new(request("registry.test/library/app:nope"), config(), 0).expect("valid");
    // Feed garbage: an answer for a request that was never sent.
    let e = p
        .handle_input(Input::HttpBody {
            id: RequestId(999),
            bytes: vec![],
            now: 0,
        })
        .expect_err("contract violation");
    assert_eq!(e.code(), "host-contract-violation");
    assert_eq!(p.poll_output().expect_err("sticky"), e);
    assert_eq!(p.handle_input(Input::Timeout(5)).expect_err("sticky"), e);
}

#[test]
fn truncated_layer_body_is_a_size_mismatch() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    let layer = reg
        .blobs
        .keys()
        .find(|d| reg.blobs[*d].len() == 1000)
        .expect("layer")
        .clone();
    // A body that ends early but "cleanly": the registry sends fewer bytes than declared.
    let short = reg.blobs[&layer][..600].to_vec();
    reg.faults.push((layer.to_string(), Fault::Corrupt(short)));
    let mut store = MemStore::default();
    let before = store.visible();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        config(),
        Credentials::Anonymous,
    );
    assert_eq!(err_code(&run), "size-mismatch");
    assert_eq!(store.visible(), before);
}

#[test]
fn foreign_layers_are_fetched_without_credentials_or_refused() {
    let build = |reg: &mut FakeRegistry| {
        let layer: Vec<u8> = (0..777u32).map(|i| (i * 3) as u8).collect();
        let ld = reg.add_blob(layer);
        let config = format!(
            "{{\"architecture\":\"amd64\",\"os\":\"windows\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{}\"]}}}}",
            Digest::sha256_of(b"diff")
        );
        let csize = config.len();
        let cd = reg.add_blob(config.into_bytes());
        let manifest = format!(
            "{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"config\":{{\"mediaType\":\"{}\",\"digest\":\"{cd}\",\"size\":{csize}}},\"layers\":[{{\"mediaType\":\"{}\",\"digest\":\"{ld}\",\"size\":777,\"urls\":[\"https://{CDN}/foreign/{ld}\"]}}]}}",
            mt::DOCKER_MANIFEST,
            mt::DOCKER_CONFIG,
            mt::DOCKER_FOREIGN_LAYER_TAR_GZIP
        );
        reg.add_manifest(mt::DOCKER_MANIFEST, manifest.into_bytes(), Some("win"));
    };
    let mut reg = FakeRegistry::new(REPO);
    build(&mut reg);
    reg.auth = AuthMode::Bearer;
    let mut store = MemStore::default();
    let mut req = request("registry.test/library/app:win");
    req.platform = Platform::new("windows", "amd64", "");
    let run = drive(
        Puller::new(req.clone(), config(), 0).expect("valid"),
        &mut reg,
        &mut store,
        alice(),
        0,
    );
    run.result.expect("foreign layer fetched");
    let foreign: Vec<_> = reg
        .log
        .iter()
        .filter(|l| l.url.contains("/foreign/"))
        .collect();
    assert_eq!(foreign.len(), 1);
    assert!(
        foreign[0].authorization.is_none(),
        "no credentials to foreign URLs"
    );

    let mut reg = FakeRegistry::new(REPO);
    build(&mut reg);
    let mut store = MemStore::default();
    let cfg = PullConfig {
        allow_foreign_layers: false,
        ..config()
    };
    let run = drive(
        Puller::new(req, cfg, 0).expect("valid"),
        &mut reg,
        &mut store,
        Credentials::Anonymous,
        0,
    );
    assert_eq!(err_code(&run), "foreign-layer-refused");
    assert!(store.blobs.is_empty());
}

fn insecure_config() -> PullConfig {
    let conf = crate::reference::RegistriesConf::parse(
        "[[registry]]\nlocation = \"registry.test\"\ninsecure = true\n",
    )
    .expect("conf");
    let reference = parse_normalized("registry.test/library/app").expect("ref");
    PullConfig {
        endpoints: Endpoint::for_reference(&reference, Some(&conf), false).expect("endpoints"),
        ..PullConfig::default()
    }
}

#[test]
fn insecure_registry_is_https_unverified_then_plain_http() {
    let eps = insecure_config().endpoints;
    assert_eq!(eps.len(), 2, "{eps:?}");
    assert_eq!((eps[0].scheme, eps[0].tls_verify), (Scheme::Https, false));
    assert_eq!((eps[1].scheme, eps[1].tls_verify), (Scheme::Http, false));
    // --plain-http wins over insecure: one plain endpoint.
    let conf = crate::reference::RegistriesConf::parse(
        "[[registry]]\nlocation = \"registry.test\"\ninsecure = true\n",
    )
    .expect("conf");
    let reference = parse_normalized("registry.test/library/app").expect("ref");
    let eps = Endpoint::for_reference(&reference, Some(&conf), true).expect("endpoints");
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0].scheme, Scheme::Http);
    // A registry not marked insecure is verified HTTPS only.
    let eps = Endpoint::for_reference(
        &parse_normalized("other.test/app").expect("ref"),
        Some(&conf),
        false,
    )
    .expect("endpoints");
    assert_eq!(eps.len(), 1);
    assert_eq!((eps[0].scheme, eps[0].tls_verify), (Scheme::Https, true));
}

#[test]
fn insecure_registry_falls_back_to_http_at_once() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    reg.https_fails = true;
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        insecure_config(),
        Credentials::Anonymous,
    );
    run.result.expect("falls back to plain http");
    let (first_url, first_verify) = &reg.tls_verify_log[0];
    assert!(
        first_url.starts_with("https://registry.test/"),
        "{first_url}"
    );
    assert!(!first_verify);
    // No backoff before the fallback, and every later request is plain HTTP.
    assert!(run.waits.is_empty(), "{:?}", run.waits);
    assert!(reg.tls_verify_log[1..]
        .iter()
        .all(|(u, _)| u.starts_with("http://registry.test/")));
}

#[test]
fn insecure_skips_verification_only_for_the_registry_origin() {
    let mut reg = FakeRegistry::new(REPO);
    oci_image(&mut reg, 1, "amd64", Some("latest"));
    reg.auth = AuthMode::Bearer;
    let mut store = MemStore::default();
    let run = pull(
        &mut reg,
        &mut store,
        "registry.test/library/app",
        insecure_config(),
        alice(),
    );
    run.result.expect("pulls over unverified https");
    assert!(reg.token_requests > 0);
    for (url, verify) in &reg.tls_verify_log {
        let registry = url.starts_with("https://registry.test/");
        assert_eq!(*verify, !registry, "{url}");
    }
}
