//! Paths of the layout and the few filesystem moves everything else is made of: durable
//! atomic replacement, directory fsync, bounded reads, hashing a file.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use hoist_core::digest::{Algorithm, Digest, Hasher};

use super::error::{Result, StoreIoError};

/// Every path of a store, derived from its root. Only [`Digest::algorithm`] and
/// [`Digest::encoded`] ever become path components.
#[derive(Clone, Debug)]
pub(crate) struct Paths {
    pub root: PathBuf,
}

/// `oci-layout`'s only accepted content when hoist writes it.
pub(crate) use hoist_core::store::layout::OCI_LAYOUT_BYTES;

pub(crate) const OCI_LAYOUT: &str = "oci-layout";
pub(crate) const INDEX_JSON: &str = "index.json";
pub(crate) const HOIST_JSON: &str = "hoist.json";
pub(crate) const BLOBS: &str = "blobs";
pub(crate) const INGEST: &str = "ingest";
pub(crate) const LOCK: &str = "lock";

/// Prefix of the temp files of atomic writes (always in `ingest/`).
pub(crate) const TMP_PREFIX: &str = "tmp-";
/// Prefix of per-pull staging directories and their lock files in `ingest/`.
pub(crate) const PULL_PREFIX: &str = "pull-";

impl Paths {
    pub fn new(root: &Path) -> Self {
        Paths {
            root: root.to_path_buf(),
        }
    }
    pub fn oci_layout(&self) -> PathBuf {
        self.root.join(OCI_LAYOUT)
    }
    pub fn index_json(&self) -> PathBuf {
        self.root.join(INDEX_JSON)
    }
    pub fn hoist_json(&self) -> PathBuf {
        self.root.join(HOIST_JSON)
    }
    pub fn lock(&self) -> PathBuf {
        self.root.join(LOCK)
    }
    pub fn blobs(&self) -> PathBuf {
        self.root.join(BLOBS)
    }
    pub fn blob_dir(&self, algorithm: Algorithm) -> PathBuf {
        self.blobs().join(algorithm.as_str())
    }
    pub fn blob(&self, digest: &Digest) -> PathBuf {
        self.blob_dir(digest.algorithm()).join(digest.encoded())
    }
    pub fn ingest(&self) -> PathBuf {
        self.root.join(INGEST)
    }
    /// `ingest/<alg>-<hex>`: the base name used for the digest's lock and partial file, and
    /// for its verified file inside a pull directory.
    pub fn digest_stem(digest: &Digest) -> String {
        format!("{}-{}", digest.algorithm().as_str(), digest.encoded())
    }
    pub fn digest_lock(&self, digest: &Digest) -> PathBuf {
        self.ingest()
            .join(format!("{}.lock", Self::digest_stem(digest)))
    }
    pub fn partial(&self, digest: &Digest) -> PathBuf {
        self.ingest()
            .join(format!("{}.partial", Self::digest_stem(digest)))
    }
}

/// A name no other process or thread will pick: pid, wall-clock nanoseconds, counter.
pub(crate) fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{nanos}-{n}", std::process::id())
}

/// fsync of a directory, so that renames and creations in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreIoError::io("fsync directory", dir, e))
}

pub(crate) fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| StoreIoError::io("create directory", dir, e))
}

/// Replaces `dest` with `bytes` so that a crash leaves either the old or the new content:
/// write a temp file in `tmp_dir` (same filesystem), fsync it, rename it over `dest`, fsync
/// `dest`'s directory. The temp file is removed on failure.
pub(crate) fn write_atomic(tmp_dir: &Path, dest: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_many(tmp_dir, &[(dest, bytes)])
}

