//! `FsStore`: hoist's image store on disk, an OCI image layout that survives crashes.
//!
//! # Layout
//!
//! ```text
//! <root>/                       default $XDG_DATA_HOME/hoist (the CLI passes the path)
//!   oci-layout                  {"imageLayoutVersion":"1.0.0"}
//!   index.json                  OCI image index, DERIVED from hoist.json (see below)
//!   hoist.json                  the truth: the core ImageIndex + image ID → manifest descriptor
//!   blobs/<alg>/<hex>           committed, verified blobs
//!   lock                        the store lock (flock); never removed
//!   ingest/                     staging; nothing outside it changes until a commit
//!     <alg>-<hex>.lock          per-digest ingest lock, held while one process writes that blob
//!     <alg>-<hex>.partial       the bytes received so far (resumable)
//!     pull-<id>.lock            held for the lifetime of one pull's Staging
//!     pull-<id>/<alg>-<hex>     this pull's verified blobs (or hard links pinning committed ones)
//!     tmp-<name>-<id>           temp files of atomic index writes
//! ```
//!
//! Only [`Digest::algorithm`] and [`Digest::encoded`] ever become path components: a
//! string from the network becomes a path only after it parsed as a [`Digest`].
//!
//! ## `index.json`
//!
//! For each image (in ID order), one entry per tag and one per repo digest, each with
//! `org.opencontainers.image.ref.name` = the full canonical name (`docker.io/library/redis:7`,
//! `docker.io/library/redis@sha256:…`); an image with neither gets one entry without
//! annotations, so that OCI layout tools (which garbage-collect from `index.json`) still see
//! its blobs as reachable. Every entry is the image's *platform manifest* descriptor (media
//! type, digest, size, platform), also for a repo digest that names the multi-platform index
//! the image was pulled through: the store keeps the platform manifest, not the index.
//!
//! skopeo 1.9.3 addresses such entries with the full name: in `oci:STORE:REF` it splits the
//! path at the first `:`, so `oci:/var/lib/hoist:docker.io/library/redis:7` and
//! `oci:/var/lib/hoist:docker.io/library/redis@sha256:…` both work (the store path must not
//! contain a `:`). Short forms (`redis:7`, `7`) do not: skopeo matches the annotation
//! exactly. skopeo 1.9.3 also skips entries whose media type is not an OCI manifest or
//! index, so an image pulled with Docker v2 schema 2 media types is listed in `index.json`
//! (under its own media type: the raw manifest bytes are the truth and are never
//! rewritten) but skopeo cannot address it; exporting such an image to OCI tools needs a
//! conversion, which is a separate, explicit operation.
//!
//! `index.json` is never edited in place: every change rewrites it from `hoist.json`. A tool
//! that writes into the layout directly (`skopeo copy … oci:STORE:NAME`) is overwritten at
//! the next write or [`FsStore::open`]; hoist does not import foreign layouts.
//!
//! # Crash safety
//!
//! - A blob is streamed into `ingest/<alg>-<hex>.partial` through the core's `Verifier`
//!   while its ingest lock is held, starting write-back every 8 MiB in the background;
//!   [`BlobWriter::finish`] checks the digest, renames it into the pull's directory and
//!   starts its data flush (`fdatasync`) in the background, so the download slot goes to the
//!   next blob instead of waiting for the disk. Files in `ingest/` are never trusted after a
//!   crash: partial files are re-hashed when resumed and staging directories are removed.
//! - [`Staging::commit`] first waits for those flushes and flushes any staged file it did
//!   not write itself (links to blobs another pull staged), all at once; only then, under the
//!   store lock, it checks that every blob the image reaches (manifest → config + layers,
//!   index → present child manifests) is committed or staged and that the core accepts the
//!   pull record; then renames the staged blobs into `blobs/<alg>/<hex>` and fsyncs those
//!   directories; then writes `hoist.json` and `index.json` by temp files (flushed together)
//!   + renames in that order + one fsync of the directory.
//! - So after a crash at any point: a blob is either absent or complete and verified;
//!   `hoist.json` is the old or the new one and every blob it reaches is present; and
//!   `index.json` is either consistent with it or not (old, or new over an old `hoist.json`). [`FsStore::open`] rebuilds
//!   `index.json` from `hoist.json` when they disagree, removes temp files of interrupted
//!   writes and staging directories whose pull is gone, and keeps partial files (a later
//!   pull resumes them; [`FsStore::gc`] removes them when nobody holds their lock).
//!   Blobs moved into `blobs/` by a commit that then failed are unreferenced and removed by
//!   `gc`.
//!
//! # Concurrency
//!
//! Every read-modify-write of `hoist.json`/`index.json`, every commit, `gc` and `fsck` hold
//! the store lock (`File::lock`, exclusive). Readers ([`FsStore::read_index`],
//! [`FsStore::read_blob`]) take no lock: files change only by rename. Two pulls (threads or
//! processes) of one blob download it once: the second blocks on the blob's ingest lock and
//! then finds it committed, or staged by the first pull, and hard-links it into its own
//! staging instead of downloading ([`Ingest::AlreadyPresent`]). Hard links also *pin*
//! already-committed blobs a pull relies on, so a concurrent `gc` cannot pull them from
//! under the commit.
//!
//! # Use from async code
//!
//! Every call is blocking (file I/O, fsync, lock waits): the drive loop calls them through
//! `tokio::task::spawn_blocking`. [`FsStore`] is a cheap `Clone` (a path); [`Staging`] is
//! `Send + Sync` and its methods take `&self`, so one pull's layers can be written by
//! several blocking tasks at once, each with its own [`BlobWriter`].

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hoist_core::digest::Digest;
use hoist_core::store::{Change, ImageIndex, StoreError};

