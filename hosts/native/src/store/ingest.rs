//! Staging a pull: blob writers, small documents, and the commit.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use hoist_core::digest::{Algorithm, Digest, DigestError, Verifier};
use hoist_core::store::{ImageRecord, PullRecord};

use super::error::{Result, StoreIoError};
use super::fsutil::{self, Paths, PULL_PREFIX, TMP_PREFIX};
use super::lock::{self, LockGuard, TryLock};
use super::walk::{self, MAX_MANIFEST_SIZE, MAX_WALK_DEPTH};
use super::{FsStore, ManifestDescriptor};

/// One pull's staging area (`ingest/pull-<id>/`), from [`FsStore::begin_pull`].
///
/// It tracks what this pull staged: verified blobs written by its [`BlobWriter`]s and
/// [`Staging::put_blob`], and hard links to blobs another pull staged or the store already
/// had. [`Staging::commit`] moves what an image needs into `blobs/` and records the image;
/// [`Staging::discard`] (or dropping the last handle) removes the rest. Nothing outside
/// `ingest/` changes before a commit. All methods take `&self`: blob writers for different
/// digests may run on different threads at once.
#[derive(Debug)]
pub struct Staging {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: FsStore,
    dir: PathBuf,
    name: String,
    /// Digest → size of each file in `dir`.
    staged: Mutex<BTreeMap<Digest, u64>>,
    /// Data flushes of staged files, run in the background so that a download slot is
    /// not held by the disk; [`Staging::commit`] waits for them.
    syncs: Mutex<Syncs>,
    /// Ingest locks taken by [`Staging::reserve`] and not yet handed to a writer.
    reserved: Mutex<BTreeMap<Digest, LockGuard>>,
    discarded: AtomicBool,
    /// Held while the staging exists; a sweeper removes `dir` only when it can take it.
    _lock: LockGuard,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Runs before `_lock` is released (fields drop after this body).
        let _ = fsutil::remove_dir_all(&self.dir);
    }
}

/// Which staged files are known to be on disk, and the flushes still running.
#[derive(Debug, Default)]
struct Syncs {
    pending: Vec<(Digest, PathBuf, JoinHandle<io::Result<()>>)>,
    durable: BTreeSet<Digest>,
}

/// How many bytes a [`BlobWriter`] writes between background flushes. Starting write-back
/// while the download goes on keeps the final flush short; the page cache would otherwise
/// hold a whole layer until then (Linux starts write-back by itself only at
/// `dirty_background_ratio` of memory or after 30 s).
const EARLY_FLUSH_BYTES: u64 = 8 << 20;

impl Inner {
    fn staged(&self) -> MutexGuard<'_, BTreeMap<Digest, u64>> {
        self.staged.lock().unwrap_or_else(PoisonError::into_inner)
    }
    fn syncs(&self) -> MutexGuard<'_, Syncs> {
        self.syncs.lock().unwrap_or_else(PoisonError::into_inner)
    }
    /// Flushes `file` (staged as `digest` at `path`) in the background.
    fn sync_later(&self, digest: &Digest, path: PathBuf, file: File) {
        let handle = std::thread::spawn(move || file.sync_data());
        self.syncs().pending.push((digest.clone(), path, handle));
    }
    /// Records that a staged file is already durable (a link to a committed blob).
    fn mark_durable(&self, digest: &Digest) {
        self.syncs().durable.insert(digest.clone());
    }
    /// Waits for the background flushes, then flushes every staged file not known to be
    /// durable (links to blobs another pull staged), all at once. After this, every staged
    /// file's data is on disk, so renaming it into `blobs/` cannot expose a torn blob.
    fn make_durable(&self) -> Result<()> {
        let pending = std::mem::take(&mut self.syncs().pending);
        let mut first: Result<()> = Ok(());
        for (digest, path, handle) in pending {
            let r = match handle.join() {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(StoreIoError::io("fsync", &path, e)),
                Err(_) => Err(StoreIoError::InvalidRequest {
                    detail: "fsync thread panicked".into(),
                }),
            };
            match r {
                Ok(()) => {
                    self.syncs().durable.insert(digest);
                }
                Err(e) if first.is_ok() => first = Err(e),
                Err(_) => {}
            }
        }
        first?;
        let todo: Vec<Digest> = {
            let durable = &self.syncs().durable;
            self.staged()
                .keys()
                .filter(|d| !durable.contains(*d))
                .cloned()
                .collect()
        };
        let mut files = Vec::with_capacity(todo.len());
        for digest in &todo {
            let path = self.path_of(digest);
            let file = File::open(&path).map_err(|e| StoreIoError::io("open", &path, e))?;
            files.push((path, file));
        }
        fsutil::sync_files(files.iter().map(|(p, f)| (p.as_path(), f)))?;
        self.syncs().durable.extend(todo);
        Ok(())
    }
    fn reserved(&self) -> MutexGuard<'_, BTreeMap<Digest, LockGuard>> {
        self.reserved.lock().unwrap_or_else(PoisonError::into_inner)
    }
    fn path_of(&self, digest: &Digest) -> PathBuf {
        self.dir.join(Paths::digest_stem(digest))
    }
    fn check_live(&self) -> Result<()> {
        if self.discarded.load(Ordering::Acquire) {
            return Err(StoreIoError::Discarded);
        }
        Ok(())
    }
}

