//! A socket-free world for driving a [`Puller`] in tests: a scripted fake registry (with
//! a token server and a CDN origin), an in-memory store, and a driver loop with simulated
//! time (the quinn-proto `tests/util.rs` idea). Faults are injected per request.

use std::collections::{BTreeMap, HashMap, VecDeque};

use base64::Engine as _;

use super::*;
use crate::auth::Credentials;
use crate::digest::{Digest, Verifier};
use crate::media_type as mt;
use crate::store::{ImageIndex, ImageRecord};

pub(crate) const REGISTRY: &str = "registry.test";
pub(crate) const CDN: &str = "cdn.test";
pub(crate) const AUTH: &str = "auth.test";

/// How the fake registry wants to be authenticated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AuthMode {
    None,
    Basic,
    Bearer,
    /// Bearer, but the registry rejects every token (a 401 loop).
    BearerRejectAll,
}

/// A scripted fault for requests whose path contains `path_part`.
#[derive(Clone, Debug)]
pub(crate) enum Fault {
    /// Answer with this status (and headers) `times` times first.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        times: usize,
    },
    /// Serve these bytes instead of the real blob.
    Corrupt(Vec<u8>),
    /// Redirect to the same path on another origin (`https://cdn.test` by default).
    Redirect(String),
    /// Drop the connection after this many body bytes, once.
    ResetAfter(u64),
    /// Send this `Docker-Content-Digest` header value.
    LyingDigestHeader(String),
    /// Answer with a body of this many bytes.
    Huge(usize),
}

#[derive(Clone, Debug)]
pub(crate) struct Logged {
    pub method: Method,
    pub url: String,
    pub authorization: Option<String>,
    pub range: Option<String>,
}

pub(crate) struct FakeRegistry {
    pub repo: String,
    pub manifests: HashMap<String, (String, Vec<u8>)>,
    pub tags: HashMap<String, Digest>,
    pub blobs: HashMap<Digest, Vec<u8>>,
    pub auth: AuthMode,
    pub user: (String, String),
    pub faults: Vec<(String, Fault)>,
    pub log: Vec<Logged>,
    /// Every https request fails its TLS handshake (a plain-HTTP-only registry, or a
    /// certificate the host will not accept); `tls_verify` of each request is logged.
    pub https_fails: bool,
    pub tls_verify_log: Vec<(String, bool)>,
    pub token_requests: usize,
    issued: Vec<String>,
}

/// A response the fake hands back: head plus the full body.
pub(crate) struct Reply {
    pub head: ResponseHead,
    pub body: Vec<u8>,
    /// Drop the connection after this many body bytes.
    pub reset_after: Option<u64>,
}

fn reply(status: u16, headers: Vec<(&str, String)>, body: Vec<u8>) -> Reply {
    Reply {
        head: ResponseHead {
            status,
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        },
        body,
        reset_after: None,
    }
}

impl FakeRegistry {
    pub fn new(repo: &str) -> Self {
        FakeRegistry {
            repo: repo.to_owned(),
            manifests: HashMap::new(),
            tags: HashMap::new(),
            blobs: HashMap::new(),
            auth: AuthMode::None,
            user: ("alice".into(), "canary-s3cret".into()),
            faults: Vec::new(),
            log: Vec::new(),
            https_fails: false,
            tls_verify_log: Vec::new(),
            token_requests: 0,
            issued: Vec::new(),
        }
    }

    pub fn add_blob(&mut self, bytes: Vec<u8>) -> Digest {
        let d = Digest::sha256_of(&bytes);
        self.blobs.insert(d.clone(), bytes);
        d
    }

    pub fn add_manifest(&mut self, media_type: &str, bytes: Vec<u8>, tag: Option<&str>) -> Digest {
        let d = Digest::sha256_of(&bytes);
        self.manifests
            .insert(d.to_string(), (media_type.to_owned(), bytes));
        if let Some(t) = tag {
            self.tags.insert(t.to_owned(), d.clone());
        }
        d
    }

    fn fault_for(&mut self, path: &str) -> Option<Fault> {
        let idx = self
            .faults
            .iter()
            .position(|(p, _)| path.contains(p.as_str()))?;
        let fault = self.faults[idx].1.clone();
        match &fault {
            Fault::Status { times, .. } if *times <= 1 => {
                self.faults.remove(idx);
            }
            Fault::Status {
                status,
                headers,
                times,
            } => {
                self.faults[idx].1 = Fault::Status {
                    status: *status,
                    headers: headers.clone(),
                    times: times - 1,
                };
            }
            Fault::ResetAfter(_) => {
                self.faults.remove(idx);
            }
            _ => {}
        }
        Some(fault)
    }

