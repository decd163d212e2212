//! Error classes: which kind of failure an error is, so that every host reports it the same
//! way (a gRPC status code in the CRI server, an exit status, a JS error class).
//!
//! The class is a protocol decision (is a 404 "not found" or "bad request"? is a digest
//! mismatch the caller's fault?), so it is made here, once; hosts map each class to their
//! own vocabulary with a fixed table and never look at the error itself. The CRI server's
//! table is in `hosts/native/src/cri/status.rs`.
//!
//! The classes follow gRPC's status code guide (grpc/grpc `doc/statuscodes.md`) and
//! containerd's `errdefs` (which cri-containerd turns into gRPC codes): a missing manifest
//! or platform is `NotFound`, refused credentials are `Unauthenticated`, a 502/503/504 or
//! a network failure is `Unavailable` (retry later), a 429 is `RateLimited`
//! (`RESOURCE_EXHAUSTED`), content failing its digest is `BadContent` (containerd's
//! `ErrFailedPrecondition` for a commit digest mismatch).

use crate::pull::PullError;
use crate::store::StoreError;

/// The kind of a failure (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The request is malformed: a bad reference, bad credentials encoding, a bad platform.
    InvalidInput,
    /// The named thing does not exist: manifest, blob, platform, image.
    NotFound,
    /// Credentials were refused, or are needed and none were sent.
    Unauthenticated,
    /// The credentials are valid but not allowed (403).
    PermissionDenied,
    /// The registry is rate limiting (429 beyond the retry policy).
    RateLimited,
    /// The registry or the network is down for now (502/503/504, connect/TLS failures,
    /// timeouts): retrying later may succeed.
    Unavailable,
    /// The registry served content that fails verification or limits (digest or size
    /// mismatch, invalid or too large manifest/config, redirect loops).
    BadContent,
    /// The request is valid but the state forbids it now (an image with several names
    /// removed by ID, a pull in flight).
    Conflict,
    /// Valid, but something hoist does not do (an image format, a foreign layer).
    Unsupported,
    /// The caller or the host cancelled.
    Cancelled,
    /// A local failure: the store, the host contract, a corrupt index.
    Internal,
}

impl ErrorClass {
    /// A stable kebab-case name (`not-found`, `unavailable`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::InvalidInput => "invalid-input",
            ErrorClass::NotFound => "not-found",
            ErrorClass::Unauthenticated => "unauthenticated",
            ErrorClass::PermissionDenied => "permission-denied",
            ErrorClass::RateLimited => "rate-limited",
            ErrorClass::Unavailable => "unavailable",
            ErrorClass::BadContent => "bad-content",
            ErrorClass::Conflict => "conflict",
            ErrorClass::Unsupported => "unsupported",
            ErrorClass::Cancelled => "cancelled",
            ErrorClass::Internal => "internal",
        }
    }
}

impl PullError {
    /// The class of this failure (see the module docs).
    pub fn class(&self) -> ErrorClass {
        use crate::platform::PlatformError;
        match self {
            PullError::InvalidRequest { .. } | PullError::Reference(_) => ErrorClass::InvalidInput,
            PullError::Platform(PlatformError::NoMatch { .. }) => ErrorClass::NotFound,
            PullError::Platform(_) => ErrorClass::InvalidInput,
            PullError::ManifestUnknown { .. } | PullError::BlobUnknown { .. } => {
                ErrorClass::NotFound
            }
            PullError::Unauthorized { .. } | PullError::Auth(_) => ErrorClass::Unauthenticated,
            PullError::Denied { .. } => ErrorClass::PermissionDenied,
            PullError::TooManyRequests { .. } => ErrorClass::RateLimited,
            PullError::RegistryUnavailable { .. } | PullError::Transport { .. } => {
                ErrorClass::Unavailable
            }
            PullError::UnexpectedStatus { status, .. } if *status >= 500 => ErrorClass::Unavailable,
            PullError::UnexpectedStatus { .. }
            | PullError::TooLarge { .. }
            | PullError::Digest(_)
            | PullError::Manifest(_)
            | PullError::Config(_)
            | PullError::Url(_)
            | PullError::TooManyRedirects { .. }
            | PullError::InsecureRedirect { .. }
            | PullError::IndexTooDeep { .. } => ErrorClass::BadContent,
            PullError::ForeignLayerRefused { .. } | PullError::UnsupportedImage { .. } => {
                ErrorClass::Unsupported
            }
            PullError::Cancelled => ErrorClass::Cancelled,
            PullError::Store { .. } | PullError::HostContract { .. } => ErrorClass::Internal,
        }
    }
}