/// Replaces several files atomically, each by temp file + rename, in the given order, for
/// the cost of one flush: every temp file is written, then all are fsynced at once (so the
/// filesystem can commit them in one journal transaction), then renamed in order, then each
/// destination directory is fsynced once. After a crash each destination holds either its
/// old or its new complete content; a later file may be new while an earlier one is old, so
/// callers order files such that readers can repair that (`index.json` is rebuilt from
/// `hoist.json` at open).
pub(crate) fn write_atomic_many(tmp_dir: &Path, files: &[(&Path, &[u8])]) -> Result<()> {
    let mut tmps: Vec<(PathBuf, File)> = Vec::with_capacity(files.len());
    let result = (|| {
        for (dest, bytes) in files {
            let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("file");
            let tmp = tmp_dir.join(format!("{TMP_PREFIX}{name}-{}", unique_suffix()));
            let mut f = File::create_new(&tmp).map_err(|e| StoreIoError::io("create", &tmp, e))?;
            tmps.push((
                tmp.clone(),
                f.try_clone()
                    .map_err(|e| StoreIoError::io("open", &tmp, e))?,
            ));
            f.write_all(bytes)
                .map_err(|e| StoreIoError::io("write", &tmp, e))?;
        }
        sync_files(tmps.iter().map(|(p, f)| (p.as_path(), f)))?;
        for ((tmp, _), (dest, _)) in tmps.iter().zip(files) {
            fs::rename(tmp, dest).map_err(|e| StoreIoError::io("rename", dest, e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        for (tmp, _) in &tmps {
            let _ = fs::remove_file(tmp);
        }
        return result;
    }
    let mut dirs: Vec<&Path> = files
        .iter()
        .map(|(dest, _)| dest.parent().unwrap_or(Path::new(".")))
        .collect();
    dirs.dedup();
    for dir in dirs {
        sync_dir(dir)?;
    }
    Ok(())
}

/// `fdatasync`s files concurrently, one thread each: concurrent syncs on one filesystem
/// share journal commits, so n files cost about one flush instead of n. The first error
/// wins and names its file.
pub(crate) fn sync_files<'a>(files: impl Iterator<Item = (&'a Path, &'a File)>) -> Result<()> {
    let files: Vec<(&Path, &File)> = files.collect();
    if let [(path, file)] = files.as_slice() {
        return file
            .sync_data()
            .map_err(|e| StoreIoError::io("fsync", path, e));
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|(path, file)| {
                scope.spawn(move || {
                    file.sync_data()
                        .map_err(|e| StoreIoError::io("fsync", path, e))
                })
            })
            .collect();
        let mut first = Ok(());
        for h in handles {
            let r = h.join().unwrap_or_else(|_| {
                Err(StoreIoError::InvalidRequest {
                    detail: "fsync thread panicked".into(),
                })
            });
            if first.is_ok() {
                first = r;
            }
        }
        first
    })
}

/// The file's length, or `None` when it does not exist.
pub(crate) fn file_len(path: &Path) -> Result<Option<u64>> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => Ok(Some(m.len())),
        Ok(_) => Err(StoreIoError::corrupt(path, "not a regular file")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreIoError::io("stat", path, e)),
    }
}

/// Reads a whole file of at most `limit` bytes. `Ok(Err(len))` when it is longer.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Option<Result<Vec<u8>, u64>>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreIoError::io("open", path, e)),
    };
    let len = file
        .metadata()
        .map_err(|e| StoreIoError::io("stat", path, e))?
        .len();
    if len > limit {
        return Ok(Some(Err(len)));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| StoreIoError::io("read", path, e))?;
    if bytes.len() as u64 > limit {
        return Ok(Some(Err(bytes.len() as u64)));
    }
    Ok(Some(Ok(bytes)))
}

/// Hashes a whole file with `algorithm`; returns the digest and the length read.
pub(crate) fn hash_file(path: &Path, algorithm: Algorithm) -> Result<(Digest, u64)> {
    let mut file = File::open(path).map_err(|e| StoreIoError::io("open", path, e))?;
    let mut hasher = Hasher::new(algorithm);
    hash_prefix(&mut file, path, u64::MAX, |chunk| hasher.update(chunk))?;
    let len = hasher.len();
    Ok((hasher.finish(), len))
}

/// Feeds at most `limit` bytes of `file`, from its current position, to `sink`; returns how
/// many were fed (fewer when the file ends first).
pub(crate) fn hash_prefix(
    file: &mut File,
    path: &Path,
    limit: u64,
    mut sink: impl FnMut(&[u8]),
) -> Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    while done < limit {
        let want = usize::try_from((limit - done).min(buf.len() as u64)).unwrap_or(buf.len());
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(StoreIoError::io("read", path, e)),
        };
        sink(&buf[..n]);
        done += n as u64;
    }
    Ok(done)
}

/// Removes a file, treating "already gone" as success.
pub(crate) fn remove_file(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreIoError::io("remove", path, e)),
    }
}

/// Removes a directory tree, treating "already gone" as success.
pub(crate) fn remove_dir_all(path: &Path) -> Result<bool> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreIoError::io("remove directory", path, e)),
    }
}

/// The entries of a directory as (file name, is directory) pairs; non-UTF-8 names are
/// returned lossily (they never match a name hoist writes). A missing directory is empty.
pub(crate) fn list_dir(dir: &Path) -> Result<Vec<(String, bool)>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreIoError::io("read directory", dir, e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| StoreIoError::io("read directory", dir, e))?;
        let is_dir = entry
            .file_type()
            .map_err(|e| StoreIoError::io("stat", &entry.path(), e))?
            .is_dir();
        out.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
    }
    out.sort();
    Ok(out)
}
