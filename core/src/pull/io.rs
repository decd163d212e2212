//! The boundary between the pull machine and its host: what the machine asks for
//! ([`Output`]) and what the host answers ([`Input`]).
//!
//! # Contract (hosts MUST follow it)
//!
//! - A host MUST answer every [`Output::Http`] with exactly one [`Input::HttpResponse`] or
//!   [`Input::HttpFailed`]; after an `HttpResponse`, the machine emits exactly one
//!   [`Output::Body`] for that request, which the host MUST answer with
//!   [`Input::HttpBody`], [`Input::BlobStaged`] or [`Input::HttpFailed`].
//! - A host MUST answer every [`Output::Store`] with one [`Input::Store`], and every
//!   [`Output::NeedCredentials`] with one [`Input::Credentials`].
//! - A host MUST NOT follow redirects, add or drop headers, or interpret statuses: the
//!   machine decides all of that. It sends exactly the method, URL, headers and body given.
//! - After [`Output::Wait`] with `until: Some(t)`, a host that has no other input by `t`
//!   MUST call `handle_input(Input::Timeout(now))` with `now ≥ t`. Time MUST NOT go
//!   backwards across calls.
//! - Requests may be answered in any order; several may be in flight at once.
//! - Once any call returned an error, every later call returns the same error; the host
//!   MUST then discard everything this pull staged, so the visible store is exactly as it
//!   was before the pull. Staged blobs become visible only through [`StoreOp::Commit`].

use serde::Serialize;

pub use crate::auth::HeaderValue;
use crate::auth::{Credentials, Secret};
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::platform::Platform;
use crate::pull::ratelimit::RateLimit;
use crate::store::{ImageRecord, PullRecord};
use crate::url::Url;

/// Identifies one HTTP request (across its head and body phases).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RequestId(pub u64);

/// Identifies one store operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct StoreOpId(pub u64);

/// Identifies one credential lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CredentialId(pub u64);

/// HTTP methods the machine uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST` (OAuth2 token requests only)
    Post,
}

impl Method {
    /// The method as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
        }
    }
}

/// A request the host must send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// Echoed in the answers.
    pub id: RequestId,
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: Url,
    /// Headers, in order. Names are lowercase.
    pub headers: Vec<(String, HeaderValue)>,
    /// The request body, if any (token POSTs carry credentials, hence a secret).
    pub body: Option<Secret>,
    /// Whether this request's body will be streamed to the store (a blob). Hosts may use
    /// it to pick a connection pool or a longer idle timeout; nothing else.
    pub is_blob: bool,
    /// Whether the host MUST verify the server's TLS certificate (https only). False
    /// only for an `insecure = true` registry's own origin ([`super::Endpoint::tls_verify`]);
    /// a host that cannot skip verification verifies anyway (the pull then falls back to
    /// the registry's plain-HTTP endpoint).
    pub tls_verify: bool,
}