impl StoreError {
    /// The class of this failure (see the module docs).
    pub fn class(&self) -> ErrorClass {
        match self {
            StoreError::ImageNotKnown { .. } | StoreError::TagNotKnown { .. } => {
                ErrorClass::NotFound
            }
            StoreError::InvalidReference { .. } | StoreError::TagWithDigest { .. } => {
                ErrorClass::InvalidInput
            }
            StoreError::AmbiguousIdPrefix { .. }
            | StoreError::AmbiguousShortName { .. }
            | StoreError::HasMultipleNames { .. }
            | StoreError::PullInProgress { .. } => ErrorClass::Conflict,
            StoreError::InvalidIndex { .. }
            | StoreError::UnsupportedIndexVersion { .. }
            | StoreError::DuplicateImageId { .. }
            | StoreError::DuplicateName { .. }
            | StoreError::NonCanonicalName { .. }
            | StoreError::InvalidLayout { .. } => ErrorClass::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::ErrorCode;

    #[test]
    fn pull_classes() {
        let d = Digest::sha256_of(b"x");
        let cases: Vec<(PullError, ErrorClass)> = vec![
            (
                PullError::ManifestUnknown {
                    reference: "v1".into(),
                    host: "r.io".into(),
                },
                ErrorClass::NotFound,
            ),
            (
                PullError::Unauthorized {
                    host: "r.io".into(),
                },
                ErrorClass::Unauthenticated,
            ),
            (
                PullError::Denied {
                    host: "r.io".into(),
                },
                ErrorClass::PermissionDenied,
            ),
            (
                PullError::RegistryUnavailable {
                    host: "r.io".into(),
                    status: 503,
                },
                ErrorClass::Unavailable,
            ),
            (
                PullError::Transport {
                    code: "connect-failed",
                    host: "r.io".into(),
                },
                ErrorClass::Unavailable,
            ),
            (
                PullError::UnexpectedStatus {
                    host: "r.io".into(),
                    status: 500,
                    registry_code: None,
                },
                ErrorClass::Unavailable,
            ),
            (
                PullError::UnexpectedStatus {
                    host: "r.io".into(),
                    status: 400,
                    registry_code: None,
                },
                ErrorClass::BadContent,
            ),
            (
                PullError::TooManyRequests {
                    host: "r.io".into(),
                },
                ErrorClass::RateLimited,
            ),
            (
                PullError::BlobUnknown {
                    digest: d.clone(),
                    host: "r.io".into(),
                },
                ErrorClass::NotFound,
            ),
            (
                PullError::ForeignLayerRefused { digest: d },
                ErrorClass::Unsupported,
            ),
            (PullError::Cancelled, ErrorClass::Cancelled),
            (
                PullError::Store {
                    message: "disk full".into(),
                },
                ErrorClass::Internal,
            ),
        ];
        for (e, class) in cases {
            assert_eq!(e.class(), class, "{}", e.code());
        }
    }

    #[test]
    fn store_classes() {
        let missing = StoreError::ImageNotKnown { input: "x".into() };
        assert_eq!(missing.class(), ErrorClass::NotFound);
        let busy = StoreError::PullInProgress {
            reference: "docker.io/library/redis:7".into(),
        };
        assert_eq!(busy.class(), ErrorClass::Conflict);
        assert_eq!(busy.code(), "image-pull-in-progress");
        assert_eq!(ErrorClass::BadContent.as_str(), "bad-content");
    }
}
