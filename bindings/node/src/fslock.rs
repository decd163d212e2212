//! Host support, not translation: flock-style file locks for the Node host's store.
//!
//! Node has no `flock`, and the Node host must exclude native `hoist` processes working
//! on the same store, which lock with `std::fs::File::lock` (`hosts/native/src/store/
//! lock.rs`). This is the one piece of I/O in the binding, kept to the same two lock kinds
//! the native host uses: the store lock (never removed) and removable locks (the holder
//! unlinks the file before unlocking; a lock taken on a file no longer at its path does
//! not count and is retried). Locks never block: the Node host polls with `tryLock` from
//! its event loop, so no thread waits.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use napi_derive::napi;

use crate::convert::{Code, Result};

fn io_error(op: &str, path: &std::path::Path, e: std::io::Error) -> napi::Error<Code> {
    napi::Error::new(Code("store-io"), format!("{op} {}: {e}", path.display()))
}

/// A held lock; `release` (or garbage collection of the object) lets it go.
#[napi]
pub struct FileLock {
    file: Option<File>,
    path: PathBuf,
    removable: bool,
}

/// Takes an exclusive lock on `path` (created if missing) without waiting: the lock, or
/// `null` while another process or thread holds it. `removable`: the file is unlinked at
/// release (per-digest and per-pull locks).
#[napi]
pub fn try_lock(path: String, removable: bool) -> Result<Option<FileLock>> {
    let path = PathBuf::from(path);
    // A removable lock can be unlinked between our open and our lock; retry a few times
    // with a fresh open, then report it busy.
    for _ in 0..8 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_error("open lock", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(io_error("lock", &path, e)),
        }
        if removable {
            let held = file.metadata().map_err(|e| io_error("stat", &path, e))?;
            match fs::metadata(&path) {
                Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => {}
                _ => continue,
            }
        }
        return Ok(Some(FileLock {
            file: Some(file),
            path,
            removable,
        }));
    }
    Ok(None)
}

#[napi]
impl FileLock {
    /// Releases the lock (unlinking a removable lock's file first). Idempotent.
    #[napi]
    pub fn release(&mut self) {
        if let Some(file) = self.file.take() {
            if self.removable {
                let _ = fs::remove_file(&self.path);
            }
            let _ = file.unlock();
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        self.release();
    }
}
