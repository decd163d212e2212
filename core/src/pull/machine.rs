//! [`Puller`]: the state machine itself.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use super::auth_flow::{AuthFlow, AuthNext};
use super::io::*;
use super::ratelimit::parse_rate_limit;
use super::retry::{parse_retry_after, RetryDecision};
use super::{Endpoint, PullConfig, PullError, PullRequest};
use crate::auth::{Credentials, Secret};
use crate::config::ImageConfig;
use crate::descriptor::Descriptor;
use crate::digest::{Digest, DigestError, Verifier};
use crate::id;
use crate::manifest::Manifest;
use crate::media_type;
use crate::platform::select_platform;
use crate::store::PullRecord;
use crate::url::{Scheme, Url};

/// What a logical fetch is for.
#[derive(Clone, Debug)]
enum Purpose {
    /// `HEAD` of a manifest by tag, to learn its digest.
    ManifestHead { tag: String },
    /// `GET` of a manifest (by tag or digest).
    Manifest {
        reference: String,
        expect: Option<Digest>,
        expect_size: Option<u64>,
        parent: Option<String>,
        depth: u8,
        /// The platform the index entry named, kept on the stored descriptor.
        platform: Option<crate::platform::Platform>,
    },
    /// `GET` of the image config.
    Config { desc: Descriptor },
    /// `GET` of layer `idx`.
    Layer { idx: usize },
    /// A token request; `key` indexes the auth flow's pending tokens.
    Token { key: u64 },
}

/// What to do once the current body phase ends.
#[derive(Clone, Debug)]
enum AfterBody {
    Consume,
    ErrorStatus(u16),
    Resend,
    RetryAt(u64),
    Redirect(Url),
    AwaitAuth,
    Fail(PullError),
    HeadResolved(Option<Digest>),
    NextEndpoint(PullError),
}

#[derive(Debug)]
struct Fetch {
    purpose: Purpose,
    method: Method,
    url: Url,
    /// Send registry credentials (false for foreign layers and after a cross-origin hop).
    with_auth: bool,
    attempts: u32,
    redirects: u8,
    auth_tries: u8,
    /// Layer bytes staged and verified so far (resume point).
    staged: u64,
    range_sent: bool,
    request: Option<RequestId>,
    head: Option<ResponseHead>,
    after: Option<AfterBody>,
    retry_at: Option<u64>,
}