    pub fn handle(&mut self, req: &HttpRequest) -> Reply {
        let authz = req
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.expose().to_owned());
        let range = req
            .headers
            .iter()
            .find(|(k, _)| k == "range")
            .map(|(_, v)| v.expose().to_owned());
        self.log.push(Logged {
            method: req.method,
            url: req.url.to_string(),
            authorization: authz.clone(),
            range: range.clone(),
        });
        let host = req.url.host().to_owned();
        let path = req.url.path_and_query().to_owned();
        if host == AUTH {
            return self.token(req, authz);
        }
        if host == CDN {
            let digest = path.rsplit('/').next().and_then(|d| Digest::parse(d).ok());
            return match digest.and_then(|d| self.blobs.get(&d).cloned()) {
                Some(b) => ranged(b, range),
                None => reply(404, vec![], vec![]),
            };
        }
        // Registry origin: auth first.
        if let Some(r) = self.check_auth(authz.as_deref()) {
            return r;
        }
        let fault = self.fault_for(&path);
        match &fault {
            Some(Fault::Status {
                status, headers, ..
            }) => {
                let h = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.clone()))
                    .collect();
                return reply(
                    *status,
                    h,
                    b"{\"errors\":[{\"code\":\"UNAVAILABLE\"}]}".to_vec(),
                );
            }
            Some(Fault::Redirect(to)) => {
                return reply(307, vec![("Location", format!("{to}{path}"))], vec![]);
            }
            Some(Fault::Huge(n)) => {
                return reply(
                    200,
                    vec![("Content-Type", mt::OCI_MANIFEST.to_owned())],
                    vec![b' '; *n],
                );
            }
            _ => {}
        }
        let prefix = format!("/v2/{}/", self.repo);
        let Some(rest) = path.strip_prefix(&prefix) else {
            return reply(404, vec![], vec![]);
        };
        if let Some(r) = rest.strip_prefix("manifests/") {
            let key = match self.tags.get(r) {
                Some(d) => d.to_string(),
                None => r.to_owned(),
            };
            let Some((media, bytes)) = self.manifests.get(&key).cloned() else {
                return reply(
                    404,
                    vec![],
                    b"{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".to_vec(),
                );
            };
            let header_digest = match &fault {
                Some(Fault::LyingDigestHeader(d)) => d.clone(),
                _ => key.clone(),
            };
            let body = match &fault {
                Some(Fault::Corrupt(b)) => b.clone(),
                _ => bytes,
            };
            let h = vec![
                ("Content-Type", media),
                ("Docker-Content-Digest", header_digest),
            ];
            let body = if req.method == Method::Head {
                Vec::new()
            } else {
                body
            };
            return reply(200, h, body);
        }
        if let Some(r) = rest.strip_prefix("blobs/") {
            let Some(bytes) = Digest::parse(r)
                .ok()
                .and_then(|d| self.blobs.get(&d).cloned())
            else {
                return reply(
                    404,
                    vec![],
                    b"{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}".to_vec(),
                );
            };
            let bytes = match &fault {
                Some(Fault::Corrupt(b)) => b.clone(),
                _ => bytes,
            };
            let mut r = ranged(bytes, range);
            if let Some(Fault::ResetAfter(n)) = fault {
                r.reset_after = Some(n);
            }
            return r;
        }
        reply(404, vec![], vec![])
    }

    fn check_auth(&self, authz: Option<&str>) -> Option<Reply> {
        let basic = || {
            let raw = format!("{}:{}", self.user.0, self.user.1);
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        };
        let challenge_bearer = || {
            reply(
                401,
                vec![(
                    "WWW-Authenticate",
                    format!(
                        "Bearer realm=\"https://{AUTH}/token\",service=\"{REGISTRY}\",scope=\"repository:{}:pull\"",
                        self.repo
                    ),
                )],
                vec![],
            )
        };
        match self.auth {
            AuthMode::None => None,
            AuthMode::Basic => (authz != Some(basic().as_str())).then(|| {
                reply(
                    401,
                    vec![("WWW-Authenticate", format!("Basic realm=\"{REGISTRY}\""))],
                    vec![],
                )
            }),
            AuthMode::Bearer => {
                let ok = authz
                    .and_then(|a| a.strip_prefix("Bearer "))
                    .is_some_and(|t| self.issued.iter().any(|i| i == t));
                (!ok).then(challenge_bearer)
            }
            AuthMode::BearerRejectAll => Some(challenge_bearer()),
        }
    }

    fn token(&mut self, req: &HttpRequest, authz: Option<String>) -> Reply {
        self.token_requests += 1;
        let raw = format!("{}:{}", self.user.0, self.user.1);
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        );
        if authz.as_deref() != Some(expected.as_str()) || req.method != Method::Get {
            return reply(401, vec![], vec![]);
        }
        let t = format!("tok-{}", self.token_requests);
        self.issued.push(t.clone());
        reply(
            200,
            vec![("Content-Type", "application/json".into())],
            format!("{{\"token\":\"{t}\",\"expires_in\":300}}").into_bytes(),
        )
    }
}

