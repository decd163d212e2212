//! The operations that change the index: add, record a pull, tag, untag, remove.
//!
//! Every operation validates all of its input before it changes anything, so an error
//! leaves the index exactly as it was; on success it returns the [`Change`]s in order.

use super::names::{self, Name};
use super::resolve::Via;
use super::{Change, ImageIndex, ImageRecord, PullRecord, StoreError};
use crate::digest::{excerpt, Digest};
use crate::id::repo_digest;
use crate::reference::ReferenceError;

/// Normalizes a tag target: `redis` → `docker.io/library/redis:latest`. A reference with a
/// digest (or a bare `sha256:…`) is `tag-with-digest`.
pub(super) fn canonical_tag(name: &str) -> Result<String, StoreError> {
    if name.starts_with("sha256:") {
        return Err(StoreError::TagWithDigest {
            name: excerpt(name),
        });
    }
    let n = parse(name)?;
    if n.digest.is_some() {
        return Err(StoreError::TagWithDigest {
            name: excerpt(name),
        });
    }
    Ok(n.tagged())
}

/// Normalizes a repo digest: `redis@sha256:…` → `docker.io/library/redis@sha256:…`; a tag
/// next to the digest is dropped (docker and podman ignore it).
pub(crate) fn canonical_repo_digest(s: &str) -> Result<String, StoreError> {
    let n = parse(s)?;
    match (&n.digest, &n.tag) {
        (Some(d), None) => Ok(repo_digest(&n.repo, d)),
        _ => Err(StoreError::InvalidReference {
            input: excerpt(s),
            reason: ReferenceError::InvalidFormat { input: excerpt(s) },
        }),
    }
}

