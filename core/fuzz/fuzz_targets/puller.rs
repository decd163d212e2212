#![no_main]
//! `Puller` fed arbitrary input sequences: the fuzzer plays the host and the registry.
//!
//! Input: a byte stream read by a cursor. At every `Wait` the next byte picks which
//! outstanding request (HTTP head, body, store op, credential lookup) to answer, or a
//! timeout, or a contract-breaking input (an unknown id, a repeated answer, a progress
//! report for nothing). Each answer is built from further bytes: a status from a list of
//! interesting ones, headers from a menu (content types, true and lying
//! `Docker-Content-Digest`, `Location` to the same origin, another origin, http, garbage,
//! `WWW-Authenticate` with good and hostile realms, `Retry-After`, rate-limit headers),
//! and a body that is either one of the fixture image's real documents (so the walk gets
//! deep: index → manifest → config → layers) or raw fuzz bytes. Stream answers are staged,
//! or failures with any staged offset.
//!
//! Invariants beyond "no panic":
//! - once a call fails, every later call returns the same error;
//! - `poll_output` without input returns `Wait` within a bounded number of outputs (no
//!   output storm), and never `Wait { until: None }` with nothing outstanding (a deadlock:
//!   the host could never make progress);
//! - after `Timeout(now)` has reached a `Wait { until: Some(t) }` deadline, the machine
//!   acts (some output other than `Wait`) or moves the deadline past `now`: no busy spin;
//! - every request goes to an `http(s)` URL, and the secret password never shows up in the
//!   `Debug` output of any output, event, outcome or error, nor in a non-secret header
//!   (skipped for inputs that contain the password themselves: then the network said it);
//! - Authorization is never sent to an origin other than the registry or the token realm
//!   the registry named, and never over plain http after an https hop;
//! - a `Done` outcome names only the fixture's digests: nothing unverified is recorded.
use std::collections::BTreeMap;

use base64::Engine as _;
use hoist_core::auth::{Credentials, Secret};
use hoist_core::digest::Digest;
use hoist_core::platform::Platform;
use hoist_core::pull::{
    BodyAction, CredentialId, Failure, Input, Output, PullConfig, PullRequest, Puller, RequestId,
    ResponseHead, RetryPolicy, StoreOp, StoreOpId, StoreResult, TransportFailure,
};
use hoist_core::reference::parse_normalized;
use hoist_core::store::ImageRecord;
use hoist_core::ErrorCode;
use libfuzzer_sys::fuzz_target;

const PASSWORD: &str = "canary-Pw-7f3a91";
const REGISTRY: &str = "registry.test";

struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn pick<'l, T>(&mut self, list: &'l [T]) -> Option<&'l T> {
        let b = self.byte()?;
        list.get(usize::from(b) % list.len())
    }
    fn bytes(&mut self) -> Vec<u8> {
        let n = usize::from(self.byte().unwrap_or(0)) * 4;
        let n = n.min(self.0.len());
        let (a, rest) = self.0.split_at(n);
        self.0 = rest;
        a.to_vec()
    }
}

/// A small, valid single-platform image and an index over it.
struct Fixture {
    layer: Vec<u8>,
    config: Vec<u8>,
    manifest: Vec<u8>,
    index: Vec<u8>,
    layer_d: Digest,
    config_d: Digest,
    manifest_d: Digest,
    index_d: Digest,
}

impl Fixture {
    fn new() -> Fixture {
        let layer = b"not really a tarball, but the digest is what counts".to_vec();
        let layer_d = Digest::sha256_of(&layer);
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":["{layer_d}"]}}}}"#
        )
        .into_bytes();
        let config_d = Digest::sha256_of(&config);
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_d}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_d}","size":{}}}]}}"#,
            config.len(),
            layer.len()
        )
        .into_bytes();
        let manifest_d = Digest::sha256_of(&manifest);
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_d}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
            manifest.len()
        )
        .into_bytes();
        let index_d = Digest::sha256_of(&index);
        Fixture {
            layer,
            config,
            manifest,
            index,
            layer_d,
            config_d,
            manifest_d,
            index_d,
        }
    }
}

const STATUSES: &[u16] = &[
    200, 200, 200, 200, 206, 301, 302, 307, 308, 401, 401, 403, 404, 408, 416, 429, 500, 503, 504,
    0, 99, 999, 204,
];

fn content_types() -> &'static [&'static str] {
    &[
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/json",
        "text/html",
        "",
    ]
}

