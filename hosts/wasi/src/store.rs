//! The WASI host's store: the same OCI image layout as the native and Node hosts
//! (`oci-layout`, `index.json`, `hoist.json`, `blobs/<alg>/<hex>`, `ingest/`), written
//! with `std::fs`, which on wasm32-wasip2 is `wasi:filesystem` on a preopened directory.
//! What goes into `hoist.json` and `index.json` is the core's ([`StoreMeta`]); this file
//! only moves bytes, in the same crash order as the native store:
//!
//! - a blob is written to `ingest/pull-<id>/`, synced, verified, and renamed into
//!   `blobs/` only when the image commits;
//! - `hoist.json` then `index.json` are replaced by write-temp, sync, rename;
//! - nothing outside `ingest/` changes before the commit, so a failed or killed pull
//!   leaves the visible store as it was.
//!
//! WASI preview 2 has no file locks, so this store takes none: it must not be used by
//! two writers at once (the native host's `lock` file means nothing here). A killed
//! pull's `ingest/pull-*` directory is swept by the next native `hoist` that opens the
//! store (its lock file is free).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use hoist_core::descriptor::Descriptor;
use hoist_core::digest::{Digest, Verifier};
use hoist_core::pull::TransportFailure;
use hoist_core::store::layout::{self, ManifestDescriptor, StoreMeta};
use hoist_core::store::{Change, ImageIndex, ImageRecord, PullRecord, StoreError};

use crate::error::{Error, Result};

/// Largest `hoist.json`/`index.json` read (a sanity bound, as the native host's).
const MAX_METADATA_SIZE: u64 = 256 << 20;
/// Prefix of temporary files in `ingest/` (shared with the native store).
const TMP_PREFIX: &str = "tmp-";
/// Prefix of a pull's staging directory in `ingest/` (shared with the native store).
const PULL_PREFIX: &str = "pull-";
/// Read size when re-hashing a partial blob before resuming it.
const CHUNK: usize = 1 << 20;
/// Blob bytes gathered before one write: each `wasi:filesystem` write is a call into the
/// runtime (wasmtime runs it on a blocking thread), and a response body arrives in frames
/// of a few KiB.
const WRITE_BUFFER: usize = 1 << 20;

/// A name no other file in `ingest/` has: wall-clock nanoseconds and a counter.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("wasi-{nanos}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `sha256-<hex>`: a staged blob's file name.
fn stem(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm(), digest.encoded())
}

/// Reads `path` if it exists and is at most `limit` bytes.
fn read_bounded(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path.display(), &e)),
    };
    let mut bytes = Vec::new();
    (&mut f)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path.display(), &e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::new(
            "store-corrupt",
            format!("{}: larger than {limit} bytes", path.display()),
        ));
    }
    Ok(Some(bytes))
}

/// Syncs a directory so a rename in it survives a crash. Best effort: some WASI
/// runtimes cannot open a directory as a file, and the data itself was synced first.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes `bytes` to `dest` atomically: a synced temporary file in `tmp_dir`, renamed.
fn write_atomic(tmp_dir: &Path, dest: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_dir.join(format!("{TMP_PREFIX}{}", unique_suffix()));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, dest)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(dest.display(), &e));
    }
    if let Some(parent) = dest.parent() {
        sync_dir(parent);
    }
    Ok(())
}

/// An open store.
pub struct Store {
    root: PathBuf,
    ingest: PathBuf,
}