/// What [`Staging::blob_writer`] found.
#[derive(Debug)]
pub enum Ingest {
    /// Nobody has the blob: write it.
    Write(Box<BlobWriter>),
    /// The blob is already available to this pull; do not download it.
    AlreadyPresent(Presence),
}

/// Where an already-present blob is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Committed in `blobs/` (by an earlier pull, or by another process meanwhile). This
    /// pull pinned it with a hard link (where the filesystem has them), so its commit does
    /// not depend on a concurrent `gc`.
    Committed,
    /// Staged and verified, by this pull or by another pull (another thread or process),
    /// whose file this pull hard-linked into its own staging.
    Staged,
}

/// Streams one blob into the store's ingest area through a [`Verifier`].
///
/// Holds the blob's ingest lock (`ingest/<alg>-<hex>.lock`) until dropped or finished, so
/// no other writer for the same digest runs meanwhile. Bytes go to
/// `ingest/<alg>-<hex>.partial`.
///
/// **Resuming**: the writer keeps `min(offset, partial length, size)` bytes of an existing
/// partial file and re-hashes them from disk when it opens (the hasher is not persisted:
/// after a crash the disk is the only truth). [`BlobWriter::staged_len`] is that length;
/// the caller MUST continue the stream at exactly that offset (e.g. an HTTP `Range`
/// request), or pass `offset` 0 to start over.
///
/// **Failures**: a write past the declared size, or a digest mismatch at
/// [`BlobWriter::finish`], deletes the partial file (its content is wrong); an I/O error,
/// a stream that ends short, or dropping the writer keeps it for a later resume.
pub struct BlobWriter {
    staging: Arc<Inner>,
    digest: Digest,
    size: u64,
    file: File,
    partial: PathBuf,
    verifier: Option<Verifier>,
    written: u64,
    resumed: u64,
    failed: bool,
    /// Bytes written since the last background flush started.
    unflushed: u64,
    /// The running background flush, if any (at most one per writer).
    flushing: Option<JoinHandle<io::Result<()>>>,
    _lock: LockGuard,
}

impl FsStore {
    /// Starts a pull: creates and locks its staging directory `ingest/pull-<unique>/`.
    pub fn begin_pull(&self) -> Result<Staging> {
        let ingest = self.paths().ingest();
        fsutil::create_dir(&ingest)?;
        loop {
            let name = format!("{PULL_PREFIX}{}", fsutil::unique_suffix());
            let lock_path = ingest.join(format!("{name}.lock"));
            let Some(guard) = lock::create_removable(&lock_path)? else {
                continue;
            };
            let dir = ingest.join(&name);
            fs::create_dir(&dir).map_err(|e| StoreIoError::io("create directory", &dir, e))?;
            return Ok(Staging {
                inner: Arc::new(Inner {
                    store: self.clone(),
                    dir,
                    name,
                    staged: Mutex::new(BTreeMap::new()),
                    syncs: Mutex::new(Syncs::default()),
                    reserved: Mutex::new(BTreeMap::new()),
                    discarded: AtomicBool::new(false),
                    _lock: guard,
                }),
            });
        }
    }
}