fn parse(s: &str) -> Result<Name, StoreError> {
    names::parse(s).map_err(|reason| StoreError::InvalidReference {
        input: excerpt(s),
        reason,
    })
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

impl ImageIndex {
    /// Adds a record, or merges it into the record with the same ID.
    ///
    /// Names and repo digests are normalized; each one moves here from whichever image
    /// held it (that image becomes dangling if it loses its last name). When the ID exists,
    /// names and digests are merged and metadata the new record carries (`created`,
    /// `labels` when non-empty, `size` when non-zero, `manifest_digest`, `config_digest`,
    /// `os`, `architecture`) replaces the old; `pulled_at` keeps the later value and
    /// `pinned` stays set once set.
    pub fn add(&mut self, record: ImageRecord) -> Result<Vec<Change>, StoreError> {
        let mut names = Vec::new();
        for n in &record.names {
            push_unique(&mut names, canonical_tag(n)?);
        }
        let mut digests = Vec::new();
        for d in &record.digests {
            push_unique(&mut digests, canonical_repo_digest(d)?);
        }
        let key = record.id.as_str().to_owned();
        let id = record.id.clone();
        let mut changes = Vec::new();
        match self.records.get_mut(&key) {
            Some(old) => {
                if merge_metadata(old, record) {
                    changes.push(Change::ImageUpdated { id: id.clone() });
                }
            }
            None => {
                let mut fresh = record;
                fresh.names.clear();
                fresh.digests.clear();
                self.records.insert(key.clone(), fresh);
                changes.push(Change::ImageAdded { id: id.clone() });
            }
        }
        for name in names {
            self.attach_name(&key, name, &mut changes);
        }
        for digest in digests {
            self.attach_digest(&key, digest, &mut changes);
        }
        Ok(changes)
    }

    /// Records a finished pull: the image gets the pulled name (tag references, `latest` by
    /// default) and a repo digest (`repo@digest` of what the reference resolved to), with
    /// `pulled_at = now_unix`. See [`PullRecord`] and [`ImageIndex::add`].
    pub fn record_pull(
        &mut self,
        pull: PullRecord,
        now_unix: i64,
    ) -> Result<Vec<Change>, StoreError> {
        let n = parse(&pull.reference)?;
        let mut record = ImageRecord::new(pull.id, pull.manifest_digest);
        match &n.digest {
            Some(d) => record.digests.push(repo_digest(&n.repo, d)),
            None => {
                let resolved = pull
                    .resolved_digest
                    .as_ref()
                    .unwrap_or(&record.manifest_digest);
                record.digests.push(repo_digest(&n.repo, resolved));
                record.names.push(n.tagged());
            }
        }
        record.created = pull.created;
        record.pulled_at = Some(now_unix);
        record.labels = pull.labels;
        record.size = pull.size;
        record.config_digest = pull.config_digest;
        record.os = pull.os;
        record.architecture = pull.architecture;
        self.add(record)
    }

    /// Gives the image `image` (an ID, ID prefix or name) the name `new_name`, normalized
    /// (`redis` → `docker.io/library/redis:latest`). Idempotent; the name moves from any
    /// other image. A name with a digest is `tag-with-digest`.
    pub fn tag(&mut self, image: &str, new_name: &str) -> Result<Vec<Change>, StoreError> {
        let name = canonical_tag(new_name)?;
        let key = self.lookup(image)?.0;
        let mut changes = Vec::new();
        self.attach_name(&key, name, &mut changes);
        Ok(changes)
    }

    /// Removes `name` from the image, or every name when `name` is `None` (podman
    /// `untag`). The record stays (dangling when no names are left); repo digests stay
    /// unless `name` is itself a repo digest of the image. A name the image does not have is
    /// `tag-not-known`.
    pub fn untag(&mut self, image: &str, name: Option<&str>) -> Result<Vec<Change>, StoreError> {
        let key = self.lookup(image)?.0;
        let mut changes = Vec::new();
        let Some(name) = name else {
            let all = self
                .records
                .get(&key)
                .map(|r| r.names.clone())
                .unwrap_or_default();
            for n in all {
                self.detach_name(&key, &n, &mut changes);
            }
            return Ok(changes);
        };
        let n = parse(name)?;
        let (full, is_digest) = match &n.digest {
            Some(d) => (repo_digest(&n.repo, d), true),
            None => (n.tagged(), false),
        };
        let owned = if is_digest {
            self.digests.get(&full)
        } else {
            self.names.get(&full)
        };
        if owned != Some(&key) {
            return Err(StoreError::TagNotKnown {
                id: self.id_of(&key),
                name: excerpt(&full),
            });
        }
        if is_digest {
            self.detach_digest(&key, &full, &mut changes);
        } else {
            self.detach_name(&key, &full, &mut changes);
        }
        Ok(changes)
    }

    /// Removes an image the way `podman rmi` / `docker rmi` do (see the module docs):
    /// by one of several names only untags it; by ID or digest with several names needs
    /// `force`; otherwise the record and all its names and digests go.
    pub fn remove(&mut self, image: &str, force: bool) -> Result<Vec<Change>, StoreError> {
        let (key, via) = self.lookup(image)?;
        let count = self.records.get(&key).map_or(0, |r| r.names.len());
        let mut changes = Vec::new();
        match via {
            Via::Name(name) if count > 1 => {
                self.detach_name(&key, &name, &mut changes);
                return Ok(changes);
            }
            Via::Name(_) => {}
            Via::Id | Via::Digest(_) => {
                if count > 1 && !force {
                    return Err(StoreError::HasMultipleNames {
                        id: self.id_of(&key),
                        names: count,
                    });
                }
            }
        }
        self.drop_record(&key, &mut changes);
        Ok(changes)
    }

    /// CRI `RemoveImage`: removes the image and all its names and digests. An image that
    /// is not there is success with no changes (the CRI call is idempotent); an ambiguous
    /// input is still an error.
    pub fn remove_all(&mut self, image: &str) -> Result<Vec<Change>, StoreError> {
        let key = match self.lookup(image) {
            Ok((key, _)) => key,
            Err(StoreError::ImageNotKnown { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut changes = Vec::new();
        self.drop_record(&key, &mut changes);
        Ok(changes)
    }

    fn id_of(&self, key: &str) -> Digest {
        match self.records.get(key) {
            Some(r) => r.id.clone(),
            // Keys always come from records; this arm is unreachable in practice.
            None => Digest::sha256_of(key.as_bytes()),
        }
    }

    fn attach_name(&mut self, key: &str, name: String, changes: &mut Vec<Change>) {
        match self.names.get(&name) {
            Some(owner) if owner == key => return,
            Some(owner) => {
                let owner = owner.clone();
                self.detach_name(&owner, &name, changes);
            }
            None => {}
        }
        if let Some(r) = self.records.get_mut(key) {
            r.names.push(name.clone());
            changes.push(Change::NameAdded {
                id: r.id.clone(),
                name: name.clone(),
            });
            self.longest = self.longest.max(name.len());
            self.names.insert(name, key.to_owned());
        }
    }

    fn detach_name(&mut self, key: &str, name: &str, changes: &mut Vec<Change>) {
        if let Some(r) = self.records.get_mut(key) {
            r.names.retain(|n| n != name);
            changes.push(Change::NameRemoved {
                id: r.id.clone(),
                name: name.to_owned(),
            });
        }
        self.names.remove(name);
    }

    fn attach_digest(&mut self, key: &str, digest: String, changes: &mut Vec<Change>) {
        match self.digests.get(&digest) {
            Some(owner) if owner == key => return,
            Some(owner) => {
                let owner = owner.clone();
                self.detach_digest(&owner, &digest, changes);
            }
            None => {}
        }
        if let Some(r) = self.records.get_mut(key) {
            r.digests.push(digest.clone());
            changes.push(Change::DigestAdded {
                id: r.id.clone(),
                digest: digest.clone(),
            });
            self.longest = self.longest.max(digest.len());
            self.digests.insert(digest, key.to_owned());
        }
    }

    fn detach_digest(&mut self, key: &str, digest: &str, changes: &mut Vec<Change>) {
        if let Some(r) = self.records.get_mut(key) {
            r.digests.retain(|d| d != digest);
            changes.push(Change::DigestRemoved {
                id: r.id.clone(),
                digest: digest.to_owned(),
            });
        }
        self.digests.remove(digest);
    }

    fn drop_record(&mut self, key: &str, changes: &mut Vec<Change>) {
        let Some(r) = self.records.remove(key) else {
            return;
        };
        for name in &r.names {
            self.names.remove(name);
            changes.push(Change::NameRemoved {
                id: r.id.clone(),
                name: name.clone(),
            });
        }
        for digest in &r.digests {
            self.digests.remove(digest);
            changes.push(Change::DigestRemoved {
                id: r.id.clone(),
                digest: digest.clone(),
            });
        }
        changes.push(Change::ImageRemoved { id: r.id });
    }
}

/// Merges a new record's metadata into an existing one; true if anything changed.
fn merge_metadata(old: &mut ImageRecord, new: ImageRecord) -> bool {
    let before = old.clone();
    if new.created.is_some() {
        old.created = new.created;
    }
    old.pulled_at = old.pulled_at.max(new.pulled_at);
    if !new.labels.is_empty() {
        old.labels = new.labels;
    }
    if new.size != 0 {
        old.size = new.size;
    }
    old.manifest_digest = new.manifest_digest;
    if new.config_digest.is_some() {
        old.config_digest = new.config_digest;
    }
    if new.os.is_some() {
        old.os = new.os;
    }
    if new.architecture.is_some() {
        old.architecture = new.architecture;
    }
    old.pinned |= new.pinned;
    *old != before
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn d(c: char) -> Digest {
        Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).expect("digest")
    }

    fn rec(id: char, names: &[&str]) -> ImageRecord {
        let mut r = ImageRecord::new(d(id), d('f'));
        r.names = names.iter().map(|s| (*s).to_owned()).collect();
        r
    }

    fn names_of(index: &ImageIndex, id: char) -> Vec<String> {
        index
            .get(&d(id))
            .map(|r| r.names.clone())
            .unwrap_or_default()
    }

    #[test]
    fn add_moves_tags_and_merges() {
        let mut index = ImageIndex::new();
        index.add(rec('a', &["redis", "redis:7"])).expect("add a");
        assert_eq!(
            names_of(&index, 'a'),
            [
                "docker.io/library/redis:latest",
                "docker.io/library/redis:7"
            ]
        );
        let changes = index.add(rec('b', &["redis"])).expect("add b");
        assert_eq!(
            changes,
            [
                Change::ImageAdded { id: d('b') },
                Change::NameRemoved {
                    id: d('a'),
                    name: "docker.io/library/redis:latest".into()
                },
                Change::NameAdded {
                    id: d('b'),
                    name: "docker.io/library/redis:latest".into()
                },
            ]
        );
        // Same ID again: names merge, nothing moves, no metadata change.
        let changes = index.add(rec('b', &["redis", "x"])).expect("merge");
        assert_eq!(
            changes,
            [Change::NameAdded {
                id: d('b'),
                name: "docker.io/library/x:latest".into()
            }]
        );
        let mut bad = rec('c', &[]);
        bad.names = vec![format!("redis@{}", d('e'))];
        assert_eq!(index.add(bad).map_err(|e| e.code()), Err("tag-with-digest"));
        assert_eq!(index.len(), 2, "a failed add changes nothing");
    }

    #[test]
    fn record_pull_names_and_digests() {
        let mut index = ImageIndex::new();
        let pull = PullRecord {
            reference: "redis:7".into(),
            id: d('a'),
            manifest_digest: d('b'),
            resolved_digest: Some(d('c')),
            config_digest: None,
            created: Some(10),
            labels: Default::default(),
            size: 5,
            os: None,
            architecture: None,
        };
        index.record_pull(pull.clone(), 99).expect("pull");
        let r = index.get(&d('a')).expect("record");
        assert_eq!(r.names, ["docker.io/library/redis:7"]);
        assert_eq!(r.digests, [format!("docker.io/library/redis@{}", d('c'))]);
        assert_eq!(r.pulled_at, Some(99));
        let by_digest = PullRecord {
            reference: format!("quay.io/x/y:ignored@{}", d('e')),
            ..pull
        };
        index.record_pull(by_digest, 100).expect("pull");
        let r = index.get(&d('a')).expect("record");
        assert_eq!(r.names, ["docker.io/library/redis:7"]);
        assert_eq!(r.digests.len(), 2);
        assert_eq!(r.digests[1], format!("quay.io/x/y@{}", d('e')));
        assert_eq!(r.pulled_at, Some(100));
    }

    #[test]
    fn tag_untag_remove() {
        let mut index = ImageIndex::new();
        index.add(rec('a', &["redis"])).expect("add");
        assert_eq!(index.tag("redis", "foo:1").expect("tag").len(), 1);
        assert!(index.tag("redis", "foo:1").expect("again").is_empty());
        assert_eq!(
            index.tag("redis", "foo@sha256:x").map_err(|e| e.code()),
            Err("invalid-reference-format")
        );
        assert_eq!(
            index
                .tag("redis", &format!("foo@{}", d('b')))
                .map_err(|e| e.code()),
            Err("tag-with-digest")
        );
        assert_eq!(
            index.remove(d('a').as_str(), false).map_err(|e| e.code()),
            Err("image-has-multiple-names")
        );
        // By name with other names left: untag only.
        let changes = index.remove("foo:1", false).expect("rmi name");
        assert_eq!(changes.len(), 1);
        assert_eq!(names_of(&index, 'a'), ["docker.io/library/redis:latest"]);
        assert_eq!(
            index.untag("redis", Some("nope")).map_err(|e| e.code()),
            Err("tag-not-known")
        );
        index.untag("redis", None).expect("untag all");
        assert!(index.get(&d('a')).expect("kept").is_dangling());
        let changes = index.remove("aaaa", false).expect("rmi id");
        assert_eq!(changes, [Change::ImageRemoved { id: d('a') }]);
        assert!(index.is_empty());
        assert_eq!(index.remove_all("aaaa").expect("idempotent"), []);
    }
}