impl Store {
    /// Opens the store at `root`, creating it when missing: `oci-layout` checked,
    /// `hoist.json` created when missing, `index.json` rewritten from `hoist.json` when
    /// they disagree (the native host's rules).
    pub fn open(root: &Path) -> Result<Store> {
        let store = Store {
            root: root.to_path_buf(),
            ingest: root.join("ingest"),
        };
        for dir in [
            store.root.join("blobs").join("sha256"),
            store.ingest.clone(),
        ] {
            fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), &e))?;
        }
        let layout_path = store.root.join("oci-layout");
        match read_bounded(&layout_path, MAX_METADATA_SIZE)? {
            None => write_atomic(&store.ingest, &layout_path, layout::OCI_LAYOUT_BYTES)?,
            Some(bytes) => layout::check_oci_layout(&bytes).map_err(Error::core)?,
        }
        match read_bounded(&store.hoist_json(), MAX_METADATA_SIZE)? {
            None => {
                if let Some(current) = read_bounded(&store.index_json(), MAX_METADATA_SIZE)? {
                    let entries = layout::read_index_pairs(&current).map_err(Error::core)?;
                    if !entries.is_empty() {
                        return Err(Error::new(
                            "store-corrupt",
                            format!(
                                "{}: missing, but index.json lists manifests: hoist does not \
                                 import foreign layouts",
                                store.hoist_json().display()
                            ),
                        ));
                    }
                }
                store.write_meta(&StoreMeta::default())?;
            }
            Some(bytes) => {
                let meta = StoreMeta::from_json(&bytes).map_err(Error::core)?;
                let derived = meta.index_json();
                let current = read_bounded(&store.index_json(), MAX_METADATA_SIZE)?;
                if current.as_deref() != Some(&derived[..]) {
                    write_atomic(&store.ingest, &store.index_json(), &derived)?;
                }
            }
        }
        Ok(store)
    }

    fn hoist_json(&self) -> PathBuf {
        self.root.join("hoist.json")
    }

    fn index_json(&self) -> PathBuf {
        self.root.join("index.json")
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join(layout::blob_path(digest))
    }

    /// `hoist.json` as the core's model.
    pub fn read_meta(&self) -> Result<StoreMeta> {
        let bytes = read_bounded(&self.hoist_json(), MAX_METADATA_SIZE)?.ok_or_else(|| {
            Error::new(
                "store-corrupt",
                format!("{}: missing", self.hoist_json().display()),
            )
        })?;
        StoreMeta::from_json(&bytes).map_err(Error::core)
    }

    /// The image index (`hoist.json`'s), with the search registries short names use.
    pub fn read_index(&self) -> Result<ImageIndex> {
        Ok(self.read_meta()?.index)
    }

    /// Writes `hoist.json`, then `index.json`.
    fn write_meta(&self, meta: &StoreMeta) -> Result<()> {
        write_atomic(&self.ingest, &self.hoist_json(), &meta.to_json())?;
        write_atomic(&self.ingest, &self.index_json(), &meta.index_json())
    }

    /// Applies one index operation (tag, untag, rmi); writes only when something changed.
    pub fn update<F>(&self, op: F) -> Result<Vec<Change>>
    where
        F: FnOnce(&mut ImageIndex) -> std::result::Result<Vec<Change>, StoreError>,
    {
        let mut meta = self.read_meta()?;
        let changes = meta.apply(op).map_err(Error::core)?;
        if !changes.is_empty() {
            self.write_meta(&meta)?;
        }
        Ok(changes)
    }

    /// The image's manifest descriptor as `hoist.json` records it.
    pub fn manifest_descriptor(&self, id: &Digest) -> Result<Option<ManifestDescriptor>> {
        Ok(self.read_meta()?.manifests.get(id).cloned())
    }

    /// The size of committed blob `digest`, if present.
    pub fn stat(&self, digest: &Digest) -> Result<Option<u64>> {
        let p = self.blob_path(digest);
        match fs::metadata(&p) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(p.display(), &e)),
        }
    }

    /// A committed blob of at most `limit` bytes, checked against its digest.
    pub fn read_blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>> {
        let p = self.blob_path(digest);
        let Some(bytes) = read_bounded(&p, limit)
            .map_err(|e| Error::new("blob-too-large", format!("blob {digest}: {}", e.message)))?
        else {
            return Err(Error::new(
                "blob-missing",
                format!("blob {digest} is missing"),
            ));
        };
        let actual = Digest::of(digest.algorithm(), &bytes);
        if &actual != digest {
            return Err(Error::new(
                "store-corrupt",
                format!("{}: content hashes to {actual}", p.display()),
            ));
        }
        Ok(bytes)
    }

    /// Starts one pull's staging directory.
    pub fn begin_pull(&self) -> Result<Staging<'_>> {
        let dir = self
            .ingest
            .join(format!("{PULL_PREFIX}{}", unique_suffix()));
        fs::create_dir(&dir).map_err(|e| Error::io(dir.display(), &e))?;
        Ok(Staging {
            store: self,
            dir,
            staged: HashMap::new(),
            done: false,
        })
    }
}

/// One pull's staging area: nothing outside `ingest/` changes before [`Staging::commit`].
/// Dropping it without a commit removes everything it staged.
pub struct Staging<'a> {
    store: &'a Store,
    dir: PathBuf,
    /// Staged blobs and their sizes.
    staged: HashMap<Digest, u64>,
    done: bool,
}

