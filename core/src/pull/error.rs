//! [`PullError`]: every way a pull can fail, each with a stable code.

use std::fmt;

use crate::auth::AuthError;
use crate::config::ConfigError;
use crate::digest::{Digest, DigestError};
use crate::manifest::ManifestError;
use crate::platform::PlatformError;
use crate::reference::ReferenceError;
use crate::url::UrlError;
use crate::ErrorCode;

/// Why a pull failed. Once a [`crate::pull::Puller`] returns one, it returns the same one
/// from every later call.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PullError {
    /// The request itself is unusable (no tag or digest, no endpoint).
    InvalidRequest {
        /// What is wrong.
        reason: &'static str,
    },
    /// The registry does not know the manifest (404 on every endpoint).
    ManifestUnknown {
        /// The tag or digest asked for.
        reference: String,
        /// The registry host.
        host: String,
    },
    /// The registry does not know a blob (404).
    BlobUnknown {
        /// The blob.
        digest: Digest,
        /// The registry host.
        host: String,
    },
    /// Credentials were refused, or none were given where they are needed.
    Unauthorized {
        /// The registry (or token server) host.
        host: String,
    },
    /// 403: the credentials are valid but not allowed to pull this.
    Denied {
        /// The registry host.
        host: String,
    },
    /// 429 beyond the retry policy.
    TooManyRequests {
        /// The registry host.
        host: String,
    },
    /// 502/503/504 beyond the retry policy.
    RegistryUnavailable {
        /// The registry host.
        host: String,
        /// The last status.
        status: u16,
    },
    /// Any other unexpected status.
    UnexpectedStatus {
        /// The registry host.
        host: String,
        /// The status.
        status: u16,
        /// The first distribution error code in the body (`MANIFEST_INVALID`…), if any.
        registry_code: Option<String>,
    },
    /// A body was longer than its limit.
    TooLarge {
        /// `manifest`, `config`, `token` or `error body`.
        what: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// Content does not match its digest or size.
    Digest(DigestError),
    /// A manifest could not be accepted.
    Manifest(ManifestError),
    /// The image config could not be accepted.
    Config(ConfigError),
    /// No platform in the index matches.
    Platform(PlatformError),
    /// Challenge, token or credential failure.
    Auth(AuthError),
    /// A URL from the registry (Location, realm, foreign layer) is unusable.
    Url(UrlError),
    /// The reference or its registries.conf entry is unusable (blocked registry, bad
    /// rewrite).
    Reference(ReferenceError),
    /// More redirects than allowed, or a loop.
    TooManyRedirects {
        /// The host of the last hop.
        host: String,
    },
    /// A redirect from https to http.
    InsecureRedirect {
        /// The http host redirected to.
        host: String,
    },
    /// Indexes nested deeper than allowed.
    IndexTooDeep {
        /// The limit.
        limit: u8,
    },
    /// A layer must be fetched from a foreign URL, and the config forbids it.
    ForeignLayerRefused {
        /// The layer.
        digest: Digest,
    },
    /// The image format cannot be pulled: Docker schema1, which docker 28 and containerd 2
    /// refuse as well.
    UnsupportedImage {
        /// Why.
        reason: &'static str,
    },
    /// A network failure beyond the retry policy.
    Transport {
        /// `connect-failed`, `tls-failed`, `proxy-failed`, `connection-reset` or `timeout`.
        code: &'static str,
        /// The host.
        host: String,
    },
    /// The store failed.
    Store {
        /// The host's message.
        message: String,
    },
    /// The host cancelled the pull.
    Cancelled,
    /// The host broke the I/O contract (an unknown id, an answer of the wrong kind).
    HostContract {
        /// What happened.
        what: &'static str,
    },
}

impl PullError {
    /// Whether another short-name candidate may still succeed after this failure (the
    /// image is missing there, or that registry refused us), as podman moves on through
    /// its unqualified-search registries. Content and transport failures stop the search.
    pub fn next_candidate_may_succeed(&self) -> bool {
        matches!(
            self,
            PullError::ManifestUnknown { .. }
                | PullError::Unauthorized { .. }
                | PullError::Denied { .. }
        )
    }
}