impl Staging {
    /// This pull's staging directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The digests this pull has staged (or pinned) and not yet committed, with their sizes.
    pub fn staged(&self) -> Vec<(Digest, u64)> {
        self.inner
            .staged()
            .iter()
            .map(|(d, s)| (d.clone(), *s))
            .collect()
    }

    /// Opens a writer for blob `digest` of `size` bytes, continuing an existing partial file
    /// from at most `offset` bytes (see [`BlobWriter`] on resuming; pass 0 to start over,
    /// `u64::MAX` to keep whatever is there).
    ///
    /// Blocks while another writer (thread or process) holds the blob's ingest lock. Then,
    /// in order: if this pull already staged it, or it is committed in `blobs/`, or another
    /// pull staged it verified, returns [`Ingest::AlreadyPresent`] (hard-linking the file
    /// into this pull's staging); otherwise returns a writer. A committed or staged blob
    /// whose size is not `size` is `size-mismatch` (the descriptor is wrong: the blob was
    /// verified against its digest).
    ///
    /// A lock taken by [`Staging::reserve`] for `digest` is used (and handed to the writer)
    /// instead of waiting.
    pub fn blob_writer(&self, digest: &Digest, size: u64, offset: u64) -> Result<Ingest> {
        self.inner.check_live()?;
        let reserved = self.inner.reserved().remove(digest);
        let guard = match reserved {
            Some(g) => g,
            None => lock::lock_removable(&self.inner.store.paths().digest_lock(digest))?,
        };
        self.open_locked(digest, size, offset, guard)
    }

    /// Is blob `digest` present — committed, staged by this pull, or staged verified by
    /// another pull (then linked into this one) — and how big? When it is not, this pull
    /// *reserves* it: it takes the blob's ingest lock, blocking while another pull (thread
    /// or process) holds it, and keeps it for its [`Staging::blob_writer`]. So of several
    /// pulls that ask at once, one downloads the blob and the others wait for it and then
    /// find it staged, instead of all of them sending the request (two-phase HTTP gives
    /// the host the body's destination only after the response head).
    ///
    /// Cannot deadlock between pulls: a pull holds a reservation only for a blob it is
    /// about to download, and a download does not wait for any other reservation. A
    /// second reservation of the same digest by the same pull returns `None` at once.
    /// Reservations end with the writer, [`Staging::discard`], or the staging's drop.
    pub fn reserve(&self, digest: &Digest) -> Result<Option<u64>> {
        let inner = &self.inner;
        inner.check_live()?;
        if inner.reserved().contains_key(digest) {
            return Ok(None);
        }
        if let Some(&len) = inner.staged().get(digest) {
            return Ok(Some(len));
        }
        let paths = inner.store.paths();
        if let Some(len) = fsutil::file_len(&paths.blob(digest))? {
            return Ok(Some(len));
        }
        let guard = lock::lock_removable(&paths.digest_lock(digest))?;
        inner.check_live()?;
        if let Some(len) = fsutil::file_len(&paths.blob(digest))? {
            return Ok(Some(len));
        }
        if let Some(len) = self.link_from_other_pull(digest, None)? {
            return Ok(Some(len));
        }
        inner.reserved().insert(digest.clone(), guard);
        Ok(None)
    }

