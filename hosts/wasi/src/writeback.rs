//! Starting write-back of a blob while it still downloads.
//!
//! The store must fsync every blob before it is renamed into place. Inside WASI that
//! fsync blocks the program's only thread: while the disk flushes one 25 MB layer, no
//! other download moves. The native store avoids the long tail with `sync_file_range`
//! every 8 MiB; WASI has no such call, but `wasi:filesystem`'s `advise(dont-need)` is
//! `posix_fadvise(POSIX_FADV_DONTNEED)` in wasmtime, and on Linux that starts
//! asynchronous write-back of the range's dirty pages (then drops the clean ones, which
//! the pull never reads again: it hashes as it writes). The final `sync_all` then waits
//! only for what is left.
//!
//! It is a hint: a runtime that ignores it is merely slower, and an I/O error of the
//! write-back is still reported by the final fsync (Linux keeps it for every open file
//! until that file syncs), so nothing here can hide a failure.

use std::fs::File;

/// How often write-back is started, in bytes (the native store's interval).
pub const EVERY: u64 = 8 << 20;

/// Asks the runtime to start writing `len` bytes at `offset` of `file` to disk.
#[cfg(target_os = "wasi")]
pub fn start(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: `posix_fadvise` only reads its integer arguments; the descriptor is borrowed
    // from a `File` that stays open for the whole call, so it names the blob's file. The
    // result is a hint's status, ignored on purpose (see the module docs).
    #[allow(unsafe_code)]
    let _ =
        unsafe { libc::posix_fadvise(file.as_raw_fd(), offset, len, libc::POSIX_FADV_DONTNEED) };
}

/// Off WASI (the store's native unit tests) there is nothing to start.
#[cfg(not(target_os = "wasi"))]
pub fn start(_file: &File, _offset: u64, _len: u64) {}
