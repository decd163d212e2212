//! Adapters from the native store and credential modules to the drive loop's traits.

use std::sync::{Arc, RwLock};

use hoist_core::auth::Credentials;
use hoist_core::descriptor::Descriptor;
use hoist_core::digest::{Digest, DigestError};
use hoist_core::pull::TransportFailure;
use hoist_core::reference::{
    is_short_name, parse_normalized, Reference, ReferenceError, RegistriesConf,
};
use hoist_core::store::{ImageRecord, PullRecord};
use hoist_core::ErrorCode;

use crate::credentials::CredentialStore;
use crate::drive::{BlobSink, BlobTarget, BoxFuture, CredentialLookup, DriveError, PullStaging};
use crate::store::{BlobWriter, FsStore, Ingest, ManifestDescriptor, Staging, StoreIoError};

/// One pull's staging in an [`FsStore`].
pub struct FsStaging {
    /// Read-locked by every operation (a `Staging` is `Sync`, so layers stage in
    /// parallel); write-locked only to take it for `discard`.
    staging: RwLock<Option<Staging>>,
    now_unix: i64,
}

impl FsStaging {
    /// Starts staging a pull in `store`; `now_unix` is recorded as the pull time.
    pub fn begin(store: &FsStore, now_unix: i64) -> Result<Arc<FsStaging>, StoreIoError> {
        Ok(Arc::new(FsStaging {
            staging: RwLock::new(Some(store.begin_pull()?)),
            now_unix,
        }))
    }

    fn with<T>(&self, f: impl FnOnce(&Staging) -> Result<T, StoreIoError>) -> Result<T, String> {
        let guard = self
            .staging
            .read()
            .map_err(|_| "store staging poisoned".to_owned())?;
        let staging = guard
            .as_ref()
            .ok_or_else(|| "pull already finished".to_owned())?;
        f(staging).map_err(|e| e.to_string())
    }
}

/// A staging failure as the machine's transport failure: a verifier's digest or size
/// mismatch is the core's mapping (`From<DigestError>`); anything else is a store failure,
/// with the store's own message (which names the file).
fn failure(e: StoreIoError) -> TransportFailure {
    match e {
        StoreIoError::Verify {
            error: error @ (DigestError::Mismatch { .. } | DigestError::SizeMismatch { .. }),
            ..
        } => TransportFailure::from(error),
        other => TransportFailure::Store {
            message: other.to_string(),
        },
    }
}

struct FsSink(Box<BlobWriter>);

impl BlobSink for FsSink {
    fn write(&mut self, data: &[u8]) -> Result<(), TransportFailure> {
        self.0.write(data).map_err(failure)
    }

    fn staged_len(&self) -> u64 {
        self.0.staged_len()
    }

    fn finish(self: Box<Self>) -> Result<(), TransportFailure> {
        self.0.finish().map(|_| ()).map_err(failure)
    }
}

impl PullStaging for FsStaging {
    fn stat(&self, digest: &Digest) -> Result<Option<u64>, String> {
        // Reserves the blob when absent, so concurrent pulls download it once.
        self.with(|s| s.reserve(digest))
    }

    fn blob_writer(&self, digest: &Digest, size: u64, offset: u64) -> Result<BlobTarget, String> {
        self.with(|s| s.blob_writer(digest, size, offset))
            .map(|i| match i {
                Ingest::Write(w) => BlobTarget::Sink(Box::new(FsSink(w))),
                Ingest::AlreadyPresent(_) => BlobTarget::AlreadyPresent,
            })
    }

    fn put_blob(&self, digest: &Digest, bytes: &[u8]) -> Result<(), String> {
        self.with(|s| s.put_blob(digest, bytes))
    }

    fn commit(
        &self,
        blobs: &[Digest],
        manifest: &Descriptor,
        record: PullRecord,
    ) -> Result<ImageRecord, String> {
        // The conversion keeps the platform the manifest was selected for.
        let desc = ManifestDescriptor::from(manifest);
        self.with(|s| s.commit(blobs, desc, record, self.now_unix))
    }

    fn discard(&self) {
        if let Ok(mut guard) = self.staging.write() {
            if let Some(s) = guard.take() {
                let _ = s.discard();
            }
        }
    }
}

impl CredentialLookup for CredentialStore {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<Credentials, DriveError>> {
        Box::pin(async move {
            self.resolve(host, Some(repository))
                .await
                .map_err(|e| DriveError::Credentials {
                    code: e.code(),
                    message: e.to_string(),
                })
        })
    }
}

/// The references to try for a user's image string, in order: a short name expands
/// through registries.conf (`unqualified-search-registries`, aliases), anything else is
/// the one normalized reference. Shared by `hoist pull` and the CRI `PullImage`.
pub fn pull_candidates(
    conf: Option<&RegistriesConf>,
    input: &str,
) -> Result<Vec<Reference>, ReferenceError> {
    match conf {
        Some(conf) if is_short_name(input)? => Ok(conf.short_name_candidates(input)?.candidates),
        _ => Ok(vec![parse_normalized(input)?]),
    }
}