/// The status line and headers of a response. The body is read only after the machine
/// says how ([`Output::Body`]).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ResponseHead {
    /// The HTTP status.
    pub status: u16,
    /// Headers in the order received; names in any case (the machine lowercases).
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All values of header `name` (case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How the host must treat a response body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyAction {
    /// Read at most `limit + 1` bytes and hand them over with [`Input::HttpBody`]. The
    /// machine rejects bodies longer than `limit`; the extra byte is how it knows.
    Buffer {
        /// The largest acceptable body.
        limit: u64,
    },
    /// Stream the body into the store's staging area as blob `digest`, through a
    /// [`crate::digest::Verifier`] with `size`, starting at byte `offset` (non-zero when
    /// resuming with `Range`: the host keeps the first `offset` bytes it staged before and
    /// their hash state). Answer with [`Input::BlobStaged`], or with
    /// [`Input::HttpFailed`] carrying how many bytes are staged.
    StreamToStore {
        /// The blob's digest.
        digest: Digest,
        /// The blob's declared size.
        size: u64,
        /// Bytes already staged; the response body continues from there.
        offset: u64,
    },
    /// Close or drain the body; answer with an empty [`Input::HttpBody`].
    Discard,
}

/// Why an exchange failed below HTTP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
#[non_exhaustive]
pub enum TransportFailure {
    /// DNS or TCP connect failed.
    Connect,
    /// TLS handshake or certificate failure (never retried: it will not fix itself).
    Tls,
    /// The HTTP proxy (`HTTPS_PROXY`…) could not be reached or refused the CONNECT
    /// tunnel (never retried: a refusal is the proxy's policy).
    Proxy,
    /// The connection dropped mid-exchange.
    Reset,
    /// No bytes for longer than the idle timeout.
    Timeout,
    /// The streamed blob does not hash to its digest.
    DigestMismatch {
        /// What it hashed to.
        actual: Digest,
    },
    /// The streamed blob is longer or shorter than declared.
    SizeMismatch {
        /// Bytes received.
        actual: u64,
    },
    /// The store could not stage the blob (disk full, permissions). Never retried.
    Store {
        /// A short description from the host (no secrets, no paths from the network).
        message: String,
    },
    /// The operation was cancelled by the host.
    Cancelled,
}

impl From<crate::digest::DigestError> for TransportFailure {
    /// How a host reports a streamed blob that its [`crate::digest::Verifier`] rejected:
    /// a wrong hash is [`TransportFailure::DigestMismatch`], a wrong length
    /// [`TransportFailure::SizeMismatch`]; anything else cannot come from a verifier and
    /// is reported as a store failure.
    fn from(e: crate::digest::DigestError) -> Self {
        use crate::digest::DigestError;
        match e {
            DigestError::Mismatch { actual, .. } => TransportFailure::DigestMismatch { actual },
            DigestError::SizeMismatch { actual, .. } => TransportFailure::SizeMismatch { actual },
            other => TransportFailure::Store {
                message: other.to_string(),
            },
        }
    }
}

/// A transport failure, with how much of a streamed blob is safely staged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong.
    pub kind: TransportFailure,
    /// For [`BodyAction::StreamToStore`]: verified-so-far bytes kept in staging, from
    /// which a `Range` request can resume. 0 otherwise.
    pub staged_bytes: u64,
}

/// A store operation the host must perform.
// Messages are moved once per I/O operation; boxing them would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreOp {
    /// Is blob `digest` already committed in the store? Answer with [`StoreResult::Stat`].
    Stat {
        /// The blob.
        digest: Digest,
    },
    /// Stage these verified bytes as blob `digest` (manifests and configs).
    PutBlob {
        /// The blob.
        digest: Digest,
        /// Its exact bytes (already verified by the machine).
        bytes: Vec<u8>,
    },
    /// Make the image visible, atomically: move every staged blob into the store, then
    /// record the image in the index (tag moves follow `crate::store` rules), then answer
    /// [`StoreResult::Committed`]. Nothing may become visible if this fails.
    Commit {
        /// Every blob the image reaches, staged or already present.
        blobs: Vec<Digest>,
        /// The manifest (or index) descriptor the name points at.
        manifest: Descriptor,
        /// What the index must record (the store derives names and repo digests from it
        /// with `ImageIndex::record_pull`).
        record: PullRecord,
    },
}

/// What the host reports back for a [`StoreOp`].
// Messages are moved once per I/O operation; boxing them would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreResult {
    /// For `Stat`: the committed blob's size, or `None` when absent.
    Stat(Option<u64>),
    /// For `PutBlob`.
    Done,
    /// For `Commit`: the record as the index now holds it.
    Committed(ImageRecord),
    /// The operation failed; nothing changed (a short message, no secrets).
    Failed(String),
}

