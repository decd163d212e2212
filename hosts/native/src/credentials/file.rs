//! Auth file I/O: bounded reads and atomic, private writes.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hoist_core::auth::{DockerConfig, Secret, MAX_DOCKER_CONFIG_SIZE};

use super::{AuthPath, CredentialError};

/// Reads and parses one auth file. `Ok(None)` when it does not exist.
///
/// At most [`MAX_DOCKER_CONFIG_SIZE`] + 1 bytes are read, so a huge file (or a link to
/// a device) costs nothing before the core rejects it as too large.
pub(crate) fn load(auth: &AuthPath) -> Result<Option<DockerConfig>, CredentialError> {
    let Some(bytes) = read_capped(&auth.path)? else {
        return Ok(None);
    };
    let parsed = if auth.legacy {
        DockerConfig::parse_legacy(&bytes)
    } else {
        DockerConfig::parse(&bytes)
    };
    // The bytes may hold secrets: wipe them before they are freed.
    wipe(bytes);
    parsed
        .map(Some)
        .map_err(|source| CredentialError::AuthFile {
            path: auth.path.clone(),
            source,
        })
}

fn read_capped(path: &Path) -> Result<Option<Vec<u8>>, CredentialError> {
    let unreadable = |e: io::Error| CredentialError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if is_missing(&e) => return Ok(None),
        Err(e) => return Err(unreadable(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_DOCKER_CONFIG_SIZE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    Ok(Some(bytes))
}

/// A missing file, or a missing directory on the way to it (`HOME` pointing at a file).
fn is_missing(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

pub(crate) fn wipe(mut bytes: Vec<u8>) {
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&bytes);
}

/// Writes `contents` to `path` so that no reader ever sees a partial file and no other
/// user can read it: the directory is created with mode 0700 if missing, the text goes
/// to a temporary file in the same directory created with mode 0600, which is synced,
/// renamed over `path`, and the directory is synced.
pub(crate) fn write_private(path: &Path, contents: &Secret) -> Result<(), CredentialError> {
    let failed = |e: io::Error| CredentialError::WriteFailed {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir).map_err(failed)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "auth.json".into());
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_tmp(&tmp, contents)
        .and_then(|()| fs::rename(&tmp, path))
        .and_then(|()| sync_dir(&dir));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(failed)
}

fn write_tmp(tmp: &Path, contents: &Secret) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(tmp)?;
    // The umask can only remove bits, but set the mode outright in case the file
    // system or an odd umask left something else.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents.expose().as_bytes())?;
    file.sync_all()
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn write_creates_private_dir_and_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("a/b/auth.json");
        write_private(&path, &Secret::new("{}")).expect("write");
        let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&tmp.path().join("a/b")), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        // Replacing keeps 0600 even if the old file was world-readable.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&path, &Secret::new("{\"auths\":{}}")).expect("write");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read_to_string(&path).expect("read"), "{\"auths\":{}}");
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(tmp.path().join("a/b"))
            .expect("readdir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["auth.json"]);
    }

    #[test]
    fn read_missing_and_oversized() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let missing = AuthPath {
            path: tmp.path().join("nope.json"),
            legacy: false,
        };
        assert_eq!(load(&missing), Ok(None));
        // A path through a regular file is "missing" too (ENOTDIR).
        fs::write(tmp.path().join("file"), "x").expect("write");
        let through_file = AuthPath {
            path: tmp.path().join("file/auth.json"),
            legacy: false,
        };
        assert_eq!(load(&through_file), Ok(None));
        let big = tmp.path().join("big.json");
        fs::write(&big, vec![b' '; MAX_DOCKER_CONFIG_SIZE + 10]).expect("write");
        let err = load(&AuthPath {
            path: big,
            legacy: false,
        })
        .expect_err("too large");
        assert_eq!(hoist_core::ErrorCode::code(&err), "docker-config-too-large");
    }
}