impl Staging<'_> {
    fn path_of(&self, digest: &Digest) -> PathBuf {
        self.dir.join(stem(digest))
    }

    fn partial_of(&self, digest: &Digest) -> PathBuf {
        self.dir.join(format!("{}.partial", stem(digest)))
    }

    /// The size of `digest` if it is committed or staged for this pull.
    pub fn stat(&self, digest: &Digest) -> Result<Option<u64>> {
        if let Some(size) = self.staged.get(digest) {
            return Ok(Some(*size));
        }
        self.store.stat(digest)
    }

    /// Stages a small document the machine already verified (checked again here).
    pub fn put_blob(&mut self, digest: &Digest, bytes: &[u8]) -> Result<()> {
        let mut v = Verifier::new(digest.clone()).with_size(bytes.len() as u64);
        v.update(bytes)
            .and_then(|()| v.finish())
            .map_err(Error::core)?;
        if self.staged.contains_key(digest) {
            return Ok(());
        }
        write_atomic(&self.dir, &self.path_of(digest), bytes)?;
        self.staged.insert(digest.clone(), bytes.len() as u64);
        Ok(())
    }

    /// A writer for blob `digest` of `size` bytes continuing at `offset` (the bytes
    /// before it, kept from an earlier attempt, are re-hashed), or `None` when the blob
    /// is already committed or staged.
    pub fn blob_writer(
        &mut self,
        digest: &Digest,
        size: u64,
        offset: u64,
    ) -> Result<Option<BlobWriter>> {
        if self.staged.contains_key(digest) {
            return Ok(None);
        }
        if let Some(committed) = self.store.stat(digest)? {
            if committed != size {
                return Err(Error::new(
                    "size-mismatch",
                    format!("blob {digest} is {committed} bytes, not {size}"),
                ));
            }
            self.staged.insert(digest.clone(), committed);
            return Ok(None);
        }
        let partial = self.partial_of(digest);
        let io = |e: std::io::Error| Error::io(partial.display(), &e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&partial)
            .map_err(io)?;
        let existing = file.metadata().map_err(io)?.len();
        let keep = offset.min(existing).min(size);
        file.set_len(keep).map_err(io)?;
        let mut verifier = Verifier::new(digest.clone()).with_size(size);
        let mut buf = vec![0u8; CHUNK];
        let mut pos = 0u64;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        while pos < keep {
            let want = usize::try_from((keep - pos).min(CHUNK as u64)).unwrap_or(CHUNK);
            let n = file.read(&mut buf[..want]).map_err(io)?;
            if n == 0 {
                break;
            }
            verifier.update(&buf[..n]).map_err(Error::core)?;
            pos += n as u64;
        }
        file.seek(SeekFrom::Start(pos)).map_err(io)?;
        file.set_len(pos).map_err(io)?;
        Ok(Some(BlobWriter {
            digest: digest.clone(),
            size,
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            partial,
            dest: self.path_of(digest),
            verifier,
            written: pos,
            flushed: pos,
        }))
    }

    /// Records a blob that a [`BlobWriter`] finished.
    pub fn mark_staged(&mut self, digest: &Digest, size: u64) {
        self.staged.insert(digest.clone(), size);
    }

    /// Commits one image: checks that the manifest and every blob is committed or
    /// staged, records the pull in `hoist.json` (the core decides names and tag moves),
    /// renames staged blobs into `blobs/`, then writes `hoist.json` and `index.json`.
    /// Nothing visible changes if a check fails.
    pub fn commit(
        &mut self,
        blobs: &[Digest],
        manifest: &Descriptor,
        record: PullRecord,
        now_unix: i64,
    ) -> Result<ImageRecord> {
        let mut needed = Vec::new();
        let mut wanted: Vec<&Digest> = vec![&manifest.digest];
        wanted.extend(blobs.iter().filter(|d| **d != manifest.digest));
        for digest in wanted {
            let committed = self.store.stat(digest)?;
            let staged = self.staged.get(digest).copied();
            let Some(len) = committed.or(staged) else {
                return Err(Error::new(
                    "blob-missing",
                    format!("blob {digest} is missing (needed by image {})", record.id),
                ));
            };
            if *digest == manifest.digest && len != manifest.size {
                return Err(Error::new(
                    "invalid-store-request",
                    format!("manifest {digest} is {len} bytes, not {}", manifest.size),
                ));
            }
            if staged.is_some() && committed.is_none() && self.path_of(digest).exists() {
                needed.push(digest.clone());
            }
        }
        let mut meta = self.store.read_meta()?;
        let stored = meta
            .record_pull(record, ManifestDescriptor::from(manifest), now_unix)
            .map_err(Error::core)?;
        let mut dirs = Vec::new();
        for digest in &needed {
            let dest = self.store.blob_path(digest);
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::io(parent.display(), &e))?;
                if !dirs.iter().any(|d: &PathBuf| d == parent) {
                    dirs.push(parent.to_path_buf());
                }
            }
            fs::rename(self.path_of(digest), &dest).map_err(|e| Error::io(dest.display(), &e))?;
        }
        for d in &dirs {
            sync_dir(d);
        }
        self.store.write_meta(&meta)?;
        self.discard();
        Ok(stored)
    }

    /// Removes everything this pull staged; the visible store is untouched.
    pub fn discard(&mut self) {
        if !self.done {
            self.done = true;
            self.staged.clear();
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        self.discard();
    }
}