/// Progress and milestones, for progress bars, Node callbacks and CRI logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
#[non_exhaustive]
pub enum PullEvent {
    /// The reference resolved to a manifest digest.
    Resolved {
        /// The manifest (or index) digest.
        digest: Digest,
        /// Its media type.
        media_type: String,
        /// The registry endpoint that answered (a mirror or the primary).
        endpoint: String,
    },
    /// A platform was chosen from an index.
    PlatformSelected {
        /// The chosen platform.
        platform: Platform,
        /// The platform-specific manifest.
        digest: Digest,
    },
    /// A blob download started.
    BlobStarted {
        /// The blob.
        digest: Digest,
        /// Declared size.
        size: u64,
    },
    /// Bytes of a blob have arrived (reported by the host with [`Input::Progress`]).
    BlobProgress {
        /// The blob.
        digest: Digest,
        /// Bytes so far.
        bytes: u64,
        /// Declared size.
        size: u64,
    },
    /// A blob was already in the store.
    BlobSkipped {
        /// The blob.
        digest: Digest,
        /// Its size.
        size: u64,
    },
    /// A blob is staged and verified.
    BlobDone {
        /// The blob.
        digest: Digest,
        /// Its size.
        size: u64,
    },
    /// A request will be retried.
    Retrying {
        /// What is retried (the URL path, never a query with tokens).
        what: String,
        /// Attempt number about to be made.
        attempt: u32,
        /// When (host-monotonic ms).
        at: u64,
    },
    /// The registry reported its rate limit.
    RateLimit {
        /// The registry host.
        host: String,
        /// The parsed state.
        limit: RateLimit,
    },
    /// The image is in the index.
    ImageRecorded {
        /// The image ID.
        id: Digest,
    },
}

/// What the machine wants next.
// Messages are moved once per I/O operation; boxing them would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send this request and report its status and headers.
    Http(HttpRequest),
    /// Read (or stream, or discard) the body of request `id` as told.
    Body {
        /// The request.
        id: RequestId,
        /// How.
        action: BodyAction,
    },
    /// Perform this store operation.
    Store {
        /// Echoed in the answer.
        id: StoreOpId,
        /// The operation.
        op: StoreOp,
    },
    /// Look up credentials for `host` (auth files, helpers, CRI AuthConfig, `--creds`),
    /// and answer [`Input::Credentials`] (`Credentials::Anonymous` when none).
    NeedCredentials {
        /// Echoed in the answer.
        id: CredentialId,
        /// The registry host (`host[:port]`) the credentials are for.
        host: String,
    },
    /// Something to show.
    Event(PullEvent),
    /// Nothing to do until an input arrives, or until `until` (host-monotonic ms).
    Wait {
        /// Wake-up time for a retry backoff, if any.
        until: Option<u64>,
    },
    /// The pull finished; the image is recorded.
    Done(Box<PullOutcome>),
}

/// What a finished pull produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PullOutcome {
    /// The image record as committed.
    pub record: ImageRecord,
    /// The digest the reference resolved to (an index digest for multi-platform images).
    pub resolved_digest: Digest,
    /// The platform-specific manifest digest.
    pub manifest_digest: Digest,
    /// The config digest, which is the image ID.
    pub config_digest: Digest,
    /// The chain ID of the top layer, when the image has layers.
    pub chain_id: Option<Digest>,
    /// Bytes downloaded (not counting skipped blobs).
    pub bytes_downloaded: u64,
}

/// What the host tells the machine.
// Messages are moved once per I/O operation; boxing them would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Status and headers of request `id` arrived.
    HttpResponse {
        /// The request.
        id: RequestId,
        /// Status and headers.
        head: ResponseHead,
        /// Host-monotonic ms.
        now: u64,
    },
    /// The body asked for with [`BodyAction::Buffer`] (or nothing, after `Discard`).
    HttpBody {
        /// The request.
        id: RequestId,
        /// The bytes read (at most `limit + 1`).
        bytes: Vec<u8>,
        /// Host-monotonic ms.
        now: u64,
    },
    /// The blob asked for with [`BodyAction::StreamToStore`] is staged and verified.
    BlobStaged {
        /// The request.
        id: RequestId,
        /// Host-monotonic ms.
        now: u64,
    },
    /// Bytes streamed so far for request `id` (optional; drives progress events).
    Progress {
        /// The request.
        id: RequestId,
        /// Total staged bytes.
        bytes: u64,
    },
    /// Request `id` failed below HTTP.
    HttpFailed {
        /// The request.
        id: RequestId,
        /// What happened.
        failure: Failure,
        /// Host-monotonic ms.
        now: u64,
    },
    /// The result of store operation `id`.
    Store {
        /// The operation.
        id: StoreOpId,
        /// Its result.
        result: StoreResult,
    },
    /// The credentials for lookup `id`.
    Credentials {
        /// The lookup.
        id: CredentialId,
        /// What was found (`Anonymous` when nothing).
        credentials: Credentials,
    },
    /// The time is now `now` (host-monotonic ms), after a `Wait { until }`.
    Timeout(u64),
}
