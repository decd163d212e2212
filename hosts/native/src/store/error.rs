//! The store's one error type.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use hoist_core::digest::{Digest, DigestError};
use hoist_core::store::StoreError;
use hoist_core::ErrorCode;

/// Why a store operation failed.
///
/// Every variant has a stable kebab-case [`code`](StoreIoError::code). Messages are
/// lower-case and name the path or digest at fault.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreIoError {
    /// A filesystem call failed (`store-io`).
    Io {
        /// What was being done (`open`, `rename`, `fsync`…).
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A file of the store does not have the content it must have: unparseable
    /// `hoist.json` / `index.json` / `oci-layout`, a blob that does not hash to its name, a
    /// manifest that is not a manifest (`store-corrupt`).
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// A blob an operation needs is neither committed nor staged (`blob-missing`).
    BlobMissing {
        /// The blob.
        digest: Digest,
        /// Who needs it (`manifest sha256:…`, `commit`, `read`).
        needed_by: String,
    },
    /// Streamed or staged content does not match its descriptor: the core's
    /// `digest-mismatch` or `size-mismatch`.
    Verify {
        /// The blob being written.
        digest: Digest,
        /// The core's verdict.
        error: DigestError,
    },
    /// The store lock could not be taken within the configured wait (`store-locked`).
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A blob is larger than the caller's bound (`blob-too-large`).
    BlobTooLarge {
        /// The blob.
        digest: Digest,
        /// Its size on disk.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// The image index refused the operation (the core's code: `image-not-known`,
    /// `image-has-multiple-names`, `invalid-reference`…).
    Index(StoreError),
    /// The caller passed something inconsistent, such as a manifest descriptor whose digest
    /// is not the pull record's manifest digest (`invalid-store-request`).
    InvalidRequest {
        /// What is inconsistent.
        detail: String,
    },
    /// A blob writer was used after it had already failed (`blob-writer-failed`).
    WriterFailed {
        /// The blob.
        digest: Digest,
    },
    /// The staging handle was discarded (`staging-discarded`).
    Discarded,
}

impl StoreIoError {
    /// The stable kebab-case code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreIoError::Io { .. } => "store-io",
            StoreIoError::Corrupt { .. } => "store-corrupt",
            StoreIoError::BlobMissing { .. } => "blob-missing",
            StoreIoError::Verify { error, .. } => error.code(),
            StoreIoError::Locked { .. } => "store-locked",
            StoreIoError::BlobTooLarge { .. } => "blob-too-large",
            StoreIoError::Index(e) => e.code(),
            StoreIoError::InvalidRequest { .. } => "invalid-store-request",
            StoreIoError::WriterFailed { .. } => "blob-writer-failed",
            StoreIoError::Discarded => "staging-discarded",
        }
    }

    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        StoreIoError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn corrupt(path: &Path, detail: impl Into<String>) -> Self {
        StoreIoError::Corrupt {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }
}

impl ErrorCode for StoreIoError {
    fn code(&self) -> &'static str {
        StoreIoError::code(self)
    }
}

impl fmt::Display for StoreIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreIoError::Io { op, path, source } => {
                write!(f, "{op} {}: {source}", path.display())
            }
            StoreIoError::Corrupt { path, detail } => {
                write!(f, "corrupt store file {}: {detail}", path.display())
            }
            StoreIoError::BlobMissing { digest, needed_by } => {
                write!(f, "blob {digest} is missing (needed by {needed_by})")
            }
            StoreIoError::Verify { digest, error } => write!(f, "blob {digest}: {error}"),
            StoreIoError::Locked { path } => {
                write!(f, "store is locked by another process: {}", path.display())
            }
            StoreIoError::BlobTooLarge {
                digest,
                size,
                limit,
            } => write!(f, "blob {digest} has {size} bytes, more than {limit}"),
            StoreIoError::Index(e) => write!(f, "{e}"),
            StoreIoError::InvalidRequest { detail } => write!(f, "invalid store request: {detail}"),
            StoreIoError::WriterFailed { digest } => {
                write!(f, "blob writer for {digest} already failed")
            }
            StoreIoError::Discarded => f.write_str("staging area was discarded"),
        }
    }
}

impl std::error::Error for StoreIoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreIoError::Io { source, .. } => Some(source),
            StoreIoError::Verify { error, .. } => Some(error),
            StoreIoError::Index(e) => Some(e),
            _ => None,
        }
    }
}

impl StoreIoError {
    /// Maps a failed [`hoist_core::store::layout::StoreMeta`] update: a consistency
    /// failure is the caller's bad request (the store on disk is untouched), anything
    /// else keeps the index's own code.
    pub(crate) fn from_meta_update(e: StoreError) -> Self {
        match e {
            StoreError::InvalidLayout { detail, .. } => StoreIoError::InvalidRequest { detail },
            other => StoreIoError::Index(other),
        }
    }
}

impl From<StoreError> for StoreIoError {
    fn from(e: StoreError) -> Self {
        StoreIoError::Index(e)
    }
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreIoError> = std::result::Result<T, E>;
