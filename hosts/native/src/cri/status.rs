//! Errors → gRPC statuses, with the table of the module docs (`cri/mod.rs`).

use hoist_core::{ErrorClass, ErrorCode};
use tonic::{Code, Status};

use crate::drive::DriveError;
use crate::store::StoreIoError;

/// Metadata key that carries the stable error code of a failed call.
pub const CODE_METADATA: &str = "hoist-error-code";

/// An error as the service reports it: class, stable code, one-line message.
#[derive(Clone, Debug)]
pub struct CallError {
    /// The core's class (or the host's, for host-only failures).
    pub class: ErrorClass,
    /// The stable kebab-case code.
    pub code: &'static str,
    /// The message (never a secret).
    pub message: String,
}

impl CallError {
    /// A host-side error of `class`.
    pub fn new(class: ErrorClass, code: &'static str, message: impl Into<String>) -> Self {
        CallError {
            class,
            code,
            message: message.into(),
        }
    }

    /// The gRPC status of this error.
    pub fn to_status(&self) -> Status {
        let code = match self.class {
            ErrorClass::InvalidInput => Code::InvalidArgument,
            ErrorClass::NotFound => Code::NotFound,
            ErrorClass::Unauthenticated => Code::Unauthenticated,
            ErrorClass::PermissionDenied => Code::PermissionDenied,
            ErrorClass::RateLimited => Code::ResourceExhausted,
            ErrorClass::Unavailable => Code::Unavailable,
            ErrorClass::BadContent | ErrorClass::Conflict => Code::FailedPrecondition,
            ErrorClass::Unsupported => Code::Unimplemented,
            ErrorClass::Cancelled => Code::Cancelled,
            _ => Code::Internal,
        };
        let prefix = if self.class == ErrorClass::Unavailable {
            "RegistryUnavailable: "
        } else {
            ""
        };
        let mut status = Status::new(code, format!("{prefix}{} ({})", self.message, self.code));
        if let Ok(v) = self.code.parse() {
            status.metadata_mut().insert(CODE_METADATA, v);
        }
        status
    }
}

impl From<&DriveError> for CallError {
    fn from(e: &DriveError) -> Self {
        let class = match e {
            DriveError::Pull(p) => p.class(),
            // A credential source failed; the CRI server has only the request's, so this
            // is the request's AuthConfig failing to decode.
            DriveError::Credentials { .. } => ErrorClass::InvalidInput,
            DriveError::Cancelled => ErrorClass::Cancelled,
        };
        CallError::new(class, e.code(), e.to_string())
    }
}

impl From<StoreIoError> for CallError {
    fn from(e: StoreIoError) -> Self {
        let class = match &e {
            StoreIoError::Index(i) => i.class(),
            // Another process holds the store lock for longer than we wait.
            StoreIoError::Locked { .. } => ErrorClass::Unavailable,
            _ => ErrorClass::Internal,
        };
        CallError::new(class, e.code(), e.to_string())
    }
}

/// A core error (reference, auth, store…) with its class.
pub fn core_error<E: ErrorCode + std::fmt::Display>(class: ErrorClass, e: &E) -> CallError {
    CallError::new(class, e.code(), e.to_string())
}

#[cfg(test)]
mod tests {
    use hoist_core::pull::PullError;

    use super::*;

    #[test]
    fn registry_unavailable_is_concise() {
        let e = DriveError::Pull(PullError::RegistryUnavailable {
            host: "127.0.0.1:5000".into(),
            status: 503,
        });
        let s = CallError::from(&e).to_status();
        assert_eq!(s.code(), Code::Unavailable);
        assert_eq!(
            s.message(),
            "RegistryUnavailable: registry unavailable: 127.0.0.1:5000 answered 503 (registry-unavailable)"
        );
        assert_eq!(
            s.metadata()
                .get(CODE_METADATA)
                .and_then(|v| v.to_str().ok()),
            Some("registry-unavailable")
        );
    }

    #[test]
    fn classes_map_to_codes() {
        let cases = [
            (
                PullError::ManifestUnknown {
                    reference: "v9".into(),
                    host: "r".into(),
                },
                Code::NotFound,
            ),
            (
                PullError::Unauthorized { host: "r".into() },
                Code::Unauthenticated,
            ),
            (
                PullError::Denied { host: "r".into() },
                Code::PermissionDenied,
            ),
            (
                PullError::TooManyRequests { host: "r".into() },
                Code::ResourceExhausted,
            ),
            (PullError::Cancelled, Code::Cancelled),
        ];
        for (e, code) in cases {
            let s = CallError::from(&DriveError::Pull(e)).to_status();
            assert_eq!(s.code(), code, "{}", s.message());
        }
    }
}