fn header(c: &mut Cursor, f: &Fixture) -> Option<(String, String)> {
    let digests = [
        &f.index_d,
        &f.manifest_d,
        &f.config_d,
        &f.layer_d,
        &f.layer_d,
    ];
    let kind = c.byte()?;
    let h = |k: &str, v: String| Some((k.to_owned(), v));
    match kind % 16 {
        0 => h("Content-Type", (*c.pick(content_types())?).to_owned()),
        1 => h("Docker-Content-Digest", c.pick(&digests)?.to_string()),
        2 => h("Docker-Content-Digest", String::from_utf8_lossy(&c.bytes()).into_owned()),
        3 => h("Location", format!("/v2/repo/blobs/{}", c.pick(&digests)?)),
        4 => h("Location", format!("https://cdn.test/blob/{}", c.pick(&digests)?)),
        5 => h("Location", format!("http://{REGISTRY}/v2/repo/blobs/x")),
        6 => h("Location", String::from_utf8_lossy(&c.bytes()).into_owned()),
        7 => h(
            "WWW-Authenticate",
            format!(
                r#"Bearer realm="{}",service="{REGISTRY}",scope="repository:repo:pull""#,
                c.pick(&[
                    "https://auth.test/token",
                    "http://auth.test/token",
                    "ftp://auth.test/token",
                    "https://registry.test/token",
                    "/token",
                    "",
                ])?
            ),
        ),
        8 => h("WWW-Authenticate", format!(r#"Basic realm="{REGISTRY}""#)),
        9 => h("WWW-Authenticate", String::from_utf8_lossy(&c.bytes()).into_owned()),
        10 => h("Retry-After", c.byte()?.to_string()),
        11 => h("Date", "Sun, 06 Nov 1994 08:49:37 GMT".to_owned()),
        12 => h("Content-Length", c.byte()?.to_string()),
        13 => h("RateLimit-Remaining", format!("{};w=21600", c.byte()?)),
        14 => h("Content-Range", format!("bytes {}-50/51", c.byte()?)),
        _ => {
            let name = String::from_utf8_lossy(&c.bytes()).into_owned();
            h(&name, String::from_utf8_lossy(&c.bytes()).into_owned())
        }
    }
}

fn body(c: &mut Cursor, f: &Fixture, limit: u64) -> Vec<u8> {
    let token = format!(r#"{{"token":"tok-{PASSWORD}-x","expires_in":300}}"#).into_bytes();
    let mut b = match c.byte().unwrap_or(0) % 8 {
        0 => f.index.clone(),
        1 => f.manifest.clone(),
        2 => f.config.clone(),
        3 => br#"{"token":"abc","expires_in":60}"#.to_vec(),
        4 => token,
        5 => br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"x"}]}"#.to_vec(),
        _ => c.bytes(),
    };
    b.truncate(usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX));
    b
}

enum Pending {
    Head(RequestId),
    Body(RequestId, BodyAction),
    Store(StoreOpId, StoreOp),
    Creds(CredentialId),
}

/// Where an `Authorization` header may go: the registry and the token realm it names, both
/// over https (the registry endpoint is https; an http realm must be refused).
const AUTH_ORIGINS: &[&str] = &["https://registry.test", "https://auth.test"];