mod error;
mod fsutil;
mod ingest;
mod lock;
mod maint;
mod meta;
mod walk;

pub use error::{Result, StoreIoError};
pub use ingest::{BlobWriter, Ingest, Presence, Staging};
pub use maint::{
    BadManifest, CorruptBlob, FsckReport, GcReport, IndexJsonState, MissingBlob, SizeMismatch,
};
pub use meta::{ManifestDescriptor, ManifestPlatform, REF_NAME_ANNOTATION};
pub use walk::MAX_MANIFEST_SIZE;

use fsutil::Paths;
use lock::LockGuard;
use meta::Meta;

/// Largest `hoist.json` the store reads (a sanity bound for an untrusted file).
pub const MAX_METADATA_SIZE: u64 = 256 << 20;

/// What [`FsStore::open`] found and repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenReport {
    /// The store was created (no `hoist.json` existed).
    pub created: bool,
    /// `index.json` disagreed with `hoist.json` (or was missing) and was rewritten from it.
    pub index_rebuilt: bool,
    /// Leftovers removed from `ingest/`: temp files of interrupted writes, staging
    /// directories of pulls that are gone, free lock files.
    pub removed: Vec<PathBuf>,
}

/// An image store in an OCI image layout (see the module docs).
#[derive(Clone, Debug)]
pub struct FsStore {
    paths: Paths,
    lock_wait: Option<Duration>,
    report: OpenReport,
}

/// A layout with images but no `hoist.json` was written by another tool: hoist does not
/// import it (and must not empty it).
fn check_no_foreign_images(paths: &Paths) -> Result<()> {
    let index_json = paths.index_json();
    let Some(bytes) = fsutil::read_bounded(&index_json, MAX_METADATA_SIZE)? else {
        return Ok(());
    };
    let bytes = bytes
        .map_err(|len| StoreIoError::corrupt(&index_json, format!("{len} bytes is too large")))?;
    let n = meta::count_index_entries(&bytes, &index_json)?;
    if n > 0 {
        return Err(StoreIoError::corrupt(
            &paths.hoist_json(),
            format!("missing, but index.json lists {n} manifests: hoist does not import foreign layouts"),
        ));
    }
    Ok(())
}

impl FsStore {
    /// Opens the store at `root`, creating the layout if missing, waiting as long as needed
    /// for the store lock. See [`FsStore::open_waiting`].
    pub fn open(root: impl AsRef<Path>) -> Result<FsStore> {
        Self::open_waiting(root, None)
    }

