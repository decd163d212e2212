//! The server's unix socket: `unix:///path` parsing, safe replacement of a stale socket,
//! mode 0660, removal on shutdown.
//!
//! Order of [`CriSocket::bind`]:
//!
//! 1. Take `PATH.lock` (an exclusive `flock`, held for the server's lifetime): a second
//!    `hoist serve` on the same path fails at once with `socket-in-use`.
//! 2. If `PATH` exists: anything but a socket is refused (`socket-path-not-socket`: hoist
//!    never deletes a file it did not make); a socket that accepts a connection belongs to
//!    a live server of some other make and is refused (`socket-in-use`); otherwise it is
//!    stale and is replaced.
//! 3. Bind a fresh socket under a temporary name in the same directory, `chmod 0660`, then
//!    `rename` it over `PATH`: clients never see a socket with the umask's mode, and never
//!    a moment without a socket at `PATH` if a stale one was there.
//!
//! On drop, `PATH` is removed if it is still the socket this server bound (same inode).
//! The lock file stays (removing a lock file others may have opened breaks the lock).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::UnixListener;

/// Why the socket could not be set up.
#[derive(Debug)]
#[non_exhaustive]
pub enum SocketError {
    /// The endpoint is not `unix:///absolute/path`.
    InvalidEndpoint {
        /// The endpoint, cut to 200 characters.
        endpoint: String,
    },
    /// Another server listens on the path.
    InUse {
        /// The socket path.
        path: PathBuf,
    },
    /// The path exists and is not a socket.
    NotASocket {
        /// The path.
        path: PathBuf,
    },
    /// A file system call failed.
    Io {
        /// What was being done.
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        error: io::Error,
    },
}

impl SocketError {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            SocketError::InvalidEndpoint { .. } => "invalid-endpoint",
            SocketError::InUse { .. } => "socket-in-use",
            SocketError::NotASocket { .. } => "socket-path-not-socket",
            SocketError::Io { .. } => "socket-io",
        }
    }
}

impl std::fmt::Display for SocketError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SocketError::InvalidEndpoint { endpoint } => {
                write!(f, "endpoint {endpoint:?} is not unix:///absolute/path")
            }
            SocketError::InUse { path } => {
                write!(f, "another server is listening on {}", path.display())
            }
            SocketError::NotASocket { path } => {
                write!(f, "{} exists and is not a socket", path.display())
            }
            SocketError::Io { op, path, error } => {
                write!(f, "{op} {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for SocketError {}

/// The socket path of a CRI endpoint: `unix:///run/hoist/image.sock` (kubelet's and
/// crictl's form) or a bare absolute path.
pub fn parse_endpoint(endpoint: &str) -> Result<PathBuf, SocketError> {
    let path = endpoint.strip_prefix("unix://").unwrap_or(endpoint);
    if !path.starts_with('/') || path.len() > 107 || path.contains('\0') {
        return Err(SocketError::InvalidEndpoint {
            endpoint: endpoint.chars().take(200).collect(),
        });
    }
    Ok(PathBuf::from(path))
}

/// A bound, listening socket; removes its path when dropped.
pub struct CriSocket {
    path: PathBuf,
    inode: u64,
    _lock: File,
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SocketError + 'a {
    move |error| SocketError::Io {
        op,
        path: path.to_owned(),
        error,
    }
}

impl CriSocket {
    /// Binds `path` (see the module docs). Must be called inside a tokio runtime.
    pub fn bind(path: &Path) -> Result<(CriSocket, UnixListener), SocketError> {
        let dir = path.parent().unwrap_or(Path::new("/"));
        std::fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        let lock_path = with_suffix(path, ".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err("open", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(SocketError::InUse {
                    path: path.to_owned(),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err("lock", &lock_path)(e)),
        }
        match std::fs::symlink_metadata(path) {
            Ok(m) if !m.file_type().is_socket() => {
                return Err(SocketError::NotASocket {
                    path: path.to_owned(),
                })
            }
            Ok(_) => {
                if std::os::unix::net::UnixStream::connect(path).is_ok() {
                    return Err(SocketError::InUse {
                        path: path.to_owned(),
                    });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("stat", path)(e)),
        }
        let tmp = with_suffix(path, &format!(".{}.tmp", std::process::id()));
        match std::fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("remove", &tmp)(e)),
        }
        let listener = UnixListener::bind(&tmp).map_err(io_err("bind", &tmp))?;
        let placed = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o660))
            .map_err(io_err("chmod", &tmp))
            .and_then(|()| std::fs::rename(&tmp, path).map_err(io_err("rename", path)));
        if let Err(e) = placed {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let inode = std::fs::symlink_metadata(path)
            .map_err(io_err("stat", path))?
            .ino();
        Ok((
            CriSocket {
                path: path.to_owned(),
                inode,
                _lock: lock,
            },
            listener,
        ))
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for CriSocket {
    fn drop(&mut self) {
        if std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.ino() == self.inode) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            parse_endpoint("unix:///run/hoist/image.sock").expect("ok"),
            PathBuf::from("/run/hoist/image.sock")
        );
        assert_eq!(
            parse_endpoint("/tmp/x.sock").expect("ok"),
            PathBuf::from("/tmp/x.sock")
        );
        for bad in ["unix://relative.sock", "tcp://127.0.0.1:1", "", "x"] {
            assert_eq!(
                parse_endpoint(bad).map_err(|e| e.code()).err(),
                Some("invalid-endpoint"),
                "{bad}"
            );
        }
        let long = format!("unix:///{}", "a".repeat(120));
        assert!(parse_endpoint(&long).is_err());
    }

    #[tokio::test]
    async fn stale_replaced_live_refused_file_kept() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("image.sock");
        // A stale socket: bound, then its listener gone.
        drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
        let (sock, _listener) = CriSocket::bind(&path).expect("replaces stale");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o660);
        // Same path again while it lives: refused by the lock.
        assert_eq!(
            CriSocket::bind(&path).map(|_| ()).map_err(|e| e.code()),
            Err("socket-in-use")
        );
        drop(sock);
        assert!(!path.exists(), "removed on drop");

        // A live listener of another make (no lock file held): refused by connecting.
        let other = dir.path().join("other.sock");
        let _live = std::os::unix::net::UnixListener::bind(&other).expect("bind");
        assert_eq!(
            CriSocket::bind(&other).map(|_| ()).map_err(|e| e.code()),
            Err("socket-in-use")
        );
        // A regular file is never deleted.
        let file = dir.path().join("file.sock");
        std::fs::write(&file, b"keep").expect("write");
        assert_eq!(
            CriSocket::bind(&file).map(|_| ()).map_err(|e| e.code()),
            Err("socket-path-not-socket")
        );
        assert_eq!(std::fs::read(&file).expect("kept"), b"keep");
    }
}
