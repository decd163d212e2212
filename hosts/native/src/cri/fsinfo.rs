//! `ImageFsInfo`: how much of its filesystem the store uses.
//!
//! Used bytes are allocated blocks (`st_blocks × 512`, what `du` counts, as containerd's
//! `fs.DiskUsage` does) of every file under the store root, and inodes are the files and
//! directories there; hard links (pulls pin blobs that way while they run) count once.
//! The mountpoint is the highest directory above the store on the same device.

use std::collections::HashSet;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Usage of one store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    /// The mountpoint of the store's filesystem.
    pub mountpoint: PathBuf,
    /// Bytes allocated to the store's files.
    pub used_bytes: u64,
    /// Files and directories in the store.
    pub inodes_used: u64,
}

/// Measures the store at `root` (blocking). Files that vanish while walking (a commit or
/// gc renaming them) are skipped.
pub fn usage(root: &Path) -> io::Result<Usage> {
    let root_meta = std::fs::metadata(root)?;
    let mut seen = HashSet::new();
    let mut used_bytes = 0u64;
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let meta = match entry.path().symlink_metadata() {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if !seen.insert((meta.dev(), meta.ino())) {
                continue;
            }
            used_bytes = used_bytes.saturating_add(meta.blocks().saturating_mul(512));
            if meta.is_dir() && meta.dev() == root_meta.dev() {
                stack.push(entry.path());
            }
        }
    }
    used_bytes = used_bytes.saturating_add(root_meta.blocks().saturating_mul(512));
    Ok(Usage {
        mountpoint: mountpoint(root, root_meta.dev())?,
        used_bytes,
        inodes_used: seen.len() as u64 + 1,
    })
}

fn mountpoint(root: &Path, dev: u64) -> io::Result<PathBuf> {
    let mut current = std::fs::canonicalize(root)?;
    while let Some(parent) = current.parent() {
        if std::fs::metadata(parent)?.dev() != dev {
            break;
        }
        current = parent.to_owned();
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_files_once() {
        let dir = tempfile::tempdir().expect("tmp");
        let before = usage(dir.path()).expect("usage");
        assert_eq!(before.inodes_used, 1);
        std::fs::create_dir(dir.path().join("blobs")).expect("mkdir");
        std::fs::write(dir.path().join("blobs/a"), vec![7u8; 100_000]).expect("write");
        std::fs::hard_link(dir.path().join("blobs/a"), dir.path().join("b")).expect("link");
        let after = usage(dir.path()).expect("usage");
        assert_eq!(after.inodes_used, 3, "root, blobs/, one file linked twice");
        assert!(after.used_bytes >= before.used_bytes + 100_000);
        assert!(after.used_bytes < before.used_bytes + 2 * 100_000 + 16_384);
        assert!(dir.path().starts_with(&after.mountpoint) || after.mountpoint == Path::new("/"));
    }
}