    /// Links `digest` from another pull's staging into this one, when some pull staged it
    /// verified (checking its length against `size` when given). Returns the length.
    fn link_from_other_pull(&self, digest: &Digest, size: Option<u64>) -> Result<Option<u64>> {
        let inner = &self.inner;
        let paths = inner.store.paths();
        let own = inner.path_of(digest);
        for (name, is_dir) in fsutil::list_dir(&paths.ingest())? {
            if !is_dir || !name.starts_with(PULL_PREFIX) || name == inner.name {
                continue;
            }
            let other = paths.ingest().join(&name).join(Paths::digest_stem(digest));
            let Some(len) = fsutil::file_len(&other)? else {
                continue;
            };
            if let Some(size) = size {
                check_size(digest, size, len)?;
            }
            // On failure (that pull committed or discarded it meanwhile, or the filesystem
            // has no hard links) this pull writes the blob itself. Not flushed here:
            // `commit` flushes every staged file it did not write itself.
            if fs::hard_link(&other, &own).is_ok() {
                inner.staged().insert(digest.clone(), len);
                return Ok(Some(len));
            }
        }
        Ok(None)
    }

    /// [`Staging::blob_writer`] without waiting: `Ok(None)` while another writer (thread or
    /// process) holds the blob's ingest lock, so a drive loop can report "waiting" and try
    /// again later instead of blocking a thread.
    pub fn try_blob_writer(
        &self,
        digest: &Digest,
        size: u64,
        offset: u64,
    ) -> Result<Option<Ingest>> {
        self.inner.check_live()?;
        match lock::try_removable(&self.inner.store.paths().digest_lock(digest), true)? {
            TryLock::Acquired(guard) => self.open_locked(digest, size, offset, guard).map(Some),
            TryLock::Busy | TryLock::Absent => Ok(None),
        }
    }