    /// Opens the store at `root`. Every later operation that takes the store lock waits at
    /// most `lock_wait` for it (`None`: forever) and then fails with `store-locked`.
    ///
    /// Under the store lock: creates `blobs/sha256`, `ingest/` and `oci-layout` if missing,
    /// validates `oci-layout` (`imageLayoutVersion` must be `1.0.0`), removes leftovers in
    /// `ingest/` (see [`OpenReport::removed`]), creates an empty `hoist.json`/`index.json`
    /// pair when there is no `hoist.json` (refusing a layout whose `index.json` already
    /// lists manifests: `store-corrupt`), and rewrites `index.json` from `hoist.json` when
    /// they disagree. An unreadable `hoist.json` is `store-corrupt`; it is never replaced.
    pub fn open_waiting(root: impl AsRef<Path>, lock_wait: Option<Duration>) -> Result<FsStore> {
        let paths = Paths::new(root.as_ref());
        // Refuse a foreign layout before creating anything in it (checked again under the
        // lock below).
        if fsutil::file_len(&paths.hoist_json())?.is_none() {
            check_no_foreign_images(&paths)?;
        }
        fsutil::create_dir(&paths.blob_dir(hoist_core::digest::Algorithm::Sha256))?;
        fsutil::create_dir(&paths.ingest())?;
        let mut store = FsStore {
            paths,
            lock_wait,
            report: OpenReport::default(),
        };
        let _guard = store.lock()?;
        let has_layout = store.check_oci_layout(false).map(|()| true).or_else(|e| {
            match fsutil::file_len(&store.paths.oci_layout())? {
                None => Ok(false),
                Some(_) => Err(e),
            }
        })?;
        store.report.removed = maint::sweep_ingest(&store.paths, false)?;
        let hoist_json = store.paths.hoist_json();
        match fsutil::read_bounded(&hoist_json, MAX_METADATA_SIZE)? {
            None => {
                check_no_foreign_images(&store.paths)?;
                // A new store: `oci-layout`, `hoist.json` and `index.json` in one flush.
                let meta = Meta::default();
                let bytes = meta.to_json();
                let derived = meta.index_json();
                let layout = store.paths.oci_layout();
                let index_json = store.paths.index_json();
                let mut files: Vec<(&Path, &[u8])> = Vec::with_capacity(3);
                if !has_layout {
                    files.push((&layout, fsutil::OCI_LAYOUT_BYTES));
                }
                files.push((&hoist_json, &bytes));
                files.push((&index_json, &derived));
                fsutil::write_atomic_many(&store.paths.ingest(), &files)?;
                store.report.created = true;
            }
            Some(bytes) => {
                if !has_layout {
                    store.check_oci_layout(true)?;
                }
                let bytes = bytes.map_err(|len| {
                    StoreIoError::corrupt(&hoist_json, format!("{len} bytes is too large"))
                })?;
                let meta = meta::meta_from_json(&bytes, &hoist_json)?;
                let derived = meta.index_json();
                let index_json = store.paths.index_json();
                let current = match std::fs::read(&index_json) {
                    Ok(b) => Some(b),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                    Err(e) => return Err(StoreIoError::io("read", &index_json, e)),
                };
                if current.as_deref() != Some(derived.as_slice()) {
                    fsutil::write_atomic(&store.paths.ingest(), &index_json, &derived)?;
                    store.report.index_rebuilt = true;
                }
            }
        }
        Ok(store)
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.paths.root
    }

    /// What [`FsStore::open`] found and repaired.
    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// The size of the committed blob `digest`, or `None` when it is not in `blobs/`.
    /// (Staged blobs do not count: they are not part of the store yet.)
    pub fn stat(&self, digest: &Digest) -> Result<Option<u64>> {
        fsutil::file_len(&self.paths.blob(digest))
    }

    /// The image index as last committed (`hoist.json`), without taking the store lock
    /// (files are replaced by rename, so a reader sees one version or the next).
    pub fn read_index(&self) -> Result<ImageIndex> {
        Ok(self.load_meta()?.index)
    }

