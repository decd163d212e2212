//! flock-style locks on files (`std::fs::File::lock`, per open file description, so two
//! threads of one process exclude each other as two processes do).
//!
//! Two kinds:
//!
//! - the **store lock** (`<root>/lock`): never removed, so taking it is a plain `lock`;
//! - **removable locks** (`ingest/<alg>-<hex>.lock`, `ingest/pull-<id>.lock`): the holder
//!   unlinks the file before it unlocks, so lock files do not pile up. A waiter that wakes
//!   up holding a file that is no longer (or no longer the same file) at its path retries
//!   with a fresh open; only a lock on the file that *is* at the path counts.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::error::{Result, StoreIoError};

/// A held lock. Dropping it releases the lock (after unlinking the file when it is a
/// removable lock).
#[derive(Debug)]
pub(crate) struct LockGuard {
    file: File,
    path: PathBuf,
    unlink: bool,
}

impl LockGuard {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Releases the lock without removing the file (for read-only inspection).
    pub fn release_keeping_file(mut self) {
        self.unlink = false;
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if self.unlink {
            // While still holding the lock: a waiter then sees the inode gone and retries.
            let _ = fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}

/// Takes the store lock, waiting at most `wait` (`None`: as long as it takes).
pub(crate) fn lock_store(path: &Path, wait: Option<Duration>) -> Result<LockGuard> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| StoreIoError::io("open lock", path, e))?;
    match wait {
        None => file.lock().map_err(|e| StoreIoError::io("lock", path, e))?,
        Some(wait) => {
            let deadline = Instant::now() + wait;
            let mut pause = Duration::from_millis(1);
            loop {
                match file.try_lock() {
                    Ok(()) => break,
                    Err(TryLockError::WouldBlock) => {
                        if Instant::now() >= deadline {
                            return Err(StoreIoError::Locked {
                                path: path.to_path_buf(),
                            });
                        }
                        thread::sleep(pause);
                        pause = (pause * 2).min(Duration::from_millis(50));
                    }
                    Err(TryLockError::Error(e)) => {
                        return Err(StoreIoError::io("lock", path, e));
                    }
                }
            }
        }
    }
    Ok(LockGuard {
        file,
        path: path.to_path_buf(),
        unlink: false,
    })
}

/// Outcome of [`try_removable`].
pub(crate) enum TryLock {
    /// We hold it.
    Acquired(LockGuard),
    /// Someone else holds it.
    Busy,
    /// There is no lock file (only when `create` is false).
    Absent,
}

/// Takes a removable lock, blocking until it is free. Creates the file when missing.
pub(crate) fn lock_removable(path: &Path) -> Result<LockGuard> {
    loop {
        let file = open_lock(path, true)?
            .ok_or_else(|| StoreIoError::io("open lock", path, io::ErrorKind::NotFound.into()))?;
        file.lock().map_err(|e| StoreIoError::io("lock", path, e))?;
        if still_at_path(&file, path)? {
            return Ok(LockGuard {
                file,
                path: path.to_path_buf(),
                unlink: true,
            });
        }
    }
}

/// Tries to take a removable lock without waiting. With `create` false, a missing lock file
/// is [`TryLock::Absent`] (nobody holds it, and we do not create one).
pub(crate) fn try_removable(path: &Path, create: bool) -> Result<TryLock> {
    loop {
        let Some(file) = open_lock(path, create)? else {
            return Ok(TryLock::Absent);
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(TryLock::Busy),
            Err(TryLockError::Error(e)) => return Err(StoreIoError::io("lock", path, e)),
        }
        if still_at_path(&file, path)? {
            return Ok(TryLock::Acquired(LockGuard {
                file,
                path: path.to_path_buf(),
                unlink: true,
            }));
        }
        if !create {
            // It was removed while we looked: nobody holds it now.
            return Ok(TryLock::Absent);
        }
    }
}

/// Creates a removable lock file that must not exist yet and takes it (for pull staging
/// directories, whose names are unique). `Ok(None)` when the name is taken.
pub(crate) fn create_removable(path: &Path) -> Result<Option<LockGuard>> {
    let file = match OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(None),
        Err(e) => return Err(StoreIoError::io("create lock", path, e)),
    };
    file.lock().map_err(|e| StoreIoError::io("lock", path, e))?;
    // A sweeper may have taken and unlinked it between create and lock.
    if !still_at_path(&file, path)? {
        return Ok(None);
    }
    Ok(Some(LockGuard {
        file,
        path: path.to_path_buf(),
        unlink: true,
    }))
}

fn open_lock(path: &Path, create: bool) -> Result<Option<File>> {
    match OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .open(path)
    {
        Ok(f) => Ok(Some(f)),
        Err(e) if !create && e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreIoError::io("open lock", path, e)),
    }
}

fn still_at_path(file: &File, path: &Path) -> Result<bool> {
    let held = file
        .metadata()
        .map_err(|e| StoreIoError::io("stat lock", path, e))?;
    match fs::metadata(path) {
        Ok(now) => Ok(now.ino() == held.ino() && now.dev() == held.dev()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreIoError::io("stat lock", path, e)),
    }
}
