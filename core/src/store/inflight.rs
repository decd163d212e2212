//! CRI `RemoveImage` while pulls are in flight.
//!
//! kubelet may remove an image (image garbage collection) while another pod's pull of it
//! is still running; removing it then would either be undone by the pull's commit a moment
//! later or leave the pull's caller with an `image_ref` that no longer exists. The removal
//! is refused instead (`image-pull-in-progress`), and kubelet retries at its next GC pass.
//!
//! A pull *names* an image when the name it will record (its canonical reference, `:latest`
//! added) is one the image has now, or one the removal input resolves to as a name: so
//! removal by ID, by tag, by repo digest and by short name of an image being pulled are all
//! refused, also when the image is not in the store yet.

use super::resolve::candidates;
use super::{names, Change, ImageIndex, StoreError};
use crate::digest::excerpt;
use crate::id::repo_digest;
use crate::reference::Reference;

impl ImageIndex {
    /// The canonical reference of the first pull in `pulling` that names the image `image`
    /// resolves to, or would name it (see the module docs); `None` when removal is safe.
    pub fn pull_in_progress_for(&self, image: &str, pulling: &[Reference]) -> Option<String> {
        if pulling.is_empty() {
            return None;
        }
        let busy: Vec<String> = pulling.iter().map(Reference::canonical).collect();
        if let Ok(record) = self.resolve(image) {
            let held = busy
                .iter()
                .find(|b| record.names.contains(b) || record.digests.contains(b));
            if let Some(b) = held {
                return Some(b.clone());
            }
        }
        let n = names::parse(image).ok()?;
        candidates(&n, &self.search_registries)
            .into_iter()
            .map(|repo| match &n.digest {
                Some(d) => repo_digest(&repo, d),
                None => format!("{repo}:{}", n.tag.as_deref().unwrap_or("latest")),
            })
            .find(|want| busy.contains(want))
    }

    /// [`ImageIndex::remove_all`], refused with `image-pull-in-progress` while a pull in
    /// `pulling` names the image (see the module docs).
    pub fn remove_all_unless_pulling(
        &mut self,
        image: &str,
        pulling: &[Reference],
    ) -> Result<Vec<Change>, StoreError> {
        if let Some(reference) = self.pull_in_progress_for(image, pulling) {
            return Err(StoreError::PullInProgress {
                reference: excerpt(&reference),
            });
        }
        self.remove_all(image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::reference::parse_normalized;
    use crate::store::ImageRecord;
    use crate::ErrorCode;

    fn d(c: char) -> Digest {
        Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).expect("digest")
    }

    fn index() -> ImageIndex {
        let mut index = ImageIndex::new();
        let mut r = ImageRecord::new(d('a'), d('f'));
        r.names = vec!["docker.io/library/redis:7".into()];
        r.digests = vec![format!("docker.io/library/redis@{}", d('e'))];
        index.add(r).expect("add");
        index
    }

    #[test]
    fn refused_while_a_pull_names_the_image() {
        let pulling = [parse_normalized("redis:7").expect("ref")];
        let id = d('a').to_string();
        let by_digest = format!("redis@{}", d('e'));
        for input in [
            "redis:7",
            "docker.io/library/redis:7",
            id.as_str(),
            "aaaa",
            &by_digest,
        ] {
            let mut i = index();
            let err = i.remove_all_unless_pulling(input, &pulling);
            assert_eq!(
                err.map_err(|e| e.code()),
                Err("image-pull-in-progress"),
                "{input}"
            );
            assert_eq!(i, index(), "nothing changes");
        }
    }

    #[test]
    fn refused_before_the_first_pull_commits() {
        let mut empty = ImageIndex::new();
        let pulling = [parse_normalized("quay.io/app/x").expect("ref")];
        let got = empty.pull_in_progress_for("quay.io/app/x:latest", &pulling);
        assert_eq!(got.as_deref(), Some("quay.io/app/x:latest"));
        let dig = parse_normalized(&format!("busybox@{}", d('c'))).expect("ref");
        let got = empty.pull_in_progress_for(&format!("busybox@{}", d('c')), &[dig]);
        assert_eq!(got, Some(format!("docker.io/library/busybox@{}", d('c'))));
        assert_eq!(
            empty
                .remove_all_unless_pulling("quay.io/app/x", &pulling)
                .map_err(|e| e.code()),
            Err("image-pull-in-progress")
        );
    }

    #[test]
    fn other_pulls_do_not_block() {
        let mut i = index();
        let pulling = [
            parse_normalized("redis:8").expect("ref"),
            parse_normalized("quay.io/library/redis:7").expect("ref"),
        ];
        assert_eq!(i.pull_in_progress_for("redis:7", &pulling), None);
        let changes = i
            .remove_all_unless_pulling("redis:7", &pulling)
            .expect("removed");
        assert!(changes.contains(&Change::ImageRemoved { id: d('a') }));
        // Idempotent: gone is success.
        assert_eq!(
            i.remove_all_unless_pulling("redis:7", &pulling),
            Ok(Vec::new())
        );
        assert_eq!(i.remove_all_unless_pulling("redis:7", &[]), Ok(Vec::new()));
    }
}