fn ranged(bytes: Vec<u8>, range: Option<String>) -> Reply {
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|s| s.parse::<usize>().ok());
    match start {
        Some(s) if s < bytes.len() => {
            let total = bytes.len();
            reply(
                206,
                vec![("Content-Range", format!("bytes {s}-{}/{total}", total - 1))],
                bytes[s..].to_vec(),
            )
        }
        _ => reply(200, vec![], bytes),
    }
}

/// The in-memory store: committed blobs, the index, and one pull's staging.
#[derive(Default)]
pub(crate) struct MemStore {
    pub blobs: BTreeMap<Digest, Vec<u8>>,
    pub staged: BTreeMap<Digest, Vec<u8>>,
    /// Partial streams: digest → bytes so far.
    pub partial: HashMap<Digest, Vec<u8>>,
    pub index: ImageIndex,
}

impl MemStore {
    /// A snapshot of the visible store, to prove a failed pull changed nothing.
    pub fn visible(&self) -> (BTreeMap<Digest, Vec<u8>>, Vec<u8>) {
        (self.blobs.clone(), self.index.to_json())
    }
}

/// What a driven pull produced.
pub(crate) struct Run {
    pub result: Result<PullOutcome, PullError>,
    pub events: Vec<PullEvent>,
    pub credential_requests: Vec<String>,
    pub waits: Vec<u64>,
}

/// Drives `puller` against `reg` and `store` until Done or error, answering credential
/// requests with `creds`. Simulated time starts at `now` and jumps to every `Wait`.
pub(crate) fn drive(
    mut puller: Puller,
    reg: &mut FakeRegistry,
    store: &mut MemStore,
    creds: Credentials,
    mut now: u64,
) -> Run {
    let mut events = Vec::new();
    let mut credential_requests = Vec::new();
    let mut waits = Vec::new();
    let mut pending: HashMap<RequestId, Reply> = HashMap::new();
    let mut inputs: VecDeque<Input> = VecDeque::new();
    let mut steps = 0;
    let result = loop {
        steps += 1;
        assert!(steps < 100_000, "pull did not converge");
        if let Some(i) = inputs.pop_front() {
            if let Err(e) = puller.handle_input(i) {
                break Err(e);
            }
            continue;
        }
        let out = match puller.poll_output() {
            Ok(o) => o,
            Err(e) => break Err(e),
        };
        match out {
            Output::Http(req) => {
                reg.tls_verify_log
                    .push((req.url.to_string(), req.tls_verify));
                if reg.https_fails && req.url.scheme() == crate::url::Scheme::Https {
                    inputs.push_back(Input::HttpFailed {
                        id: req.id,
                        failure: Failure {
                            kind: TransportFailure::Tls,
                            staged_bytes: 0,
                        },
                        now,
                    });
                    continue;
                }
                let r = reg.handle(&req);
                inputs.push_back(Input::HttpResponse {
                    id: req.id,
                    head: r.head.clone(),
                    now,
                });
                pending.insert(req.id, r);
            }
            Output::Body { id, action } => {
                let r = pending.remove(&id).expect("body for a known request");
                inputs.push_back(match action {
                    BodyAction::Discard => Input::HttpBody {
                        id,
                        bytes: vec![],
                        now,
                    },
                    BodyAction::Buffer { limit } => {
                        let n = r.body.len().min(limit as usize + 1);
                        Input::HttpBody {
                            id,
                            bytes: r.body[..n].to_vec(),
                            now,
                        }
                    }
                    BodyAction::StreamToStore {
                        digest,
                        size,
                        offset,
                    } => {
                        let mut buf = if offset > 0 {
                            store.partial.remove(&digest).unwrap_or_default()
                        } else {
                            Vec::new()
                        };
                        assert_eq!(
                            buf.len() as u64,
                            offset,
                            "resume offset must match what is staged"
                        );
                        let cut = r
                            .reset_after
                            .map_or(r.body.len(), |n| (n as usize).min(r.body.len()));
                        buf.extend_from_slice(&r.body[..cut]);
                        if r.reset_after.is_some() {
                            let staged = buf.len() as u64;
                            store.partial.insert(digest, buf);
                            Input::HttpFailed {
                                id,
                                failure: Failure {
                                    kind: TransportFailure::Reset,
                                    staged_bytes: staged,
                                },
                                now,
                            }
                        } else {
                            let mut v = Verifier::new(digest.clone()).with_size(size);
                            let ok = v.update(&buf).and_then(|()| v.finish());
                            match ok {
                                Ok(_) => {
                                    store.staged.insert(digest, buf);
                                    Input::BlobStaged { id, now }
                                }
                                Err(crate::digest::DigestError::Mismatch { actual, .. }) => {
                                    Input::HttpFailed {
                                        id,
                                        failure: Failure {
                                            kind: TransportFailure::DigestMismatch { actual },
                                            staged_bytes: 0,
                                        },
                                        now,
                                    }
                                }
                                Err(_) => Input::HttpFailed {
                                    id,
                                    failure: Failure {
                                        kind: TransportFailure::SizeMismatch {
                                            actual: buf.len() as u64,
                                        },
                                        staged_bytes: 0,
                                    },
                                    now,
                                },
                            }
                        }
                    }
                });
            }
            Output::Store { id, op } => {
                let result = match op {
                    StoreOp::Stat { digest } => {
                        StoreResult::Stat(store.blobs.get(&digest).map(|b| b.len() as u64))
                    }
                    StoreOp::PutBlob { digest, bytes } => {
                        assert_eq!(Digest::sha256_of(&bytes), digest);
                        store.staged.insert(digest, bytes);
                        StoreResult::Done
                    }
                    StoreOp::Commit {
                        blobs,
                        manifest: _,
                        record,
                    } => {
                        for b in &blobs {
                            if let Some(bytes) = store.staged.get(b).cloned() {
                                store.blobs.insert(b.clone(), bytes);
                            }
                            assert!(
                                store.blobs.contains_key(b),
                                "commit of a blob never staged: {b}"
                            );
                        }
                        let id = record.id.clone();
                        store
                            .index
                            .record_pull(record, 1_700_000_000)
                            .expect("record");
                        let rec: ImageRecord = store.index.get(&id).expect("recorded").clone();
                        StoreResult::Committed(rec)
                    }
                };
                inputs.push_back(Input::Store { id, result });
            }
            Output::NeedCredentials { id, host } => {
                credential_requests.push(host);
                inputs.push_back(Input::Credentials {
                    id,
                    credentials: creds.clone(),
                });
            }
            Output::Event(e) => events.push(e),
            Output::Wait { until } => match until {
                Some(t) => {
                    waits.push(t.saturating_sub(now));
                    now = now.max(t);
                    inputs.push_back(Input::Timeout(now));
                }
                None => panic!("machine waits with nothing pending"),
            },
            Output::Done(o) => break Ok(*o),
        }
    };
    if result.is_err() {
        // The host contract: discard staging after a failure.
        store.staged.clear();
        store.partial.clear();
    }
    Run {
        result,
        events,
        credential_requests,
        waits,
    }
}