impl ErrorCode for PullError {
    fn code(&self) -> &'static str {
        match self {
            PullError::InvalidRequest { .. } => "invalid-pull-request",
            PullError::ManifestUnknown { .. } => "manifest-unknown",
            PullError::BlobUnknown { .. } => "blob-unknown",
            PullError::Unauthorized { .. } => "unauthorized",
            PullError::Denied { .. } => "denied",
            PullError::TooManyRequests { .. } => "too-many-requests",
            PullError::RegistryUnavailable { .. } => "registry-unavailable",
            PullError::UnexpectedStatus { .. } => "unexpected-status",
            PullError::TooLarge { what, .. } => match *what {
                "manifest" => "manifest-too-large",
                "config" => "config-too-large",
                "token" => "token-too-large",
                _ => "error-body-too-large",
            },
            PullError::Digest(e) => e.code(),
            PullError::Manifest(e) => e.code(),
            PullError::Config(e) => e.code(),
            PullError::Platform(e) => e.code(),
            PullError::Auth(e) => e.code(),
            PullError::Url(e) => e.code(),
            PullError::Reference(e) => e.code(),
            PullError::TooManyRedirects { .. } => "too-many-redirects",
            PullError::InsecureRedirect { .. } => "insecure-redirect",
            PullError::IndexTooDeep { .. } => "index-too-deep",
            PullError::ForeignLayerRefused { .. } => "foreign-layer-refused",
            PullError::UnsupportedImage { .. } => "unsupported-image",
            PullError::Transport { code, .. } => code,
            PullError::Store { .. } => "store-failed",
            PullError::Cancelled => "cancelled",
            PullError::HostContract { .. } => "host-contract-violation",
        }
    }
}

impl fmt::Display for PullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PullError::InvalidRequest { reason } => write!(f, "invalid pull request: {reason}"),
            PullError::ManifestUnknown { reference, host } => {
                write!(f, "manifest unknown: {reference} not found on {host}")
            }
            PullError::BlobUnknown { digest, host } => {
                write!(f, "blob unknown: {digest} not found on {host}")
            }
            PullError::Unauthorized { host } => {
                write!(
                    f,
                    "unauthorized: {host} refused the credentials (or needs some)"
                )
            }
            PullError::Denied { host } => write!(f, "denied: {host} refused access"),
            PullError::TooManyRequests { host } => {
                write!(f, "too many requests: {host} is rate limiting")
            }
            PullError::RegistryUnavailable { host, status } => {
                write!(f, "registry unavailable: {host} answered {status}")
            }
            PullError::UnexpectedStatus {
                host,
                status,
                registry_code,
            } => match registry_code {
                Some(c) => write!(f, "unexpected status {status} from {host} ({c})"),
                None => write!(f, "unexpected status {status} from {host}"),
            },
            PullError::TooLarge { what, limit } => {
                write!(f, "{what} larger than the {limit}-byte limit")
            }
            PullError::Digest(e) => e.fmt(f),
            PullError::Manifest(e) => e.fmt(f),
            PullError::Config(e) => e.fmt(f),
            PullError::Platform(e) => e.fmt(f),
            PullError::Auth(e) => e.fmt(f),
            PullError::Url(e) => e.fmt(f),
            PullError::Reference(e) => e.fmt(f),
            PullError::TooManyRedirects { host } => {
                write!(f, "too many redirects (last to {host})")
            }
            PullError::InsecureRedirect { host } => {
                write!(f, "refused redirect from https to http://{host}")
            }
            PullError::IndexTooDeep { limit } => {
                write!(f, "image indexes nested deeper than {limit}")
            }
            PullError::ForeignLayerRefused { digest } => {
                write!(
                    f,
                    "layer {digest} is foreign and foreign layers are disabled"
                )
            }
            PullError::UnsupportedImage { reason } => write!(f, "unsupported image: {reason}"),
            PullError::Transport { code, host } => match *code {
                "connect-failed" => write!(f, "could not connect to {host}"),
                "connection-reset" => write!(f, "connection to {host} dropped"),
                "timeout" => write!(f, "timed out waiting for {host}"),
                "tls-failed" => write!(f, "TLS handshake or certificate check failed for {host}"),
                "proxy-failed" => {
                    write!(f, "the HTTP proxy failed or refused the tunnel to {host}")
                }
                other => write!(f, "{other} talking to {host}"),
            },
            PullError::Store { message } => write!(f, "store failed: {message}"),
            PullError::Cancelled => f.write_str("pull cancelled"),
            PullError::HostContract { what } => write!(f, "host broke the pull contract: {what}"),
        }
    }
}

impl std::error::Error for PullError {}

impl From<DigestError> for PullError {
    fn from(e: DigestError) -> Self {
        PullError::Digest(e)
    }
}
impl From<ManifestError> for PullError {
    fn from(e: ManifestError) -> Self {
        PullError::Manifest(e)
    }
}
impl From<ConfigError> for PullError {
    fn from(e: ConfigError) -> Self {
        PullError::Config(e)
    }
}
impl From<PlatformError> for PullError {
    fn from(e: PlatformError) -> Self {
        PullError::Platform(e)
    }
}
impl From<AuthError> for PullError {
    fn from(e: AuthError) -> Self {
        PullError::Auth(e)
    }
}
impl From<UrlError> for PullError {
    fn from(e: UrlError) -> Self {
        PullError::Url(e)
    }
}
impl From<ReferenceError> for PullError {
    fn from(e: ReferenceError) -> Self {
        PullError::Reference(e)
    }
}