fn check_output(o: &Output, f: &Fixture, planted: bool) {
    let dbg = format!("{o:?}");
    assert!(planted || !dbg.contains(PASSWORD), "secret in {dbg}");
    match o {
        Output::Http(r) => {
            let scheme = r.url.scheme().as_str();
            assert!(scheme == "http" || scheme == "https", "{dbg}");
            for (k, v) in &r.headers {
                if k == "authorization" {
                    let origin = format!("{}://{}", scheme, r.url.authority());
                    assert!(AUTH_ORIGINS.contains(&origin.as_str()), "authorization sent to {origin}");
                } else {
                    assert!(planted || !v.expose().contains(PASSWORD), "{k} carries the secret");
                }
            }
        }
        Output::Done(outcome) => {
            assert_eq!(outcome.manifest_digest, f.manifest_d);
            assert_eq!(outcome.config_digest, f.config_d);
            assert_eq!(outcome.record.id, f.config_d);
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let f = Fixture::new();
    // When the input itself carries the password (comparison-guided mutation finds it),
    // seeing it echoed in a URL or header excerpt is no leak: skip the secret checks.
    let planted = data.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes());
    let mut c = Cursor(data);
    let Some(mode) = c.byte() else { return };
    let reference = match mode % 4 {
        0 => format!("{REGISTRY}/repo:tag"),
        1 => format!("{REGISTRY}/repo@{}", f.index_d),
        2 => format!("{REGISTRY}/repo@{}", f.manifest_d),
        _ => format!("{REGISTRY}/repo:tag@{}", f.manifest_d),
    };
    let request = PullRequest {
        reference: parse_normalized(&reference).expect("fixed reference"),
        platform: Platform::new("linux", "amd64", ""),
    };
    let mut config = PullConfig {
        max_concurrent_blobs: usize::from(mode >> 2 & 3) + 1,
        allow_foreign_layers: mode & 16 != 0,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay_ms: 10,
            max_delay_ms: 100,
            max_retry_after_ms: 1000,
        },
        ..PullConfig::default()
    };
    config.limits.max_manifest_bytes = 4096;
    config.limits.max_config_bytes = 4096;
    config.limits.max_token_bytes = 512;
    config.limits.max_error_body_bytes = 256;
    let mut now = 0u64;
    let mut p = match Puller::new(request, config, now) {
        Ok(p) => p,
        Err(e) => panic!("fixed request refused: {e}"),
    };
    let mut pending: Vec<Pending> = Vec::new();
    let mut failed: Option<hoist_core::pull::PullError> = None;
    let mut staged: BTreeMap<Digest, ()> = BTreeMap::new();
    let mut timed_out = false;
    for _step in 0..4000 {
        // Drain outputs until Wait (bounded: no output storm).
        let mut wait = None;
        let mut drained = 0usize;
        for _ in 0..10_000 {
            match p.poll_output() {
                Err(e) => {
                    assert!(planted || !format!("{e:?}{e}").contains(PASSWORD));
                    assert!(!e.code().is_empty());
                    if let Some(prev) = &failed {
                        assert_eq!(prev, &e, "the error changed");
                    }
                    failed = Some(e);
                    break;
                }
                Ok(o) => {
                    check_output(&o, &f, planted);
                    if !matches!(o, Output::Wait { .. }) {
                        drained += 1;
                    }
                    match o {
                        Output::Http(r) => pending.push(Pending::Head(r.id)),
                        Output::Body { id, action } => pending.push(Pending::Body(id, action)),
                        Output::Store { id, op } => pending.push(Pending::Store(id, op)),
                        Output::NeedCredentials { id, .. } => pending.push(Pending::Creds(id)),
                        Output::Event(_) => {}
                        Output::Wait { until } => {
                            if let (Some(t), true) = (until, timed_out && drained == 0) {
                                assert!(t > now, "deadline {t} passed (now {now}) but nothing happened");
                            }
                            wait = Some(until);
                            break;
                        }
                        Output::Done(_) => {
                            // Reachability probe: with PULLER_PROBE_DONE set, the first
                            // completed pull stops the run, proving the fuzzer gets there.
                            static PROBE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
                            if *PROBE.get_or_init(|| std::env::var_os("PULLER_PROBE_DONE").is_some()) {
                                panic!("probe: a pull reached Done");
                            }
                            return;
                        }
                    }
                }
            }
        }
        if let Some(e) = &failed {
            // Sticky: both methods keep returning it.
            assert_eq!(p.poll_output().as_ref().err(), Some(e));
            assert_eq!(p.handle_input(Input::Timeout(now + 1)).as_ref().err(), Some(e));
            return;
        }
        let wait = wait.expect("poll_output produced more than 10000 outputs without a Wait");
        if pending.is_empty() {
            assert!(wait.is_some(), "deadlock: Wait without a deadline and nothing outstanding");
        }
        let Some(choice) = c.byte() else { return };
        timed_out = false;
        now += u64::from(c.byte().unwrap_or(0));
        let input = if choice == 255 || pending.is_empty() {
            // Time passes to the deadline (or beyond).
            if let Some(t) = wait {
                now = now.max(t);
                timed_out = true;
            }
            Input::Timeout(now)
        } else if choice == 254 {
            // Contract breakers: unknown ids, progress for nothing.
            match c.byte().unwrap_or(0) % 3 {
                0 => Input::HttpBody { id: RequestId(9999), bytes: vec![], now },
                1 => Input::Store { id: StoreOpId(9999), result: StoreResult::Done },
                _ => Input::Progress { id: RequestId(9999), bytes: 5 },
            }
        } else {
            let item = pending.remove(usize::from(choice) % pending.len());
            match item {
                Pending::Head(id) => {
                    if c.byte().unwrap_or(0) % 8 == 0 {
                        let kind = match c.byte().unwrap_or(0) % 5 {
                            0 => TransportFailure::Connect,
                            1 => TransportFailure::Tls,
                            2 => TransportFailure::Reset,
                            3 => TransportFailure::Timeout,
                            _ => TransportFailure::Cancelled,
                        };
                        Input::HttpFailed { id, failure: Failure { kind, staged_bytes: 0 }, now }
                    } else {
                        let status = *c.pick(STATUSES).unwrap_or(&200);
                        let mut headers = Vec::new();
                        for _ in 0..c.byte().unwrap_or(0) % 5 {
                            if let Some(h) = header(&mut c, &f) {
                                headers.push(h);
                            }
                        }
                        Input::HttpResponse { id, head: ResponseHead { status, headers }, now }
                    }
                }
                Pending::Body(id, BodyAction::Buffer { limit }) => {
                    Input::HttpBody { id, bytes: body(&mut c, &f, limit), now }
                }
                Pending::Body(id, BodyAction::Discard) => Input::HttpBody { id, bytes: vec![], now },
                Pending::Body(id, BodyAction::StreamToStore { digest, size, offset }) => {
                    let real = [&f.layer_d, &f.config_d, &f.manifest_d, &f.index_d].contains(&&digest);
                    match c.byte().unwrap_or(0) % 4 {
                        // A real host stages only bytes that hash to the digest.
                        0 | 1 if real => {
                            staged.insert(digest, ());
                            Input::BlobStaged { id, now }
                        }
                        2 => {
                            // A progress report does not answer the body: it stays pending.
                            pending.push(Pending::Body(
                                id,
                                BodyAction::StreamToStore { digest, size, offset },
                            ));
                            Input::Progress { id, bytes: offset.saturating_add(1).min(size) }
                        }
                        _ => {
                            let kind = match c.byte().unwrap_or(0) % 4 {
                                0 => TransportFailure::Reset,
                                1 => TransportFailure::SizeMismatch { actual: size + 1 },
                                2 => TransportFailure::DigestMismatch {
                                    actual: Digest::sha256_of(b"x"),
                                },
                                _ => TransportFailure::Store { message: "disk full".into() },
                            };
                            let staged_bytes = u64::from(c.byte().unwrap_or(0)).min(size);
                            Input::HttpFailed { id, failure: Failure { kind, staged_bytes }, now }
                        }
                    }
                }
                Pending::Store(id, op) => {
                    let fail = c.byte().unwrap_or(0) % 16 == 0;
                    let result = if fail {
                        StoreResult::Failed("disk full".into())
                    } else {
                        match op {
                            StoreOp::Stat { digest } => {
                                if c.byte().unwrap_or(0) % 2 == 0 && digest == f.layer_d {
                                    StoreResult::Stat(Some(f.layer.len() as u64))
                                } else {
                                    StoreResult::Stat(None)
                                }
                            }
                            StoreOp::PutBlob { digest, bytes } => {
                                assert_eq!(Digest::sha256_of(&bytes), digest, "unverified PutBlob");
                                staged.insert(digest, ());
                                StoreResult::Done
                            }
                            StoreOp::Commit { blobs, manifest, record } => {
                                for b in &blobs {
                                    assert!(
                                        [&f.layer_d, &f.config_d, &f.manifest_d, &f.index_d]
                                            .contains(&b),
                                        "commit of unknown blob {b}"
                                    );
                                }
                                let _ = manifest;
                                StoreResult::Committed(ImageRecord::new(
                                    record.id,
                                    record.manifest_digest,
                                ))
                            }
                        }
                    };
                    Input::Store { id, result }
                }
                Pending::Creds(id) => {
                    let credentials = match c.byte().unwrap_or(0) % 3 {
                        0 => Credentials::Anonymous,
                        1 => Credentials::Basic {
                            username: "alice".into(),
                            password: Secret::new(PASSWORD),
                        },
                        _ => Credentials::IdentityToken {
                            username: "<token>".into(),
                            token: Secret::new(PASSWORD),
                        },
                    };
                    Input::Credentials { id, credentials }
                }
            }
        };
        if let Err(e) = p.handle_input(input) {
            let text = format!("{e:?} {e}");
            assert!(planted || !text.contains(PASSWORD), "secret in error {text}");
            let b64 = base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"));
            assert!(planted || !text.contains(&b64));
            failed = Some(e);
        }
    }
});
