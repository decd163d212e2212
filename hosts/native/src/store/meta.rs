//! `hoist.json` (the truth) and `index.json` (derived from it): the format is the core's
//! [`hoist_core::store::layout`], shared with the WASI and Node hosts; this file only maps
//! its errors to [`StoreIoError`]s that name the file on disk.

use std::path::Path;

use hoist_core::store::layout::{self, StoreMeta};
pub use hoist_core::store::layout::{ManifestDescriptor, ManifestPlatform, REF_NAME_ANNOTATION};

use super::error::{Result, StoreIoError};

/// `hoist.json` in memory.
pub(crate) type Meta = StoreMeta;

/// Reads `hoist.json` strictly (see [`hoist_core::store::layout`]). `path` is for messages.
pub(crate) fn meta_from_json(bytes: &[u8], path: &Path) -> Result<Meta> {
    StoreMeta::from_json(bytes).map_err(|e| StoreIoError::corrupt(path, detail(&e)))
}

/// The `(ref name, manifest digest)` pairs of an `index.json` found on disk, for fsck.
pub(crate) fn read_index_pairs(bytes: &[u8]) -> std::result::Result<Vec<(String, String)>, String> {
    layout::read_index_pairs(bytes).map_err(|e| detail(&e))
}

/// How many manifests an `index.json` on disk lists (for deciding whether a layout without
/// `hoist.json` is empty).
pub(crate) fn count_index_entries(bytes: &[u8], path: &Path) -> Result<usize> {
    read_index_pairs(bytes)
        .map(|p| p.len())
        .map_err(|e| StoreIoError::corrupt(path, e))
}

/// Checks `oci-layout`'s bytes.
pub(crate) fn check_oci_layout(bytes: &[u8], path: &Path) -> Result<()> {
    layout::check_oci_layout(bytes).map_err(|e| StoreIoError::corrupt(path, detail(&e)))
}

/// The core's message without the file name prefix (the host's error names the full path).
fn detail(e: &hoist_core::store::StoreError) -> String {
    match e {
        hoist_core::store::StoreError::InvalidLayout { detail, .. } => detail.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_path() {
        let p = Path::new("/s/hoist.json");
        let err = meta_from_json(b"{}", p).expect_err("bad");
        assert_eq!(err.code(), "store-corrupt");
        assert!(err.to_string().contains("/s/hoist.json"), "{err}");
    }
}