    fn open_locked(
        &self,
        digest: &Digest,
        size: u64,
        offset: u64,
        guard: LockGuard,
    ) -> Result<Ingest> {
        let inner = &self.inner;
        let paths = inner.store.paths();
        inner.check_live()?;
        if let Some(&len) = inner.staged().get(digest) {
            check_size(digest, size, len)?;
            return Ok(Ingest::AlreadyPresent(Presence::Staged));
        }
        let own = inner.path_of(digest);
        if let Some(p) = self.adopt_committed(digest, size, &own)? {
            return Ok(Ingest::AlreadyPresent(p));
        }
        if self.link_from_other_pull(digest, Some(size))?.is_some() {
            return Ok(Ingest::AlreadyPresent(Presence::Staged));
        }
        // A pull that committed it while we scanned.
        if let Some(p) = self.adopt_committed(digest, size, &own)? {
            return Ok(Ingest::AlreadyPresent(p));
        }

        let partial = paths.partial(digest);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&partial)
            .map_err(|e| StoreIoError::io("open", &partial, e))?;
        let existing = file
            .metadata()
            .map_err(|e| StoreIoError::io("stat", &partial, e))?
            .len();
        let keep = offset.min(existing).min(size);
        if keep < existing {
            file.set_len(keep)
                .map_err(|e| StoreIoError::io("truncate", &partial, e))?;
        }
        let mut verifier = Verifier::new(digest.clone()).with_size(size);
        file.seek(SeekFrom::Start(0))
            .map_err(|e| StoreIoError::io("seek", &partial, e))?;
        let mut overflow = None;
        let kept = fsutil::hash_prefix(&mut file, &partial, keep, |chunk| {
            if let Err(e) = verifier.update(chunk) {
                overflow.get_or_insert(e);
            }
        })?;
        if let Some(error) = overflow {
            // Unreachable: keep <= size.
            return Err(StoreIoError::Verify {
                digest: digest.clone(),
                error,
            });
        }
        file.seek(SeekFrom::Start(kept))
            .map_err(|e| StoreIoError::io("seek", &partial, e))?;
        Ok(Ingest::Write(Box::new(BlobWriter {
            staging: Arc::clone(&self.inner),
            digest: digest.clone(),
            size,
            file,
            partial,
            verifier: Some(verifier),
            written: kept,
            resumed: kept,
            failed: false,
            unflushed: 0,
            flushing: None,
            _lock: guard,
        })))
    }

    /// If `digest` is committed, pins it into this pull's staging (hard link) and says so.
    fn adopt_committed(&self, digest: &Digest, size: u64, own: &Path) -> Result<Option<Presence>> {
        let inner = &self.inner;
        let blob = inner.store.paths().blob(digest);
        let Some(len) = fsutil::file_len(&blob)? else {
            return Ok(None);
        };
        check_size(digest, size, len)?;
        match fs::hard_link(&blob, own) {
            Ok(()) => {
                inner.staged().insert(digest.clone(), len);
                inner.mark_durable(digest);
                Ok(Some(Presence::Committed))
            }
            // A gc removed it between the stat and the link: write it.
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            // No hard links here: use it unpinned (a concurrent gc can then make the commit
            // fail with blob-missing, never succeed incomplete).
            Err(_) => Ok(Some(Presence::Committed)),
        }
    }

    /// Verifies a small document (manifest, config, index) held in memory and stages it.
    /// Content that does not hash to `digest` is `digest-mismatch` and stages nothing.
    pub fn put_blob(&self, digest: &Digest, bytes: &[u8]) -> Result<()> {
        let inner = &self.inner;
        inner.check_live()?;
        let mut verifier = Verifier::new(digest.clone()).with_size(bytes.len() as u64);
        verifier
            .update(bytes)
            .and_then(|()| verifier.finish().map(drop))
            .map_err(|error| StoreIoError::Verify {
                digest: digest.clone(),
                error,
            })?;
        if inner.staged().contains_key(digest) {
            return Ok(());
        }
        let tmp = inner
            .dir
            .join(format!("{TMP_PREFIX}{}", fsutil::unique_suffix()));
        let dest = inner.path_of(digest);
        // The flush runs in the background and `commit` waits for it; the staging
        // directory itself is never flushed (it does not survive a crash anyway).
        let result = (|| {
            let mut f = File::create_new(&tmp).map_err(|e| StoreIoError::io("create", &tmp, e))?;
            f.write_all(bytes)
                .map_err(|e| StoreIoError::io("write", &tmp, e))?;
            fs::rename(&tmp, &dest).map_err(|e| StoreIoError::io("rename", &dest, e))?;
            Ok(f)
        })();
        match result {
            Ok(f) => {
                inner.staged().insert(digest.clone(), bytes.len() as u64);
                inner.sync_later(digest, dest, f);
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Commits one image: makes its blobs part of the store and records the pull.
    ///
    /// `blobs` are blobs this pull staged that must be committed (typically every layer,
    /// the config and the manifest; a blob listed here must be committed or staged);
    /// `manifest` is the image's platform manifest descriptor (its digest MUST be
    /// `pull.manifest_digest`; a core `Descriptor` converts, keeping its platform); `pull` and `now_unix` go to the core's
    /// `ImageIndex::record_pull`, which decides names, digests and which tags move.
    ///
    /// Under the store lock, in this order:
    /// 1. check: the manifest is committed or staged, has `manifest.size` bytes and hashes
    ///    to its digest; every blob it reaches (config and layers; for an index, the child
    ///    manifests that are present and what they reach) is committed or staged with its
    ///    descriptor's size; every blob in `blobs` is committed or staged; the core accepts
    ///    the pull record. Any failure returns here and the visible store is unchanged;
    /// 2. rename each needed staged blob to `blobs/<alg>/<hex>` (a blob already committed
    ///    is left as is), then fsync each `blobs/<alg>` directory touched;
    /// 3. write `hoist.json`, then `index.json` (temp files flushed together, renamed in
    ///    that order, one fsync of the directory).
    ///
    /// Before all that, outside the lock, every staged file's data is flushed (waiting for
    /// the background flushes that [`BlobWriter::finish`] and [`Staging::put_blob`] started).
    ///
    /// Returns the image's record as stored.
    pub fn commit(
        &self,
        blobs: &[Digest],
        manifest: impl Into<ManifestDescriptor>,
        pull: PullRecord,
        now_unix: i64,
    ) -> Result<ImageRecord> {
        let manifest: ManifestDescriptor = manifest.into();
        let inner = &self.inner;
        inner.check_live()?;
        manifest
            .validate()
            .map_err(|detail| StoreIoError::InvalidRequest {
                detail: format!("manifest descriptor: {detail}"),
            })?;
        if manifest.digest != pull.manifest_digest {
            return Err(StoreIoError::InvalidRequest {
                detail: format!(
                    "manifest descriptor {} is not the pull's manifest {}",
                    manifest.digest, pull.manifest_digest
                ),
            });
        }
        // Flush staged data before taking the store lock: other processes' commits need
        // not wait for this pull's disk writes.
        inner.make_durable()?;
        let store = &inner.store;
        let _guard = store.lock()?;
        inner.check_live()?;

        // 1. Check everything before anything moves.
        let mut needed: BTreeSet<Digest> = BTreeSet::new();
        let root = self
            .locate(&manifest.digest)?
            .ok_or_else(|| StoreIoError::BlobMissing {
                digest: manifest.digest.clone(),
                needed_by: format!("image {}", pull.id),
            })?;
        check_size(&manifest.digest, manifest.size, root.len)?;
        let mut queue = vec![(manifest.digest.clone(), root, 0usize)];
        while let Some((digest, loc, depth)) = queue.pop() {
            if loc.staged {
                needed.insert(digest.clone());
            }
            let bytes = read_manifest(&digest, &loc.path)?;
            let children = walk::children(&bytes)
                .map_err(|e| StoreIoError::corrupt(&loc.path, format!("manifest {digest}: {e}")))?;
            for child in children {
                let Some(cloc) = self.locate(&child.digest)? else {
                    if child.required {
                        return Err(StoreIoError::BlobMissing {
                            digest: child.digest,
                            needed_by: format!("manifest {digest}"),
                        });
                    }
                    continue;
                };
                if let Some(size) = child.size {
                    check_size(&child.digest, size, cloc.len)?;
                }
                if child.is_manifest && depth < MAX_WALK_DEPTH {
                    queue.push((child.digest, cloc, depth + 1));
                } else if cloc.staged {
                    needed.insert(child.digest);
                }
            }
        }
        for digest in blobs {
            let loc = self
                .locate(digest)?
                .ok_or_else(|| StoreIoError::BlobMissing {
                    digest: digest.clone(),
                    needed_by: "commit".into(),
                })?;
            if loc.staged {
                needed.insert(digest.clone());
            }
        }
        let mut meta = store.load_meta()?;
        // The core's all-or-nothing update (names, tag moves, descriptor, consistency).
        let record = meta
            .record_pull(pull, manifest, now_unix)
            .map_err(StoreIoError::from_meta_update)?;

        // 2. Blobs.
        let paths = store.paths();
        let mut touched: BTreeSet<Algorithm> = BTreeSet::new();
        for digest in &needed {
            let src = inner.path_of(digest);
            let dest = paths.blob(digest);
            if fsutil::file_len(&dest)?.is_some() {
                fsutil::remove_file(&src)?;
            } else {
                if touched.insert(digest.algorithm()) {
                    fsutil::create_dir(&paths.blob_dir(digest.algorithm()))?;
                }
                fs::rename(&src, &dest).map_err(|e| StoreIoError::io("rename", &dest, e))?;
                touched.insert(digest.algorithm());
            }
            inner.staged().remove(digest);
        }
        for alg in touched {
            fsutil::sync_dir(&paths.blob_dir(alg))?;
        }

        // 3. hoist.json, then index.json.
        store.write_meta(&meta)?;
        Ok(record)
    }

    /// Removes everything this pull staged and ends it: the visible store (`index.json`,
    /// `hoist.json`, `blobs/`) is untouched. Writers still open fail at `finish`. Partial
    /// files of unfinished writers stay in `ingest/` for a later pull to resume
    /// ([`FsStore::gc`] removes them). Dropping the last handle does the same.
    pub fn discard(self) -> Result<()> {
        let inner = &self.inner;
        inner.discarded.store(true, Ordering::Release);
        inner.staged().clear();
        inner.reserved().clear();
        fsutil::remove_dir_all(&inner.dir).map(drop)
    }

    fn locate(&self, digest: &Digest) -> Result<Option<Located>> {
        let inner = &self.inner;
        let blob = inner.store.paths().blob(digest);
        if let Some(len) = fsutil::file_len(&blob)? {
            // Committed wins; a staged copy (if any) is removed at the move.
            let staged = inner.staged().contains_key(digest);
            return Ok(Some(Located {
                path: blob,
                len,
                staged,
            }));
        }
        if inner.staged().contains_key(digest) {
            let path = inner.path_of(digest);
            if let Some(len) = fsutil::file_len(&path)? {
                return Ok(Some(Located {
                    path,
                    len,
                    staged: true,
                }));
            }
        }
        Ok(None)
    }
}

struct Located {
    path: PathBuf,
    len: u64,
    /// This pull holds a staged file for it (to move, or to drop when already committed).
    staged: bool,
}

fn check_size(digest: &Digest, expected: u64, actual: u64) -> Result<()> {
    if expected == actual {
        return Ok(());
    }
    Err(StoreIoError::Verify {
        digest: digest.clone(),
        error: DigestError::SizeMismatch {
            digest: digest.clone(),
            expected,
            actual,
        },
    })
}

fn read_manifest(digest: &Digest, path: &Path) -> Result<Vec<u8>> {
    let bytes = match fsutil::read_bounded(path, MAX_MANIFEST_SIZE)? {
        None => {
            return Err(StoreIoError::BlobMissing {
                digest: digest.clone(),
                needed_by: "commit".into(),
            })
        }
        Some(Err(size)) => {
            return Err(StoreIoError::BlobTooLarge {
                digest: digest.clone(),
                size,
                limit: MAX_MANIFEST_SIZE,
            })
        }
        Some(Ok(b)) => b,
    };
    let actual = Digest::of(digest.algorithm(), &bytes);
    if &actual != digest {
        return Err(StoreIoError::corrupt(
            path,
            format!("content hashes to {actual}"),
        ));
    }
    Ok(bytes)
}

impl BlobWriter {
    /// The blob being written.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Bytes in the partial file and hashed so far: where the stream continues. Right after
    /// opening it is the resumed prefix ([`BlobWriter::resumed_from`]).
    pub fn staged_len(&self) -> u64 {
        self.written
    }

    /// How many bytes of an earlier partial file were kept (and re-hashed) at open.
    pub fn resumed_from(&self) -> u64 {
        self.resumed
    }

    /// Appends bytes. Fails with `size-mismatch` as soon as the stream passes the declared
    /// size (the partial file is deleted), with `store-io` on a write error (the partial file
    /// is kept: [`BlobWriter::staged_len`] may then be behind what was sent), and with
    /// `blob-writer-failed` after any earlier failure.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        if self.failed {
            return Err(StoreIoError::WriterFailed {
                digest: self.digest.clone(),
            });
        }
        let Some(verifier) = self.verifier.as_mut() else {
            return Err(StoreIoError::WriterFailed {
                digest: self.digest.clone(),
            });
        };
        if let Err(error) = verifier.update(bytes) {
            self.failed = true;
            let _ = fsutil::remove_file(&self.partial);
            return Err(StoreIoError::Verify {
                digest: self.digest.clone(),
                error,
            });
        }
        if let Err(e) = self.file.write_all(bytes) {
            self.failed = true;
            return Err(StoreIoError::io("write", &self.partial, e));
        }
        self.written += bytes.len() as u64;
        self.unflushed += bytes.len() as u64;
        if self.unflushed >= EARLY_FLUSH_BYTES
            && self.flushing.as_ref().is_none_or(JoinHandle::is_finished)
        {
            // Best effort: a failure here shows up again at the final flush.
            if let Ok(file) = self.file.try_clone() {
                self.flushing = Some(std::thread::spawn(move || file.sync_data()));
                self.unflushed = 0;
            }
        }
        Ok(())
    }

    /// Ends the stream: checks size then digest, renames the file into the pull's staging
    /// as verified, and starts its data flush in the background ([`Staging::commit`] waits
    /// for it). A short stream is `size-mismatch` and keeps the
    /// partial file (resumable); a wrong digest is `digest-mismatch` and deletes it.
    pub fn finish(mut self) -> Result<u64> {
        if self.failed {
            return Err(StoreIoError::WriterFailed {
                digest: self.digest.clone(),
            });
        }
        let Some(verifier) = self.verifier.take() else {
            return Err(StoreIoError::WriterFailed {
                digest: self.digest.clone(),
            });
        };
        if self.written != self.size {
            self.failed = true;
            return Err(StoreIoError::Verify {
                digest: self.digest.clone(),
                error: DigestError::SizeMismatch {
                    digest: self.digest.clone(),
                    expected: self.size,
                    actual: self.written,
                },
            });
        }
        if let Err(error) = verifier.finish() {
            self.failed = true;
            let _ = fsutil::remove_file(&self.partial);
            return Err(StoreIoError::Verify {
                digest: self.digest.clone(),
                error,
            });
        }
        let inner = &self.staging;
        inner.check_live()?;
        let dest = inner.path_of(&self.digest);
        fs::rename(&self.partial, &dest).map_err(|e| StoreIoError::io("rename", &dest, e))?;
        inner.staged().insert(self.digest.clone(), self.size);
        // The data flush runs in the background (the download slot is free for the next
        // blob); `commit` waits for it before anything moves into `blobs/`.
        let file = self
            .file
            .try_clone()
            .map_err(|e| StoreIoError::io("open", &dest, e))?;
        inner.sync_later(&self.digest, dest, file);
        Ok(self.size)
    }
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("digest", &self.digest)
            .field("size", &self.size)
            .field("written", &self.written)
            .field("resumed", &self.resumed)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        BlobWriter::write(self, buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(bytes: &[u8]) -> Digest {
        Digest::sha256_of(bytes)
    }

    /// Every staged file, whoever wrote it, is known durable after `make_durable`, and no
    /// background flush is left running.
    #[test]
    fn commit_flushes_everything_staged() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = FsStore::open(tmp.path().join("s")).expect("open");
        let a = store.begin_pull().expect("pull a");
        let b = store.begin_pull().expect("pull b");

        // A layer larger than the early-flush step, written by pull a.
        let layer: Vec<u8> = (0..(EARLY_FLUSH_BYTES as usize * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let ld = digest_of(&layer);
        let Ingest::Write(mut w) = a.blob_writer(&ld, layer.len() as u64, 0).expect("writer")
        else {
            panic!("nothing staged yet");
        };
        for chunk in layer.chunks(1 << 20) {
            BlobWriter::write(&mut w, chunk).expect("write");
        }
        w.finish().expect("finish");
        let doc = b"{}".to_vec();
        let dd = digest_of(&doc);
        a.put_blob(&dd, &doc).expect("put");
        assert_eq!(a.inner.syncs().pending.len(), 2);

        // Pull b adopts a's staged layer by hard link: it must flush it itself.
        match b.blob_writer(&ld, layer.len() as u64, 0).expect("adopt") {
            Ingest::AlreadyPresent(Presence::Staged) => {}
            other => panic!("expected staged, got {other:?}"),
        }
        assert!(b.inner.syncs().pending.is_empty());

        a.inner.make_durable().expect("a durable");
        b.inner.make_durable().expect("b durable");
        let a_syncs = a.inner.syncs();
        assert!(a_syncs.pending.is_empty());
        assert_eq!(a_syncs.durable, BTreeSet::from([ld.clone(), dd.clone()]));
        assert_eq!(b.inner.syncs().durable, BTreeSet::from([ld]));
    }
}