/// Streams one blob into staging behind the core's [`Verifier`].
pub struct BlobWriter {
    digest: Digest,
    size: u64,
    file: BufWriter<File>,
    partial: PathBuf,
    dest: PathBuf,
    verifier: Verifier,
    written: u64,
    /// Where write-back was last started (`crate::writeback`).
    flushed: u64,
}

impl BlobWriter {
    /// The blob being written.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Bytes written so far (the resume point after a failure).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends bytes; fails as soon as the stream outgrows its declared size.
    pub fn write(&mut self, data: &[u8]) -> std::result::Result<(), TransportFailure> {
        let after = self.written + data.len() as u64;
        if after > self.size {
            return Err(TransportFailure::SizeMismatch { actual: after });
        }
        self.file
            .write_all(data)
            .map_err(|e| TransportFailure::Store {
                message: format!("writing blob {}: {e}", self.digest),
            })?;
        self.verifier.update(data)?;
        self.written = after;
        if self.written - self.flushed >= crate::writeback::EVERY {
            self.file.flush().map_err(|e| TransportFailure::Store {
                message: format!("writing blob {}: {e}", self.digest),
            })?;
            crate::writeback::start(
                self.file.get_ref(),
                self.flushed,
                self.written - self.flushed,
            );
            self.flushed = self.written;
        }
        Ok(())
    }

    /// Ends the stream: the core checks digest and size, then the file is synced and
    /// renamed to its staged name. Returns the blob's size.
    pub fn finish(self) -> std::result::Result<u64, TransportFailure> {
        self.verifier.finish()?;
        let store_err = |e: std::io::Error| TransportFailure::Store {
            message: format!("staging blob {}: {e}", self.digest),
        };
        let file = self
            .file
            .into_inner()
            .map_err(|e| store_err(e.into_error()))?;
        file.sync_all().map_err(store_err)?;
        drop(file);
        fs::rename(&self.partial, &self.dest).map_err(store_err)?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hoist_core::store::layout::OCI_LAYOUT_BYTES;

    fn tempdir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("hoist-wasi-store-{}", unique_suffix()));
        fs::create_dir_all(&d).expect("tempdir");
        d
    }

    #[test]
    fn open_creates_the_layout() {
        let d = tempdir();
        let s = Store::open(&d).expect("open");
        assert_eq!(
            fs::read(d.join("oci-layout")).expect("layout"),
            OCI_LAYOUT_BYTES
        );
        assert_eq!(
            fs::read(d.join("index.json")).expect("index"),
            StoreMeta::default().index_json()
        );
        assert!(s.read_index().expect("index").is_empty());
        // Reopening keeps the files as they are.
        Store::open(&d).expect("reopen");
        fs::write(d.join("oci-layout"), b"{\"imageLayoutVersion\":\"9\"}").expect("write");
        assert_eq!(
            Store::open(&d).err().map(|e| e.code),
            Some("invalid-store-layout")
        );
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn blob_writer_verifies_resumes_and_discards() {
        let d = tempdir();
        let store = Store::open(&d).expect("open");
        let data = vec![7u8; 3 * CHUNK + 5];
        let digest = Digest::sha256_of(&data);
        let size = data.len() as u64;
        {
            let mut staging = store.begin_pull().expect("begin");
            let mut w = staging
                .blob_writer(&digest, size, 0)
                .expect("writer")
                .expect("absent");
            w.write(&data[..CHUNK + 3]).expect("write");
            let kept = w.written();
            drop(w);
            // Resume from the kept bytes: the prefix is re-hashed.
            let mut w = staging
                .blob_writer(&digest, size, kept)
                .expect("writer")
                .expect("absent");
            assert_eq!(w.written(), kept);
            w.write(&data[CHUNK + 3..]).expect("write");
            assert!(matches!(
                w.write(b"x"),
                Err(TransportFailure::SizeMismatch { .. })
            ));
            assert_eq!(w.finish().expect("finish"), size);
            staging.mark_staged(&digest, size);
            assert_eq!(staging.stat(&digest).expect("stat"), Some(size));
            // Dropped without a commit: nothing visible, staging gone.
        }
        assert_eq!(store.stat(&digest).expect("stat"), None);
        assert_eq!(fs::read_dir(d.join("ingest")).expect("ingest").count(), 0);

        // A wrong digest is the core's digest-mismatch.
        let mut staging = store.begin_pull().expect("begin");
        let other = Digest::sha256_of(b"other");
        let mut w = staging
            .blob_writer(&other, size, 0)
            .expect("writer")
            .expect("absent");
        w.write(&data).expect("write");
        assert!(matches!(
            w.finish(),
            Err(TransportFailure::DigestMismatch { .. })
        ));
        let _ = fs::remove_dir_all(&d);
    }
}