impl Fetch {
    fn new(purpose: Purpose, method: Method, url: Url, with_auth: bool) -> Fetch {
        Fetch {
            purpose,
            method,
            url,
            with_auth,
            attempts: 0,
            redirects: 0,
            auth_tries: 0,
            staged: 0,
            range_sent: false,
            request: None,
            head: None,
            after: None,
            retry_at: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LayerState {
    Stat,
    Queued,
    Downloading,
    Done,
}

#[derive(Debug)]
enum StoreWhy {
    Put,
    Stat(usize),
    Commit,
}

#[derive(Debug, Default)]
struct Walk {
    resolved: Option<(Digest, String)>,
    manifest: Option<(Manifest, Descriptor)>,
    config: Option<(ImageConfig, Descriptor)>,
    layers: Vec<(Descriptor, LayerState)>,
    blobs: Vec<Digest>,
    puts_pending: usize,
    downloading: usize,
    bytes_downloaded: u64,
    committing: bool,
}

/// The pull state machine. See the module docs and [`super::io`] for the contract.
#[derive(Debug)]
pub struct Puller {
    request: PullRequest,
    config: PullConfig,
    endpoints: Vec<Endpoint>,
    endpoint: usize,
    now: u64,
    next_id: u64,
    out: VecDeque<Output>,
    fetches: BTreeMap<u64, Fetch>,
    by_request: HashMap<RequestId, u64>,
    abandoned: HashSet<RequestId>,
    store_ops: HashMap<StoreOpId, StoreWhy>,
    auth: AuthFlow,
    walk: Walk,
    failed: Option<PullError>,
    done: Option<Box<PullOutcome>>,
}

impl Puller {
    /// Starts a pull at time `now` (host-monotonic ms). The first outputs are ready at once.
    /// A reference with neither tag nor digest pulls `latest`, as docker and podman do.
    pub fn new(mut request: PullRequest, config: PullConfig, now: u64) -> Result<Self, PullError> {
        request.reference = request.reference.tag_name_only();
        if config.max_concurrent_blobs == 0 {
            return Err(PullError::InvalidRequest {
                reason: "max_concurrent_blobs must be at least 1",
            });
        }
        let endpoints = if config.endpoints.is_empty() {
            vec![Endpoint::primary(&request.reference, false)]
        } else {
            config.endpoints.clone()
        };
        let mut p = Puller {
            request,
            config,
            endpoints,
            endpoint: 0,
            now,
            next_id: 1,
            out: VecDeque::new(),
            fetches: BTreeMap::new(),
            by_request: HashMap::new(),
            abandoned: HashSet::new(),
            store_ops: HashMap::new(),
            auth: AuthFlow::default(),
            walk: Walk::default(),
            failed: None,
            done: None,
        };
        p.start_resolve()?;
        Ok(p)
    }

    /// The next thing the host must do. `Wait` when everything asked for is pending;
    /// `Done` (repeatedly) when finished; the same error forever once failed.
    pub fn poll_output(&mut self) -> Result<Output, PullError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if let Some(o) = self.out.pop_front() {
            return Ok(o);
        }
        if let Some(done) = &self.done {
            return Ok(Output::Done(done.clone()));
        }
        let until = self.fetches.values().filter_map(|f| f.retry_at).min();
        Ok(Output::Wait { until })
    }

    /// Feeds one answer from the host.
    pub fn handle_input(&mut self, input: Input) -> Result<(), PullError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let r = self.dispatch(input);
        if let Err(e) = r {
            self.out.clear();
            self.failed = Some(e.clone());
            return Err(e);
        }
        Ok(())
    }

    fn dispatch(&mut self, input: Input) -> Result<(), PullError> {
        match input {
            Input::HttpResponse { id, head, now } => {
                self.tick(now);
                let Some(f) = self.fetch_for(id)? else {
                    return Ok(());
                };
                self.on_head(f, id, head)
            }
            Input::HttpBody { id, bytes, now } => {
                self.tick(now);
                let Some(f) = self.fetch_for(id)? else {
                    return Ok(());
                };
                self.on_body(f, id, Some(bytes))
            }
            Input::BlobStaged { id, now } => {
                self.tick(now);
                let Some(f) = self.fetch_for(id)? else {
                    return Ok(());
                };
                self.on_body(f, id, None)
            }
            Input::Progress { id, bytes } => {
                if let Some(&f) = self.by_request.get(&id) {
                    if let Some(Purpose::Layer { idx }) = self.fetches.get(&f).map(|x| &x.purpose) {
                        if let Some((d, _)) = self.walk.layers.get(*idx) {
                            self.event(PullEvent::BlobProgress {
                                digest: d.digest.clone(),
                                bytes,
                                size: d.size,
                            });
                        }
                    }
                }
                Ok(())
            }
            Input::HttpFailed { id, failure, now } => {
                self.tick(now);
                let Some(f) = self.fetch_for(id)? else {
                    return Ok(());
                };
                self.on_failure(f, id, failure)
            }
            Input::Store { id, result } => self.on_store(id, result),
            Input::Credentials { id, credentials } => {
                let woken = self.auth.credentials_arrived(id, credentials)?;
                for f in woken {
                    self.continue_auth(f)?;
                }
                Ok(())
            }
            Input::Timeout(now) => {
                self.tick(now);
                let due: Vec<u64> = self
                    .fetches
                    .iter()
                    .filter(|(_, f)| f.retry_at.is_some_and(|t| t <= self.now))
                    .map(|(k, _)| *k)
                    .collect();
                for k in due {
                    if let Some(f) = self.fetches.get_mut(&k) {
                        f.retry_at = None;
                    }
                    self.send(k)?;
                }
                Ok(())
            }
        }
    }

    fn tick(&mut self, now: u64) {
        // Time never goes backwards, even if a host's clock does.
        self.now = self.now.max(now);
    }

    fn fetch_for(&mut self, id: RequestId) -> Result<Option<u64>, PullError> {
        match self.by_request.get(&id) {
            Some(&f) => Ok(Some(f)),
            None if self.abandoned.contains(&id) => Ok(None),
            None => Err(PullError::HostContract {
                what: "an answer for a request that was never sent",
            }),
        }
    }

    fn alloc(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn event(&mut self, e: PullEvent) {
        self.out.push_back(Output::Event(e));
    }

    fn endpoint(&self) -> &Endpoint {
        // `endpoints` is never empty (see `new`) and `endpoint` never passes its end.
        &self.endpoints[self.endpoint.min(self.endpoints.len() - 1)]
    }

    /// The origin of the endpoint in use: credentials go only there.
    fn registry_origin(&self) -> Result<Url, PullError> {
        let ep = self.endpoint();
        Ok(Url::from_parts(ep.scheme, &ep.authority, "/")?)
    }

    fn registry_url(&self, kind: &str, reference: &str) -> Result<Url, PullError> {
        let ep = self.endpoint();
        Ok(Url::from_parts(
            ep.scheme,
            &ep.authority,
            &format!("/v2/{}/{kind}/{reference}", ep.repository),
        )?)
    }

    // ---------------------------------------------------------------- resolve

    fn start_resolve(&mut self) -> Result<(), PullError> {
        let reference = self.request.reference.clone();
        if let Some(d) = reference.digest() {
            self.start_fetch(
                Purpose::Manifest {
                    reference: d.to_string(),
                    expect: Some(d.clone()),
                    expect_size: None,
                    parent: None,
                    depth: 0,
                    platform: None,
                },
                Method::Get,
                None,
            )
        } else {
            let tag = reference.tag().unwrap_or("latest").to_owned();
            self.start_fetch(Purpose::ManifestHead { tag }, Method::Head, None)
        }
    }

    /// Abandons every in-flight fetch and starts over at the next endpoint; fails with
    /// `err` when there is none.
    fn next_endpoint(&mut self, err: PullError) -> Result<(), PullError> {
        if self.walk.resolved.is_some() || self.endpoint + 1 >= self.endpoints.len() {
            return Err(err);
        }
        self.endpoint += 1;
        let ids: Vec<RequestId> = self.by_request.keys().copied().collect();
        self.abandoned.extend(ids);
        self.by_request.clear();
        self.fetches.clear();
        self.start_resolve()
    }

    // ---------------------------------------------------------------- fetches

    fn start_fetch(
        &mut self,
        purpose: Purpose,
        method: Method,
        url: Option<Url>,
    ) -> Result<(), PullError> {
        let (url, with_auth) = match url {
            Some(u) => (u, false),
            None => {
                let url = match &purpose {
                    Purpose::ManifestHead { tag } => self.registry_url("manifests", tag)?,
                    Purpose::Manifest { reference, .. } => {
                        self.registry_url("manifests", reference)?
                    }
                    Purpose::Config { desc } => self.registry_url("blobs", desc.digest.as_str())?,
                    Purpose::Layer { idx } => {
                        let d = self.layer_desc(*idx)?.digest.clone();
                        self.registry_url("blobs", d.as_str())?
                    }
                    Purpose::Token { .. } => {
                        return Err(PullError::HostContract {
                            what: "token fetches carry their own url",
                        })
                    }
                };
                (url, true)
            }
        };
        let k = self.alloc();
        self.fetches
            .insert(k, Fetch::new(purpose, method, url, with_auth));
        self.send(k)
    }

    /// Sends (or re-sends) fetch `k` as a new request.
    fn send(&mut self, k: u64) -> Result<(), PullError> {
        let rid = RequestId(self.alloc());
        let registry_origin = self.registry_origin()?;
        let tls_verify = self.endpoint().tls_verify;
        let user_agent = self.config.user_agent.clone();
        let now = self.now;
        let Some(f) = self.fetches.get_mut(&k) else {
            return Ok(());
        };
        if let Some(old) = f.request.take() {
            self.by_request.remove(&old);
        }
        f.attempts += 1;
        f.head = None;
        f.after = None;
        let mut headers: Vec<(String, HeaderValue)> =
            vec![("user-agent".into(), HeaderValue::Plain(user_agent))];
        let is_blob = matches!(f.purpose, Purpose::Layer { .. });
        let body;
        match &f.purpose {
            Purpose::Token { key } => {
                let req = self.auth.token_request(*key)?;
                f.method = req.method;
                f.url = req.url.clone();
                headers.extend(req.headers);
                body = req.body;
            }
            _ => {
                body = None;
                if matches!(
                    f.purpose,
                    Purpose::ManifestHead { .. } | Purpose::Manifest { .. }
                ) {
                    headers.push((
                        "accept".into(),
                        HeaderValue::Plain(media_type::manifest_accept_header()),
                    ));
                }
                // Credentials go only to the registry's own origin (never across a
                // redirect to another origin, never to foreign-layer URLs).
                if f.with_auth && f.url.same_origin(&registry_origin) {
                    if let Some(a) = self.auth.authorization(&registry_origin, now) {
                        headers.push(("authorization".into(), HeaderValue::Secret(a)));
                    }
                }
                f.range_sent = false;
                if f.staged > 0 {
                    headers.push((
                        "range".into(),
                        HeaderValue::Plain(format!("bytes={}-", f.staged)),
                    ));
                    f.range_sent = true;
                }
            }
        }
        f.request = Some(rid);
        let tls_verify = tls_verify || !f.url.same_origin(&registry_origin);
        let req = HttpRequest {
            id: rid,
            method: f.method,
            url: f.url.clone(),
            headers,
            body,
            is_blob,
            tls_verify,
        };
        self.by_request.insert(rid, k);
        self.out.push_back(Output::Http(req));
        Ok(())
    }

    fn scope(&self) -> String {
        format!("repository:{}:pull", self.endpoint().repository)
    }

    fn host_of(&self, k: u64) -> String {
        self.fetches
            .get(&k)
            .map(|f| f.url.authority())
            .unwrap_or_else(|| self.endpoint().authority.clone())
    }

    fn layer_desc(&self, idx: usize) -> Result<&Descriptor, PullError> {
        self.walk
            .layers
            .get(idx)
            .map(|(d, _)| d)
            .ok_or(PullError::HostContract {
                what: "unknown layer",
            })
    }

    fn on_head(&mut self, k: u64, rid: RequestId, head: ResponseHead) -> Result<(), PullError> {
        let host = self.host_of(k);
        if let Some(limit) = parse_rate_limit(|n| head.header(n)) {
            self.event(PullEvent::RateLimit {
                host: host.clone(),
                limit,
            });
        }
        let status = head.status;
        let Some(f) = self.fetches.get(&k) else {
            return Ok(());
        };
        let purpose = f.purpose.clone();
        let (method, url, redirects, auth_tries, attempts) = (
            f.method,
            f.url.clone(),
            f.redirects,
            f.auth_tries,
            f.attempts,
        );
        let limits = self.config.limits.clone();
        let is_token = matches!(purpose, Purpose::Token { .. });
        let (action, after) = match status {
            200..=299 => self.success_action(k, &purpose, &head)?,
            301 | 302 | 303 | 307 | 308 => {
                let loc = head.header("location").unwrap_or_default();
                let next = url.join(loc)?;
                if url.scheme() == Scheme::Https && next.scheme() == Scheme::Http {
                    (
                        BodyAction::Discard,
                        AfterBody::Fail(PullError::InsecureRedirect {
                            host: next.authority(),
                        }),
                    )
                } else if redirects >= limits.max_redirects {
                    (
                        BodyAction::Discard,
                        AfterBody::Fail(PullError::TooManyRedirects {
                            host: next.authority(),
                        }),
                    )
                } else {
                    (BodyAction::Discard, AfterBody::Redirect(next))
                }
            }
            401 if !is_token => {
                let challenges: Vec<&str> = head.headers_named("www-authenticate").collect();
                let origin = self.registry_origin()?;
                if auth_tries >= limits.max_auth_attempts || !url.same_origin(&origin) {
                    (
                        BodyAction::Discard,
                        AfterBody::Fail(PullError::Unauthorized { host }),
                    )
                } else {
                    let cred_host = self.endpoint().credential_host.clone();
                    let scope = self.scope();
                    self.auth
                        .on_challenge(&origin, &challenges, &scope, &cred_host)?;
                    (BodyAction::Discard, AfterBody::AwaitAuth)
                }
            }
            s @ (400..=405) if is_token => {
                let key = match purpose {
                    Purpose::Token { key } => key,
                    _ => 0,
                };
                if self.auth.token_failed(key, s) {
                    (BodyAction::Discard, AfterBody::Resend)
                } else {
                    (
                        BodyAction::Discard,
                        AfterBody::Fail(PullError::Unauthorized { host }),
                    )
                }
            }
            403 => (
                BodyAction::Discard,
                AfterBody::Fail(PullError::Denied { host }),
            ),
            404 => match &purpose {
                Purpose::ManifestHead { tag } => (
                    BodyAction::Discard,
                    AfterBody::NextEndpoint(PullError::ManifestUnknown {
                        reference: tag.clone(),
                        host,
                    }),
                ),
                Purpose::Manifest {
                    reference, depth, ..
                } => {
                    let e = PullError::ManifestUnknown {
                        reference: reference.clone(),
                        host,
                    };
                    if *depth == 0 {
                        (BodyAction::Discard, AfterBody::NextEndpoint(e))
                    } else {
                        (BodyAction::Discard, AfterBody::Fail(e))
                    }
                }
                Purpose::Config { desc } => (
                    BodyAction::Discard,
                    AfterBody::Fail(PullError::BlobUnknown {
                        digest: desc.digest.clone(),
                        host,
                    }),
                ),
                Purpose::Layer { idx } => {
                    let digest = self.layer_desc(*idx)?.digest.clone();
                    (
                        BodyAction::Discard,
                        AfterBody::Fail(PullError::BlobUnknown { digest, host }),
                    )
                }
                Purpose::Token { .. } => (
                    BodyAction::Discard,
                    AfterBody::Fail(PullError::Unauthorized { host }),
                ),
            },
            405 if matches!(purpose, Purpose::ManifestHead { .. }) => {
                // Some registries refuse HEAD: fall back to GET by tag.
                (BodyAction::Discard, AfterBody::HeadResolved(None))
            }
            s if super::RetryPolicy::is_retryable_status(s) => {
                let retry_after = head
                    .header("retry-after")
                    .and_then(|v| parse_retry_after(v, head.header("date")));
                match self.config.retry.decide(attempts, self.now, retry_after) {
                    RetryDecision::RetryAt(at) => (BodyAction::Discard, AfterBody::RetryAt(at)),
                    RetryDecision::GiveUp => {
                        let e = if s == 429 {
                            PullError::TooManyRequests { host }
                        } else {
                            PullError::RegistryUnavailable { host, status: s }
                        };
                        let resolving = matches!(
                            purpose,
                            Purpose::ManifestHead { .. } | Purpose::Manifest { depth: 0, .. }
                        );
                        if resolving {
                            (BodyAction::Discard, AfterBody::NextEndpoint(e))
                        } else {
                            (BodyAction::Discard, AfterBody::Fail(e))
                        }
                    }
                }
            }
            s => (
                BodyAction::Buffer {
                    limit: limits.max_error_body_bytes,
                },
                AfterBody::ErrorStatus(s),
            ),
        };
        let action = if matches!(method, Method::Head) {
            BodyAction::Discard
        } else {
            action
        };
        if let Some(f) = self.fetches.get_mut(&k) {
            f.head = Some(head);
            f.after = Some(after);
        }
        self.out.push_back(Output::Body { id: rid, action });
        Ok(())
    }

    fn success_action(
        &mut self,
        k: u64,
        purpose: &Purpose,
        head: &ResponseHead,
    ) -> Result<(BodyAction, AfterBody), PullError> {
        let limits = &self.config.limits;
        Ok(match purpose {
            Purpose::ManifestHead { .. } => {
                let d = head
                    .header("docker-content-digest")
                    .and_then(|v| Digest::parse(v.trim()).ok());
                (BodyAction::Discard, AfterBody::HeadResolved(d))
            }
            Purpose::Manifest { .. } => (
                BodyAction::Buffer {
                    limit: limits.max_manifest_bytes,
                },
                AfterBody::Consume,
            ),
            Purpose::Config { desc } => (
                BodyAction::Buffer {
                    limit: desc.size.min(limits.max_config_bytes),
                },
                AfterBody::Consume,
            ),
            Purpose::Token { .. } => (
                BodyAction::Buffer {
                    limit: limits.max_token_bytes,
                },
                AfterBody::Consume,
            ),
            Purpose::Layer { idx } => {
                let d = self.layer_desc(*idx)?.clone();
                let Some(f) = self.fetches.get_mut(&k) else {
                    return Ok((BodyAction::Discard, AfterBody::Consume));
                };
                // A 206 continues from the staged offset only if the server says so;
                // anything else restarts the blob from byte 0.
                let resumed = f.range_sent
                    && head.status == 206
                    && head.header("content-range").and_then(content_range_start) == Some(f.staged);
                if !resumed {
                    f.staged = 0;
                }
                if f.attempts == 1 && f.redirects == 0 {
                    self.out.push_back(Output::Event(PullEvent::BlobStarted {
                        digest: d.digest.clone(),
                        size: d.size,
                    }));
                }
                let offset = if resumed { f.staged } else { 0 };
                (
                    BodyAction::StreamToStore {
                        digest: d.digest,
                        size: d.size,
                        offset,
                    },
                    AfterBody::Consume,
                )
            }
        })
    }

    fn on_body(&mut self, k: u64, rid: RequestId, bytes: Option<Vec<u8>>) -> Result<(), PullError> {
        let origin = self.registry_origin()?;
        let Some(f) = self.fetches.get_mut(&k) else {
            return Ok(());
        };
        let Some(after) = f.after.take() else {
            return Err(PullError::HostContract {
                what: "a body before its response head",
            });
        };
        self.by_request.remove(&rid);
        f.request = None;
        let host = f.url.authority();
        match after {
            AfterBody::Consume => self.consume(k, bytes),
            AfterBody::ErrorStatus(status) => Err(PullError::UnexpectedStatus {
                host,
                status,
                registry_code: bytes.as_deref().and_then(registry_error_code),
            }),
            AfterBody::Resend => self.send(k),
            AfterBody::RetryAt(at) => {
                let (what, attempt) = (
                    f.url
                        .path_and_query()
                        .split('?')
                        .next()
                        .unwrap_or("")
                        .to_owned(),
                    f.attempts + 1,
                );
                f.retry_at = Some(at);
                self.event(PullEvent::Retrying { what, attempt, at });
                Ok(())
            }
            AfterBody::Redirect(url) => {
                f.redirects += 1;
                f.url = url;
                // Authorization never follows a hop to another origin; `send` checks the
                // origin again, this keeps it off for the rest of the chain as well.
                if !f.url.same_origin(&origin) {
                    f.with_auth = false;
                }
                f.attempts = f.attempts.saturating_sub(1);
                self.send(k)
            }
            AfterBody::AwaitAuth => {
                f.auth_tries += 1;
                f.attempts = f.attempts.saturating_sub(1);
                self.continue_auth(k)
            }
            AfterBody::Fail(e) => Err(e),
            AfterBody::NextEndpoint(e) => self.next_endpoint(e),
            AfterBody::HeadResolved(d) => {
                let Purpose::ManifestHead { tag } = f.purpose.clone() else {
                    return Err(PullError::HostContract {
                        what: "head result for a non-head fetch",
                    });
                };
                self.fetches.remove(&k);
                let (reference, expect) = match d {
                    Some(d) => (d.to_string(), Some(d)),
                    None => (tag, None),
                };
                self.start_fetch(
                    Purpose::Manifest {
                        reference,
                        expect,
                        expect_size: None,
                        parent: None,
                        depth: 0,
                        platform: None,
                    },
                    Method::Get,
                    None,
                )
            }
        }
    }

    /// Moves a fetch that hit a challenge along: ask for credentials, fetch a token, or
    /// resend with what the auth flow now has.
    fn continue_auth(&mut self, k: u64) -> Result<(), PullError> {
        let origin = self.registry_origin()?;
        let host = self.endpoint().authority.clone();
        match self.auth.next(&origin, k, self.now)? {
            AuthNext::Ready => self.send(k),
            AuthNext::NeedCredentials { id, host } => {
                self.out.push_back(Output::NeedCredentials { id, host });
                Ok(())
            }
            AuthNext::FetchToken { key } => self.start_token_fetch(key),
            AuthNext::Waiting => Ok(()),
            AuthNext::Refused => Err(PullError::Unauthorized { host }),
        }
    }

    fn start_token_fetch(&mut self, key: u64) -> Result<(), PullError> {
        let url = self.auth.token_request(key)?.url;
        let k = self.alloc();
        self.fetches.insert(
            k,
            Fetch::new(Purpose::Token { key }, Method::Get, url, false),
        );
        self.send(k)
    }

    fn on_failure(&mut self, k: u64, rid: RequestId, failure: Failure) -> Result<(), PullError> {
        self.by_request.remove(&rid);
        let host = self.host_of(k);
        let Some(f) = self.fetches.get_mut(&k) else {
            return Ok(());
        };
        f.request = None;
        let resolving = matches!(
            f.purpose,
            Purpose::ManifestHead { .. } | Purpose::Manifest { depth: 0, .. }
        );
        if let Purpose::Layer { .. } = f.purpose {
            f.staged = failure.staged_bytes;
        }
        let code = match &failure.kind {
            TransportFailure::Connect => "connect-failed",
            TransportFailure::Reset => "connection-reset",
            TransportFailure::Timeout => "timeout",
            TransportFailure::Tls | TransportFailure::Proxy => {
                let code = if failure.kind == TransportFailure::Tls {
                    "tls-failed"
                } else {
                    "proxy-failed"
                };
                let e = PullError::Transport { code, host };
                return if resolving {
                    self.next_endpoint(e)
                } else {
                    Err(e)
                };
            }
            TransportFailure::DigestMismatch { actual } => {
                let expected = match &f.purpose {
                    Purpose::Layer { idx } => {
                        self.walk.layers.get(*idx).map(|(d, _)| d.digest.clone())
                    }
                    _ => None,
                };
                return Err(match expected {
                    Some(expected) => PullError::Digest(DigestError::Mismatch {
                        expected,
                        actual: actual.clone(),
                    }),
                    None => PullError::HostContract {
                        what: "digest mismatch for a buffered body",
                    },
                });
            }
            TransportFailure::SizeMismatch { actual } => {
                return Err(match &f.purpose {
                    Purpose::Layer { idx } => match self.walk.layers.get(*idx) {
                        Some((d, _)) => PullError::Digest(DigestError::SizeMismatch {
                            digest: d.digest.clone(),
                            expected: d.size,
                            actual: *actual,
                        }),
                        None => PullError::HostContract {
                            what: "unknown layer",
                        },
                    },
                    _ => PullError::HostContract {
                        what: "size mismatch for a buffered body",
                    },
                });
            }
            TransportFailure::Store { message } => {
                return Err(PullError::Store {
                    message: message.clone(),
                })
            }
            TransportFailure::Cancelled => return Err(PullError::Cancelled),
        };
        // An insecure registry's HTTPS endpoint that cannot be reached falls back to its
        // plain-HTTP endpoint at once, as containers/image does, instead of backing off.
        let ep = self.endpoint();
        if resolving && !ep.tls_verify && ep.scheme == Scheme::Https {
            return self.next_endpoint(PullError::Transport { code, host });
        }
        let Some(f) = self.fetches.get_mut(&k) else {
            return Ok(());
        };
        match self.config.retry.decide(f.attempts, self.now, None) {
            RetryDecision::RetryAt(at) => {
                let what = f
                    .url
                    .path_and_query()
                    .split('?')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                let attempt = f.attempts + 1;
                f.retry_at = Some(at);
                self.event(PullEvent::Retrying { what, attempt, at });
                Ok(())
            }
            RetryDecision::GiveUp => {
                let e = PullError::Transport { code, host };
                if resolving {
                    self.next_endpoint(e)
                } else {
                    Err(e)
                }
            }
        }
    }

    // ---------------------------------------------------------------- content

    fn consume(&mut self, k: u64, bytes: Option<Vec<u8>>) -> Result<(), PullError> {
        let Some(f) = self.fetches.remove(&k) else {
            return Ok(());
        };
        let head = f.head.unwrap_or_default();
        match f.purpose {
            Purpose::Token { key } => {
                let bytes = bytes.ok_or(PullError::HostContract {
                    what: "token body missing",
                })?;
                if bytes.len() as u64 > self.config.limits.max_token_bytes {
                    return Err(PullError::TooLarge {
                        what: "token",
                        limit: self.config.limits.max_token_bytes,
                    });
                }
                let woken = self.auth.token_arrived(key, &bytes, self.now)?;
                for w in woken {
                    self.send(w)?;
                }
                Ok(())
            }
            Purpose::Manifest {
                reference: _,
                expect,
                expect_size,
                parent,
                depth,
                platform,
            } => {
                let bytes = bytes.ok_or(PullError::HostContract {
                    what: "manifest body missing",
                })?;
                self.on_manifest(bytes, &head, expect, expect_size, parent, depth, platform)
            }
            Purpose::Config { desc } => {
                let bytes = bytes.ok_or(PullError::HostContract {
                    what: "config body missing",
                })?;
                if bytes.len() as u64 > self.config.limits.max_config_bytes {
                    return Err(PullError::TooLarge {
                        what: "config",
                        limit: self.config.limits.max_config_bytes,
                    });
                }
                let mut v = Verifier::new(desc.digest.clone()).with_size(desc.size);
                v.update(&bytes)?;
                v.finish()?;
                self.on_config(bytes, desc)
            }
            Purpose::Layer { idx } => {
                if bytes.is_some() {
                    return Err(PullError::HostContract {
                        what: "a buffered body for a streamed blob",
                    });
                }
                let Some((d, st)) = self.walk.layers.get_mut(idx) else {
                    return Err(PullError::HostContract {
                        what: "unknown layer",
                    });
                };
                *st = LayerState::Done;
                let (digest, size) = (d.digest.clone(), d.size);
                self.walk.downloading = self.walk.downloading.saturating_sub(1);
                self.walk.bytes_downloaded += size.saturating_sub(f.staged);
                self.walk.blobs.push(digest.clone());
                self.event(PullEvent::BlobDone { digest, size });
                self.schedule()
            }
            Purpose::ManifestHead { .. } => Ok(()),
        }
    }

    fn put_blob(&mut self, digest: Digest, bytes: Vec<u8>) {
        let id = StoreOpId(self.alloc());
        self.store_ops.insert(id, StoreWhy::Put);
        self.walk.puts_pending += 1;
        self.walk.blobs.push(digest.clone());
        self.out.push_back(Output::Store {
            id,
            op: StoreOp::PutBlob { digest, bytes },
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_manifest(
        &mut self,
        bytes: Vec<u8>,
        head: &ResponseHead,
        expect: Option<Digest>,
        expect_size: Option<u64>,
        parent: Option<String>,
        depth: u8,
        platform: Option<crate::platform::Platform>,
    ) -> Result<(), PullError> {
        let limit = self.config.limits.max_manifest_bytes;
        if bytes.len() as u64 > limit {
            return Err(PullError::TooLarge {
                what: "manifest",
                limit,
            });
        }
        if let Some(size) = expect_size {
            if bytes.len() as u64 != size {
                if let Some(d) = &expect {
                    return Err(PullError::Digest(DigestError::SizeMismatch {
                        digest: d.clone(),
                        expected: size,
                        actual: bytes.len() as u64,
                    }));
                }
            }
        }
        let manifest = Manifest::parse(&bytes, head.header("content-type"), parent.as_deref())?;
        let digest = manifest.digest().clone();
        if let Some(expected) = &expect {
            if *expected != digest {
                return Err(PullError::Digest(DigestError::Mismatch {
                    expected: expected.clone(),
                    actual: digest,
                }));
            }
        }
        let media_type = manifest.media_type().as_str().to_owned();
        if depth == 0 {
            let endpoint = self.endpoint().authority.clone();
            self.walk.resolved = Some((digest.clone(), media_type.clone()));
            self.event(PullEvent::Resolved {
                digest: digest.clone(),
                media_type: media_type.clone(),
                endpoint,
            });
        }
        let mut desc = Descriptor::new(media_type.clone(), digest.clone(), bytes.len() as u64);
        desc.platform = platform;
        self.put_blob(digest.clone(), bytes);
        if manifest.kind().is_index() {
            if depth + 1 > self.config.limits.max_index_depth {
                return Err(PullError::IndexTooDeep {
                    limit: self.config.limits.max_index_depth,
                });
            }
            let child = select_platform(manifest.children(), &self.request.platform)?.clone();
            if let Some(p) = &child.platform {
                self.event(PullEvent::PlatformSelected {
                    platform: p.clone(),
                    digest: child.digest.clone(),
                });
            }
            return self.start_fetch(
                Purpose::Manifest {
                    reference: child.digest.to_string(),
                    expect: Some(child.digest.clone()),
                    expect_size: Some(child.size),
                    parent: Some(child.media_type.clone()),
                    depth: depth + 1,
                    platform: child.platform.clone(),
                },
                Method::Get,
                None,
            );
        }
        let Some(config) = manifest.config().cloned() else {
            return Err(PullError::UnsupportedImage {
                reason:
                    "Docker schema1 manifests are deprecated and not pulled (as in docker 28 and containerd 2)",
            });
        };
        let layers: Vec<Descriptor> = manifest
            .layers()
            .iter()
            .filter_map(|l| l.descriptor())
            .collect();
        self.walk.layers = layers.into_iter().map(|d| (d, LayerState::Stat)).collect();
        self.walk.manifest = Some((manifest, desc));
        self.start_fetch(Purpose::Config { desc: config }, Method::Get, None)
    }

    fn on_config(&mut self, bytes: Vec<u8>, desc: Descriptor) -> Result<(), PullError> {
        let config = ImageConfig::parse(&bytes)?;
        config.check_layers(self.walk.layers.len())?;
        self.put_blob(desc.digest.clone(), bytes);
        self.walk.config = Some((config, desc));
        for idx in 0..self.walk.layers.len() {
            let digest = self.walk.layers[idx].0.digest.clone();
            let id = StoreOpId(self.alloc());
            self.store_ops.insert(id, StoreWhy::Stat(idx));
            self.out.push_back(Output::Store {
                id,
                op: StoreOp::Stat { digest },
            });
        }
        self.maybe_commit()
    }

    fn on_store(&mut self, id: StoreOpId, result: StoreResult) -> Result<(), PullError> {
        let Some(why) = self.store_ops.remove(&id) else {
            return Err(PullError::HostContract {
                what: "an answer for a store operation that was never asked",
            });
        };
        if let StoreResult::Failed(message) = result {
            return Err(PullError::Store { message });
        }
        match (why, result) {
            (StoreWhy::Put, StoreResult::Done) => {
                self.walk.puts_pending = self.walk.puts_pending.saturating_sub(1);
                self.maybe_commit()
            }
            (StoreWhy::Stat(idx), StoreResult::Stat(present)) => {
                let Some((d, st)) = self.walk.layers.get_mut(idx) else {
                    return Err(PullError::HostContract {
                        what: "unknown layer",
                    });
                };
                if present == Some(d.size) {
                    *st = LayerState::Done;
                    let (digest, size) = (d.digest.clone(), d.size);
                    self.walk.blobs.push(digest.clone());
                    self.event(PullEvent::BlobSkipped { digest, size });
                } else {
                    *st = LayerState::Queued;
                }
                self.schedule()
            }
            (StoreWhy::Commit, StoreResult::Committed(record)) => {
                let id = record.id.clone();
                self.event(PullEvent::ImageRecorded { id });
                let (resolved, _) = self.walk.resolved.clone().ok_or(PullError::HostContract {
                    what: "commit before resolve",
                })?;
                let manifest_digest = self
                    .walk
                    .manifest
                    .as_ref()
                    .map(|(_, d)| d.digest.clone())
                    .ok_or(PullError::HostContract {
                        what: "commit before manifest",
                    })?;
                let (config, config_desc) =
                    self.walk.config.as_ref().ok_or(PullError::HostContract {
                        what: "commit before config",
                    })?;
                let chain_id = id::chain_id(config.diff_ids());
                self.done = Some(Box::new(PullOutcome {
                    record,
                    resolved_digest: resolved,
                    manifest_digest,
                    config_digest: config_desc.digest.clone(),
                    chain_id,
                    bytes_downloaded: self.walk.bytes_downloaded,
                }));
                Ok(())
            }
            _ => Err(PullError::HostContract {
                what: "a store answer of the wrong kind",
            }),
        }
    }

    /// Starts queued layer downloads up to the concurrency limit.
    fn schedule(&mut self) -> Result<(), PullError> {
        while self.walk.downloading < self.config.max_concurrent_blobs {
            let Some(idx) = self
                .walk
                .layers
                .iter()
                .position(|(_, s)| *s == LayerState::Queued)
            else {
                break;
            };
            let desc = self.walk.layers[idx].0.clone();
            self.walk.layers[idx].1 = LayerState::Downloading;
            self.walk.downloading += 1;
            let foreign = !desc.urls.is_empty()
                && media_type::MediaType::parse(&desc.media_type)
                    .is_some_and(|m| m.is_foreign_layer());
            let url = if foreign {
                if !self.config.allow_foreign_layers {
                    return Err(PullError::ForeignLayerRefused {
                        digest: desc.digest,
                    });
                }
                let url = desc
                    .urls
                    .iter()
                    .find_map(|u| Url::parse(u).ok())
                    .ok_or_else(|| {
                        PullError::Url(crate::url::UrlError::Invalid {
                            input: crate::digest::excerpt(
                                desc.urls.first().map(String::as_str).unwrap_or(""),
                            ),
                        })
                    })?;
                if url.scheme() == Scheme::Http && self.endpoint().scheme == Scheme::Https {
                    return Err(PullError::InsecureRedirect {
                        host: url.authority(),
                    });
                }
                Some(url)
            } else {
                None
            };
            self.start_fetch(Purpose::Layer { idx }, Method::Get, url)?;
        }
        self.maybe_commit()
    }

    fn maybe_commit(&mut self) -> Result<(), PullError> {
        let w = &self.walk;
        if w.committing
            || w.config.is_none()
            || w.puts_pending > 0
            || w.layers.iter().any(|(_, s)| *s != LayerState::Done)
        {
            return Ok(());
        }
        let (Some((resolved, _)), Some((_, mdesc)), Some((config, cdesc))) =
            (w.resolved.clone(), w.manifest.clone(), w.config.clone())
        else {
            return Ok(());
        };
        self.walk.committing = true;
        let size =
            mdesc.size + cdesc.size + self.walk.layers.iter().map(|(d, _)| d.size).sum::<u64>();
        let record = PullRecord {
            reference: self.request.reference.to_string(),
            id: cdesc.digest.clone(),
            manifest_digest: mdesc.digest.clone(),
            resolved_digest: Some(resolved),
            config_digest: Some(cdesc.digest.clone()),
            created: config.created().map(|t| t.unix_seconds()),
            labels: config.labels().clone(),
            size,
            os: Some(config.os().to_owned()).filter(|s| !s.is_empty()),
            architecture: Some(config.architecture().to_owned()).filter(|s| !s.is_empty()),
        };
        let mut blobs = self.walk.blobs.clone();
        blobs.sort();
        blobs.dedup();
        let id = StoreOpId(self.alloc());
        self.store_ops.insert(id, StoreWhy::Commit);
        self.out.push_back(Output::Store {
            id,
            op: StoreOp::Commit {
                blobs,
                manifest: mdesc,
                record,
            },
        });
        Ok(())
    }
}

/// `bytes START-END/TOTAL` → START.
fn content_range_start(v: &str) -> Option<u64> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, _) = rest.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    start.trim().parse().ok()
}

/// The first `code` of a distribution error body (`{"errors":[{"code":"DENIED",…}]}`),
/// kept only when it looks like a code (upper-case, short), never echoing arbitrary text.
fn registry_error_code(body: &[u8]) -> Option<String> {
    crate::json::check(body).ok()?;
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = v.get("errors")?.get(0)?.get("code")?.as_str()?;
    (code.len() <= 64 && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .then(|| code.to_owned())
}

#[allow(dead_code)]
fn _assert_secret_types(_: &Secret, _: &Credentials) {}
