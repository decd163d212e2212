//! Updates of [`StoreMeta`] that every host makes the same way: recording a committed
//! pull, and applying an index operation (tag, untag, rmi). Both are all-or-nothing: on
//! error the meta is unchanged, so a host never writes a half-updated `hoist.json`.

use super::layout::{ManifestDescriptor, StoreMeta};
use super::{Change, ImageIndex, ImageRecord, PullRecord, StoreError};

fn inconsistent(detail: String) -> StoreError {
    StoreError::InvalidLayout {
        file: "hoist.json",
        detail,
    }
}

impl StoreMeta {
    /// Records a committed pull: [`ImageIndex::record_pull`] decides names, repo digests
    /// and which tags move, and `manifest` (the image's platform manifest descriptor; its
    /// digest MUST be `pull.manifest_digest`) becomes the image's `index.json` entry.
    /// Descriptors of images the pull left without a record are dropped. Returns the
    /// record as stored. On error `self` is unchanged.
    pub fn record_pull(
        &mut self,
        pull: PullRecord,
        manifest: ManifestDescriptor,
        now_unix: i64,
    ) -> Result<ImageRecord, StoreError> {
        manifest
            .validate()
            .map_err(|e| inconsistent(format!("manifest descriptor: {e}")))?;
        if manifest.digest != pull.manifest_digest {
            return Err(inconsistent(format!(
                "manifest descriptor {} is not the pull's manifest {}",
                manifest.digest, pull.manifest_digest
            )));
        }
        let mut next = self.clone();
        let id = pull.id.clone();
        next.index.record_pull(pull, now_unix)?;
        next.manifests.insert(id.clone(), manifest);
        next.prune_descriptors();
        next.check_consistent().map_err(inconsistent)?;
        let record = next
            .index
            .get(&id)
            .cloned()
            .ok_or_else(|| inconsistent(format!("the index did not record image {id}")))?;
        *self = next;
        Ok(record)
    }

    /// Applies one index operation (`ImageIndex::tag`, `untag`, `remove`, …) and drops
    /// the descriptors of removed images. On error `self` is unchanged. An empty change
    /// list means nothing needs writing.
    pub fn apply<F>(&mut self, op: F) -> Result<Vec<Change>, StoreError>
    where
        F: FnOnce(&mut ImageIndex) -> Result<Vec<Change>, StoreError>,
    {
        let mut next = self.clone();
        let changes = op(&mut next.index)?;
        next.prune_descriptors();
        next.check_consistent().map_err(inconsistent)?;
        *self = next;
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::ErrorCode;

    fn pull(reference: &str, config: &[u8], manifest: &[u8]) -> (PullRecord, ManifestDescriptor) {
        let id = Digest::sha256_of(config);
        let m = Digest::sha256_of(manifest);
        let record = PullRecord {
            reference: reference.into(),
            id: id.clone(),
            manifest_digest: m.clone(),
            resolved_digest: None,
            config_digest: Some(id),
            created: Some(1),
            labels: Default::default(),
            size: 10,
            os: Some("linux".into()),
            architecture: Some("amd64".into()),
        };
        let desc = ManifestDescriptor::new("application/vnd.oci.image.manifest.v1+json", m, 5);
        (record, desc)
    }

    #[test]
    fn record_pull_then_move_tag_drops_nothing_named() {
        let mut meta = StoreMeta::default();
        let (p, d) = pull("redis:7", b"c1", b"m1");
        let r = meta.record_pull(p, d, 100).expect("record");
        assert_eq!(r.names, vec!["docker.io/library/redis:7".to_owned()]);
        assert_eq!(r.pulled_at, Some(100));
        let (p2, d2) = pull("redis:7", b"c2", b"m2");
        meta.record_pull(p2, d2, 200).expect("record");
        // The old image keeps its repo digest, hence its record and descriptor.
        assert_eq!(meta.index.len(), 2);
        assert_eq!(meta.manifests.len(), 2);
        meta.check_consistent().expect("consistent");
    }

    #[test]
    fn record_pull_rejects_foreign_descriptor_unchanged() {
        let mut meta = StoreMeta::default();
        let (p, _) = pull("redis:7", b"c1", b"m1");
        let other = ManifestDescriptor::new("a/b", Digest::sha256_of(b"x"), 1);
        let before = meta.clone();
        let e = meta.record_pull(p, other, 1).expect_err("mismatch");
        assert_eq!(e.code(), "invalid-store-layout");
        assert_eq!(meta, before);
    }

    #[test]
    fn apply_removes_descriptor_and_is_atomic() {
        let mut meta = StoreMeta::default();
        let (p, d) = pull("redis:7", b"c1", b"m1");
        let id = p.id.clone();
        meta.record_pull(p, d, 1).expect("record");
        let before = meta.clone();
        let e = meta.apply(|i| i.tag("nope", "x:1")).expect_err("unknown");
        assert_eq!(e.code(), "image-not-known");
        assert_eq!(meta, before);
        meta.apply(|i| i.remove_all(id.as_str())).expect("rmi");
        assert!(meta.index.is_empty());
        assert!(meta.manifests.is_empty());
    }
}
