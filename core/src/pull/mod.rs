//! The pull machine: a sans-IO state machine that turns a reference into a stored image.
//!
//! [`Puller`] has exactly two driving methods, [`Puller::handle_input`] and
//! [`Puller::poll_output`] (the str0m / quinn-proto shape). The host loops:
//!
//! ```text
//! loop {
//!     match puller.poll_output()? {
//!         Output::Http(req)              => send it; later handle_input(HttpResponse | HttpFailed)
//!         Output::Body { id, action }    => read/stream/discard; later handle_input(HttpBody | BlobStaged | HttpFailed)
//!         Output::Store { id, op }       => do it; handle_input(Store)
//!         Output::NeedCredentials { .. } => look up; handle_input(Credentials)
//!         Output::Event(e)               => show it
//!         Output::Wait { until }         => wait for any pending answer, or until `until`
//!         Output::Done(outcome)          => finished
//!     }
//! }
//! ```
//!
//! The machine decides everything a registry conversation needs: the resolve order (HEAD,
//! then GET by digest), the `Accept` list, auth challenges and token requests (re-challenged
//! on `insufficient_scope`, tokens cached with their expiry against the `now` it is
//! given), redirects (Authorization dropped on every cross-origin hop; https → http
//! refused), retries with backoff and `Retry-After`, `Range` resume of broken layer
//! transfers, platform selection, limits, digest and size checks, and the image record.
//! See [`io`] for the host contract, written in MUST language.

mod auth_flow;
mod error;
pub mod io;
mod machine;
pub mod ratelimit;
pub mod retry;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

pub use error::PullError;
pub use io::{
    BodyAction, CredentialId, Failure, HeaderValue, HttpRequest, Input, Method, Output, PullEvent,
    PullOutcome, RequestId, ResponseHead, StoreOp, StoreOpId, StoreResult, TransportFailure,
};
pub use machine::Puller;
pub use retry::RetryPolicy;

use crate::platform::Platform;
use crate::reference::{Reference, RegistriesConf};
use crate::url::Scheme;

/// What to pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequest {
    /// A normalized reference with a tag, a digest, or both (the digest wins for
    /// fetching; the tag is still recorded as a name, as cri-containerd does).
    pub reference: Reference,
    /// The platform to select from an index (normalized by the machine).
    pub platform: Platform,
}

/// One place the image may be fetched from: a mirror or the primary registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `https`, or `http` for `--plain-http` and the plain-HTTP fallback of an insecure
    /// registry.
    pub scheme: Scheme,
    /// Check the registry's TLS certificate. False only for registries marked
    /// `insecure = true` in registries.conf, and only for requests to the registry's own
    /// origin (token realms and blob redirects elsewhere are always verified).
    pub tls_verify: bool,
    /// The API host, `host[:port]` (`registry-1.docker.io` for `docker.io`).
    pub authority: String,
    /// The repository path at this endpoint (a mirror may add a prefix).
    pub repository: String,
    /// The registry name credentials are looked up by (`docker.io`, `quay.io`, the
    /// mirror's host…).
    pub credential_host: String,
}

impl Endpoint {
    /// Where to pull `reference` from, in order: registries.conf mirrors allowed for this
    /// kind of pull, then the primary location (each with the repository rewritten from
    /// the registry prefix), or just the reference's own registry without a conf.
    ///
    /// `plain_http` selects plain HTTP for every endpoint. A registry (or mirror) marked
    /// `insecure = true` in registries.conf becomes two endpoints, as containers/image
    /// treats it (`docker_client.go`, "insecure"): HTTPS without certificate verification
    /// first, then plain HTTP when that cannot resolve the image. A blocked registry fails
    /// with `registry-blocked`.
    pub fn for_reference(
        reference: &Reference,
        conf: Option<&RegistriesConf>,
        plain_http: bool,
    ) -> Result<Vec<Endpoint>, PullError> {
        let Some(conf) = conf else {
            return Ok(vec![Endpoint::primary(reference, plain_http)]);
        };
        let sources = conf.pull_sources(reference)?;
        let mut out = Vec::with_capacity(sources.len());
        for s in sources {
            let mut e = Endpoint::primary(&s.reference, plain_http);
            // Credentials are looked up by the registry actually contacted.
            e.credential_host = s.reference.domain().unwrap_or("docker.io").to_owned();
            if s.endpoint.insecure() && !plain_http {
                e.tls_verify = false;
                let mut fallback = e.clone();
                fallback.scheme = Scheme::Http;
                out.push(e);
                out.push(fallback);
            } else {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// The primary endpoint for `reference`: its domain over https (or http when
    /// `plain_http`), with Docker Hub's API host for `docker.io`.
    pub fn primary(reference: &Reference, plain_http: bool) -> Endpoint {
        let domain = reference.domain().unwrap_or("docker.io");
        let authority = if domain == "docker.io" {
            "registry-1.docker.io".to_owned()
        } else {
            domain.to_owned()
        };
        Endpoint {
            scheme: if plain_http {
                Scheme::Http
            } else {
                Scheme::Https
            },
            tls_verify: true,
            authority,
            repository: reference.path().to_owned(),
            credential_host: domain.to_owned(),
        }
    }
}

/// Limits on everything untrusted the machine buffers or follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullLimits {
    /// Largest manifest or index accepted (4 MiB, as distribution's registry enforces).
    pub max_manifest_bytes: u64,
    /// Largest image config accepted (4 MiB).
    pub max_config_bytes: u64,
    /// Largest token response accepted (1 MiB).
    pub max_token_bytes: u64,
    /// Largest error body read to find a registry error code (64 KiB).
    pub max_error_body_bytes: u64,
    /// Deepest index nesting followed (an index of indexes is legal, but rare).
    pub max_index_depth: u8,
    /// Redirect hops per request (containerd and Go's client use 10; blob CDNs use 1–2).
    pub max_redirects: u8,
    /// Auth round trips per request before giving up (`401` after a fresh token twice).
    pub max_auth_attempts: u8,
}

impl Default for PullLimits {
    fn default() -> Self {
        PullLimits {
            max_manifest_bytes: 4 * 1024 * 1024,
            max_config_bytes: 4 * 1024 * 1024,
            max_token_bytes: 1024 * 1024,
            max_error_body_bytes: 64 * 1024,
            max_index_depth: 4,
            max_redirects: 10,
            max_auth_attempts: 2,
        }
    }
}

/// How to pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullConfig {
    /// Blob downloads in flight at once (default 4).
    pub max_concurrent_blobs: usize,
    /// Retry and backoff policy.
    pub retry: RetryPolicy,
    /// Limits on untrusted input.
    pub limits: PullLimits,
    /// Endpoints tried in order for resolving the manifest: mirrors first, then the
    /// primary. Blobs come from the endpoint that resolved. Empty means
    /// `[Endpoint::primary(reference, false)]`.
    pub endpoints: Vec<Endpoint>,
    /// Fetch layers that name foreign `urls` (without credentials). When false such a
    /// layer fails the pull with `foreign-layer-refused`.
    pub allow_foreign_layers: bool,
    /// The `User-Agent` header value.
    pub user_agent: String,
}

impl Default for PullConfig {
    fn default() -> Self {
        PullConfig {
            max_concurrent_blobs: 4,
            retry: RetryPolicy::default(),
            limits: PullLimits::default(),
            endpoints: Vec::new(),
            allow_foreign_layers: true,
            user_agent: concat!("hoist/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}