    /// Applies one index operation (tag, untag, rmi…) atomically: under the store lock,
    /// reads `hoist.json`, runs `op` on the index, and when it returns changes, writes
    /// `hoist.json` then `index.json` (derived). An `Err` from `op` writes nothing and is
    /// returned as [`StoreIoError::Index`]. Descriptors of removed images are dropped;
    /// their blobs stay until [`FsStore::gc`].
    ///
    /// The rules (which name moves, when removal needs force…) are the core's: `op` calls
    /// `ImageIndex::tag`, `untag`, `remove`, `remove_all`…. Search registries are not
    /// persisted: set them inside `op` before resolving short names.
    pub fn update<F>(&self, op: F) -> Result<Vec<Change>>
    where
        F: FnOnce(&mut ImageIndex) -> std::result::Result<Vec<Change>, StoreError>,
    {
        let _guard = self.lock()?;
        let mut meta = self.load_meta()?;
        let changes = meta.apply(op).map_err(StoreIoError::from_meta_update)?;
        if changes.is_empty() {
            return Ok(changes);
        }
        self.write_meta(&meta)?;
        Ok(changes)
    }

    /// Reads a committed blob of at most `limit` bytes (manifests, configs: `inspect`,
    /// `history`) and checks that it hashes to `digest`. Missing: `blob-missing`; larger
    /// than `limit`: `blob-too-large`; wrong content: `store-corrupt`.
    pub fn read_blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>> {
        let path = self.paths.blob(digest);
        match fsutil::read_bounded(&path, limit)? {
            None => Err(StoreIoError::BlobMissing {
                digest: digest.clone(),
                needed_by: "read".into(),
            }),
            Some(Err(size)) => Err(StoreIoError::BlobTooLarge {
                digest: digest.clone(),
                size,
                limit,
            }),
            Some(Ok(bytes)) => {
                let actual = Digest::of(digest.algorithm(), &bytes);
                if &actual != digest {
                    return Err(StoreIoError::corrupt(
                        &path,
                        format!("content hashes to {actual}"),
                    ));
                }
                Ok(bytes)
            }
        }
    }

    /// The manifest descriptor recorded for image `id` (exact ID), if the image exists.
    pub fn manifest_descriptor(&self, id: &Digest) -> Result<Option<ManifestDescriptor>> {
        Ok(self.load_meta()?.manifests.get(id).cloned())
    }

    // ---- internals shared by the submodules ----

    pub(crate) fn paths(&self) -> &Paths {
        &self.paths
    }

    pub(crate) fn lock(&self) -> Result<LockGuard> {
        lock::lock_store(&self.paths.lock(), self.lock_wait)
    }

    pub(crate) fn load_meta(&self) -> Result<Meta> {
        let path = self.paths.hoist_json();
        match fsutil::read_bounded(&path, MAX_METADATA_SIZE)? {
            None => Err(StoreIoError::corrupt(&path, "missing")),
            Some(Err(len)) => Err(StoreIoError::corrupt(
                &path,
                format!("{len} bytes is too large"),
            )),
            Some(Ok(bytes)) => meta::meta_from_json(&bytes, &path),
        }
    }

    /// Writes `hoist.json` then `index.json`. Callers hold the store lock.
    ///
    /// The bytes are read back with the strict reader first: a document this build could
    /// not open again is never written (it would lock every later operation out).
    pub(crate) fn write_meta(&self, meta: &Meta) -> Result<()> {
        let ingest = self.paths.ingest();
        let bytes = meta.to_json();
        let hoist_json = self.paths.hoist_json();
        meta::meta_from_json(&bytes, &hoist_json).map_err(|e| StoreIoError::InvalidRequest {
            detail: format!("refusing to write an index that would not read back: {e}"),
        })?;
        let index_json = self.paths.index_json();
        let derived = meta.index_json();
        fsutil::write_atomic_many(&ingest, &[(&hoist_json, &bytes), (&index_json, &derived)])
    }

    /// Validates `oci-layout`; with `create`, writes it when missing. Callers hold the lock.
    pub(crate) fn check_oci_layout(&self, create: bool) -> Result<()> {
        let path = self.paths.oci_layout();
        match fsutil::read_bounded(&path, 64 << 10)? {
            None if create => {
                fsutil::write_atomic(&self.paths.ingest(), &path, fsutil::OCI_LAYOUT_BYTES)
            }
            None => Err(StoreIoError::corrupt(&path, "missing")),
            Some(Err(len)) => Err(StoreIoError::corrupt(
                &path,
                format!("{len} bytes is too large"),
            )),
            Some(Ok(bytes)) => meta::check_oci_layout(&bytes, &path),
        }
    }
}