/// Builds an OCI image (config + `layers` random layers) in `reg`; returns the manifest
/// digest and config digest.
pub(crate) fn oci_image(
    reg: &mut FakeRegistry,
    layers: usize,
    arch: &str,
    tag: Option<&str>,
) -> (Digest, Digest) {
    let mut layer_descs = Vec::new();
    let mut diff_ids = Vec::new();
    for i in 0..layers {
        let bytes: Vec<u8> = (0..(1000 + i * 37))
            .map(|j| (j * 7 + i * 13 + arch.len()) as u8)
            .collect();
        diff_ids.push(format!(
            "\"{}\"",
            Digest::sha256_of(format!("diff-{arch}-{i}").as_bytes())
        ));
        let size = bytes.len();
        let d = reg.add_blob(bytes);
        layer_descs.push(format!(
            "{{\"mediaType\":\"{}\",\"digest\":\"{d}\",\"size\":{size}}}",
            mt::OCI_LAYER_TAR_GZIP
        ));
    }
    let history: Vec<String> = (0..layers)
        .map(|i| format!("{{\"created_by\":\"step {i}\"}}"))
        .collect();
    let config = format!(
        "{{\"created\":\"2024-01-02T03:04:05Z\",\"architecture\":\"{arch}\",\"os\":\"linux\",\"config\":{{\"Labels\":{{\"a\":\"b\"}}}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[{}]}},\"history\":[{}]}}",
        diff_ids.join(","),
        history.join(",")
    );
    let csize = config.len();
    let cd = reg.add_blob(config.into_bytes());
    let manifest = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"config\":{{\"mediaType\":\"{}\",\"digest\":\"{cd}\",\"size\":{csize}}},\"layers\":[{}]}}",
        mt::OCI_MANIFEST,
        mt::OCI_CONFIG,
        layer_descs.join(",")
    );
    let md = reg.add_manifest(mt::OCI_MANIFEST, manifest.into_bytes(), tag);
    (md, cd)
}
