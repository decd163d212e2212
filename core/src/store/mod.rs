//! The image index: which images exist, what they are called, and the rules every host
//! follows when names move (pull, tag, untag, remove) and when a user's string is turned
//! into an image (resolve).
//!
//! [`ImageIndex`] is pure data: no I/O, no clock. Hosts persist it with
//! [`ImageIndex::to_json`] / [`ImageIndex::from_json`] (a small versioned document next to
//! the OCI layout's `index.json`) and apply the [`Change`]s every operation returns to
//! their `index.json` (one entry per name, `org.opencontainers.image.ref.name`).
//!
//! The rules, and where they come from:
//!
//! - **Names are unique.** A tag or repo digest belongs to at most one image. Pulling or
//!   tagging a name that another image holds moves it (docker's reference store,
//!   `reference/store.go` `AddTag` with force); the old image becomes *dangling* when it
//!   has no names left (docker `<none>:<none>`, libimage `IsDangling`).
//! - **Names are normalized** with docker's rules (`ParseNormalizedNamed` + default tag
//!   `latest`): `redis` is stored as `docker.io/library/redis:latest`. (podman's
//!   `libimage.NormalizeName` uses `localhost/` for unqualified tags; hoist follows docker
//!   for every name so that one string always means one image.)
//! - **Tag** (`ImageIndex::tag`) is idempotent; a reference with a digest, or a string
//!   starting with `sha256:`, is not a tag (libimage `Image.Tag`, `errTagDigest`).
//! - **Untag** (`ImageIndex::untag`) removes one name, or every name when none is given
//!   (podman `image untag`); the image stays, dangling if it has no names left.
//! - **Remove** (`ImageIndex::remove`) follows libimage `Image.removeRecursive` and moby
//!   `ImageDelete`: named by a name that is one of several, only that name goes
//!   (`rmi NAME` untags, even with force: containers/podman#10685); named by ID or
//!   digest while it has more than one name, it is refused unless forced
//!   (`image-has-multiple-names`); otherwise the image and all its names go.
//! - **Remove all** (`ImageIndex::remove_all`) is CRI `RemoveImage`: every name and the
//!   record, and an image that is not there is success with nothing removed.
//! - **Remove during a pull** (`ImageIndex::remove_all_unless_pulling`): CRI `RemoveImage`
//!   refuses while a pull in flight would name the image (see `inflight.rs`).
//! - **Resolve** (`ImageIndex::resolve`): see `resolve.rs`.
//!
//! Parent/child images, containers and read-only images are outside this model: hosts that
//! have them check those conflicts before calling `remove`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::digest::{excerpt, Digest};
use crate::filter::Filters;
use crate::id::short_id;
use crate::reference::ReferenceError;
use crate::ErrorCode;

mod inflight;
pub mod inspect;
pub mod layout;
mod meta_ops;
mod names;
mod record;
mod resolve;
mod rules;

pub use record::{ImageRecord, PullRecord};
pub(crate) use rules::canonical_repo_digest;

/// The version written by [`ImageIndex::to_json`] and the only one [`ImageIndex::from_json`]
/// accepts.
pub const INDEX_VERSION: u64 = 1;

/// Why an index operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// No image matches the input (podman `ErrImageUnknown`, docker "No such image").
    ImageNotKnown {
        /// The input, cut to 80 characters.
        input: String,
    },
    /// An ID prefix matches more than one image.
    AmbiguousIdPrefix {
        /// The prefix, cut to 80 characters.
        prefix: String,
        /// How many images it matches.
        count: usize,
    },
    /// A short name matches names of more than one image and no search registry decided.
    AmbiguousShortName {
        /// The short name, cut to 80 characters.
        name: String,
        /// Some of the matching names (at most 8).
        candidates: Vec<String>,
    },
    /// The string is not a valid image reference; the code is the reference module's
    /// (`invalid-reference-format`, `name-contains-uppercase`, …).
    InvalidReference {
        /// The input, cut to 80 characters.
        input: String,
        /// Why, as [`crate::reference`] reports it.
        reason: ReferenceError,
    },
    /// A tag target carries a digest (or looks like one): names only take tags.
    TagWithDigest {
        /// The rejected name, cut to 80 characters.
        name: String,
    },
    /// Removal by ID or digest of an image with several names needs `force`.
    HasMultipleNames {
        /// The image.
        id: Digest,
        /// How many names it has.
        names: usize,
    },
    /// The image does not have the name to untag.
    TagNotKnown {
        /// The image.
        id: Digest,
        /// The normalized name, cut to 80 characters.
        name: String,
    },
    /// The persisted index is not valid JSON of the expected shape.
    InvalidIndex {
        /// What is wrong (a parser message; never contains secrets).
        detail: String,
    },
    /// The persisted index has a `version` this build does not read.
    UnsupportedIndexVersion {
        /// The version found.
        version: u64,
    },
    /// Two records share an ID.
    DuplicateImageId {
        /// The ID.
        id: Digest,
    },
    /// CRI `RemoveImage` while a pull that names the image is in flight
    /// ([`ImageIndex::remove_all_unless_pulling`]).
    PullInProgress {
        /// The reference being pulled, cut to 80 characters.
        reference: String,
    },
    /// A name or repo digest appears twice in a persisted index.
    DuplicateName {
        /// The name, cut to 80 characters.
        name: String,
    },
    /// A name in a persisted index is not canonical (`docker.io/library/redis:latest`).
    NonCanonicalName {
        /// The name, cut to 80 characters.
        name: String,
    },
    /// A store file (`hoist.json`, `index.json`, `oci-layout`) is not what
    /// [`layout`] writes.
    InvalidLayout {
        /// The file, relative to the store root.
        file: &'static str,
        /// What is wrong (a parser message; never contains secrets).
        detail: String,
    },
}

impl ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::ImageNotKnown { .. } => "image-not-known",
            StoreError::AmbiguousIdPrefix { .. } => "ambiguous-id-prefix",
            StoreError::AmbiguousShortName { .. } => "ambiguous-short-name",
            StoreError::InvalidReference { reason, .. } => reason.code(),
            StoreError::TagWithDigest { .. } => "tag-with-digest",
            StoreError::HasMultipleNames { .. } => "image-has-multiple-names",
            StoreError::TagNotKnown { .. } => "tag-not-known",
            StoreError::InvalidIndex { .. } => "invalid-index-json",
            StoreError::UnsupportedIndexVersion { .. } => "unsupported-index-version",
            StoreError::DuplicateImageId { .. } => "duplicate-image-id",
            StoreError::DuplicateName { .. } => "duplicate-image-name",
            StoreError::PullInProgress { .. } => "image-pull-in-progress",
            StoreError::NonCanonicalName { .. } => "non-canonical-image-name",
            StoreError::InvalidLayout { .. } => "invalid-store-layout",
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::ImageNotKnown { input } => write!(f, "image not known: {input:?}"),
            StoreError::AmbiguousIdPrefix { prefix, count } => {
                write!(f, "id prefix {prefix:?} matches {count} images")
            }
            StoreError::AmbiguousShortName { name, candidates } => write!(
                f,
                "short name {name:?} matches several images: {}",
                candidates.join(", ")
            ),
            StoreError::InvalidReference { input, reason } => {
                write!(f, "invalid image reference {input:?}: {reason}")
            }
            StoreError::TagWithDigest { name } => {
                write!(f, "cannot tag with a digest: {name:?}")
            }
            StoreError::HasMultipleNames { id, names } => write!(
                f,
                "image {} has {names} names: remove them one by one or force removal",
                short_id(id)
            ),
            StoreError::TagNotKnown { id, name } => {
                write!(f, "image {} has no name {name:?}", short_id(id))
            }
            StoreError::InvalidIndex { detail } => write!(f, "invalid image index: {detail}"),
            StoreError::UnsupportedIndexVersion { version } => {
                write!(f, "unsupported image index version {version}")
            }
            StoreError::DuplicateImageId { id } => write!(f, "image {id} appears twice"),
            StoreError::DuplicateName { name } => write!(f, "name {name:?} appears twice"),
            StoreError::PullInProgress { reference } => {
                write!(
                    f,
                    "a pull of {reference} is in progress: remove it when it is done"
                )
            }
            StoreError::NonCanonicalName { name } => {
                write!(f, "name {name:?} is not in canonical form")
            }
            StoreError::InvalidLayout { file, detail } => write!(f, "{file}: {detail}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// One thing an operation changed, in the order it happened.
///
/// A host applies these to its OCI `index.json`: a `name-added` adds an entry whose
/// `org.opencontainers.image.ref.name` is the name, a `name-removed` drops it, and an
/// `image-removed` makes the image's blobs unreferenced (for `gc`). JSON form:
/// `{"kind": "name-added", "id": "sha256:…", "name": "docker.io/library/redis:latest"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Change {
    /// A new record.
    ImageAdded {
        /// The image.
        id: Digest,
    },
    /// An existing record's metadata changed (a re-pull with new metadata).
    ImageUpdated {
        /// The image.
        id: Digest,
    },
    /// A tag now points at the image.
    NameAdded {
        /// The image.
        id: Digest,
        /// The canonical name.
        name: String,
    },
    /// A tag no longer points at the image.
    NameRemoved {
        /// The image.
        id: Digest,
        /// The canonical name.
        name: String,
    },
    /// A repo digest now points at the image.
    DigestAdded {
        /// The image.
        id: Digest,
        /// The canonical repo digest.
        digest: String,
    },
    /// A repo digest no longer points at the image.
    DigestRemoved {
        /// The image.
        id: Digest,
        /// The canonical repo digest.
        digest: String,
    },
    /// The record is gone.
    ImageRemoved {
        /// The image.
        id: Digest,
    },
}

/// The image index (see the module docs for its rules).
///
/// Records are kept by ID; names and repo digests have their own ordered maps so that
/// lookups by name are logarithmic and iteration order is deterministic.
#[derive(Clone, Debug, Default)]
pub struct ImageIndex {
    /// Records by ID string (`sha256:…`).
    records: BTreeMap<String, ImageRecord>,
    /// Tag name → ID string.
    names: BTreeMap<String, String>,
    /// Repo digest → ID string.
    digests: BTreeMap<String, String>,
    /// Unqualified-search registries, in order (registries.conf
    /// `unqualified-search-registries`); host configuration, not persisted.
    search_registries: Vec<String>,
    /// An upper bound on the length of every name and repo digest ever held, so that
    /// `resolve` can turn away a string far longer than any of them without parsing it.
    longest: usize,
}

impl PartialEq for ImageIndex {
    /// Same records, names, digests and search registries (`longest` is a cache).
    fn eq(&self, other: &Self) -> bool {
        self.records == other.records
            && self.names == other.names
            && self.digests == other.digests
            && self.search_registries == other.search_registries
    }
}

impl Eq for ImageIndex {}

#[derive(Serialize)]
struct IndexOut<'a> {
    version: u64,
    images: Vec<&'a ImageRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexIn {
    version: u64,
    images: Vec<ImageRecord>,
}

impl ImageIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the unqualified-search registries used to resolve short names, in order
    /// (registries.conf v2 `unqualified-search-registries`). Not persisted: it is host
    /// configuration.
    pub fn set_search_registries<S: AsRef<str>>(&mut self, registries: &[S]) {
        self.search_registries = registries.iter().map(|r| r.as_ref().to_owned()).collect();
    }

    /// The unqualified-search registries in use.
    pub fn search_registries(&self) -> &[String] {
        &self.search_registries
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The record with exactly this ID.
    pub fn get(&self, id: &Digest) -> Option<&ImageRecord> {
        self.records.get(id.as_str())
    }

    /// Every record, ordered by ID.
    pub fn records(&self) -> impl Iterator<Item = &ImageRecord> {
        self.records.values()
    }

    /// The records that pass `filters`, newest first (`created` descending, records
    /// without `created` last, then by ID), as `docker images` / `podman images` list them.
    pub fn list(&self, filters: &Filters) -> Vec<&ImageRecord> {
        let mut out: Vec<&ImageRecord> = self
            .records
            .values()
            .filter(|r| filters.matches(r))
            .collect();
        out.sort_by(|a, b| {
            b.created
                .cmp(&a.created)
                .then_with(|| a.id.as_str().cmp(b.id.as_str()))
        });
        out
    }

    /// The persisted form: `{"version": 1, "images": [record, …]}`, records ordered by ID
    /// (field names in [`ImageRecord`]).
    pub fn to_json(&self) -> Vec<u8> {
        let doc = IndexOut {
            version: INDEX_VERSION,
            images: self.records.values().collect(),
        };
        // Serializing plain structs with string-keyed maps cannot fail.
        serde_json::to_vec(&doc).unwrap_or_default()
    }

    /// Reads a persisted index strictly: strict JSON (`crate::json::check`), unknown
    /// fields rejected, `version` must be 1, IDs unique, every name and repo digest
    /// canonical and held by one image only.
    pub fn from_json(bytes: &[u8]) -> Result<Self, StoreError> {
        crate::json::check(bytes).map_err(|e| StoreError::InvalidIndex {
            detail: e.to_string(),
        })?;
        let doc: IndexIn = serde_json::from_slice(bytes).map_err(|e| StoreError::InvalidIndex {
            detail: e.to_string(),
        })?;
        if doc.version != INDEX_VERSION {
            return Err(StoreError::UnsupportedIndexVersion {
                version: doc.version,
            });
        }
        let mut index = ImageIndex::new();
        for record in doc.images {
            index.insert_persisted(record)?;
        }
        Ok(index)
    }

    fn insert_persisted(&mut self, record: ImageRecord) -> Result<(), StoreError> {
        let key = record.id.as_str().to_owned();
        if self.records.contains_key(&key) {
            return Err(StoreError::DuplicateImageId { id: record.id });
        }
        for name in &record.names {
            if rules::canonical_tag(name).as_deref() != Ok(name.as_str()) {
                return Err(StoreError::NonCanonicalName {
                    name: excerpt(name),
                });
            }
            self.longest = self.longest.max(name.len());
            if self.names.insert(name.clone(), key.clone()).is_some() {
                return Err(StoreError::DuplicateName {
                    name: excerpt(name),
                });
            }
        }
        for digest in &record.digests {
            if rules::canonical_repo_digest(digest).as_deref() != Ok(digest.as_str()) {
                return Err(StoreError::NonCanonicalName {
                    name: excerpt(digest),
                });
            }
            self.longest = self.longest.max(digest.len());
            if self.digests.insert(digest.clone(), key.clone()).is_some() {
                return Err(StoreError::DuplicateName {
                    name: excerpt(digest),
                });
            }
        }
        self.records.insert(key, record);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> Digest {
        Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).expect("digest")
    }

    fn rec(id: char, names: &[&str], created: Option<i64>) -> ImageRecord {
        let mut r = ImageRecord::new(d(id), d('f'));
        r.names = names.iter().map(|s| (*s).to_owned()).collect();
        r.created = created;
        r
    }

    #[test]
    fn json_round_trip() {
        let mut index = ImageIndex::new();
        index
            .add(rec('a', &["docker.io/library/redis:latest"], Some(5)))
            .expect("add");
        index.add(rec('b', &[], None)).expect("add");
        let bytes = index.to_json();
        let text = String::from_utf8(bytes.clone()).expect("utf8");
        assert!(
            text.starts_with(r#"{"version":1,"images":[{"id":"sha256:aaaa"#),
            "{text}"
        );
        let back = ImageIndex::from_json(&bytes).expect("read");
        assert_eq!(back, index);
    }

    #[test]
    fn strict_reading() {
        let a = d('a');
        let m = d('f');
        let cases: &[(String, &str)] = &[
            ("{".to_owned(), "invalid-index-json"),
            (r#"{"images":[]}"#.to_owned(), "invalid-index-json"),
            (
                r#"{"version":2,"images":[]}"#.to_owned(),
                "unsupported-index-version",
            ),
            (
                r#"{"version":1,"version":1,"images":[]}"#.to_owned(),
                "invalid-index-json",
            ),
            (
                r#"{"version":1,"images":[],"x":0}"#.to_owned(),
                "invalid-index-json",
            ),
            (
                format!(
                    r#"{{"version":1,"images":[{{"id":"{a}","manifest_digest":"{m}"}},{{"id":"{a}","manifest_digest":"{m}"}}]}}"#
                ),
                "duplicate-image-id",
            ),
            (
                format!(
                    r#"{{"version":1,"images":[{{"id":"{a}","manifest_digest":"{m}","names":["redis"]}}]}}"#
                ),
                "non-canonical-image-name",
            ),
            (
                format!(
                    r#"{{"version":1,"images":[{{"id":"{a}","manifest_digest":"{m}","names":["docker.io/library/redis:latest","docker.io/library/redis:latest"]}}]}}"#
                ),
                "duplicate-image-name",
            ),
            (
                format!(
                    r#"{{"version":1,"images":[{{"id":"{a}","manifest_digest":"{m}","digests":["docker.io/library/redis:7@{m}"]}}]}}"#
                ),
                "non-canonical-image-name",
            ),
        ];
        for (text, code) in cases {
            let got = ImageIndex::from_json(text.as_bytes()).map(|_| ());
            assert_eq!(got.map_err(|e| e.code()), Err(*code), "{text}");
        }
        let ok = format!(r#"{{"version":1,"images":[{{"id":"{a}","manifest_digest":"{m}"}}]}}"#);
        assert_eq!(ImageIndex::from_json(ok.as_bytes()).expect("ok").len(), 1);
    }

    #[test]
    fn list_order() {
        let mut index = ImageIndex::new();
        index.add(rec('a', &[], Some(1))).expect("add");
        index.add(rec('b', &[], None)).expect("add");
        index.add(rec('c', &[], Some(9))).expect("add");
        index.add(rec('d', &[], Some(9))).expect("add");
        let ids: Vec<char> = index
            .list(&Filters::default())
            .iter()
            .map(|r| r.id.encoded().chars().next().unwrap_or('?'))
            .collect();
        assert_eq!(ids, ['c', 'd', 'a', 'b']);
    }

    /// Names and digests maps agree with the records, and nothing is held twice.
    fn assert_consistent(index: &ImageIndex) {
        let mut names = 0;
        let mut digests = 0;
        for (key, r) in &index.records {
            assert_eq!(key, r.id.as_str());
            for n in &r.names {
                assert_eq!(index.names.get(n), Some(key), "{n}");
                names += 1;
            }
            for d in &r.digests {
                assert_eq!(index.digests.get(d), Some(key), "{d}");
                digests += 1;
            }
        }
        assert_eq!(names, index.names.len());
        assert_eq!(digests, index.digests.len());
    }

    const WORDS: [&str; 8] = [
        "a",
        "b",
        "redis",
        "redis:7",
        "x/redis",
        "quay.io/x/redis",
        "aa",
        "sha256:a",
    ];

    proptest::proptest! {
        #[test]
        fn random_operations_keep_the_index_consistent(
            ops in proptest::collection::vec((0u8..7, 0usize..8, 0usize..8, proptest::bool::ANY), 0..40)
        ) {
            let mut index = ImageIndex::new();
            for (op, a, b, flag) in ops {
                let (wa, wb) = (WORDS[a], WORDS[b]);
                let id = d(['a', 'b', 'c', 'e'][a % 4]);
                let before = index.clone();
                let result = match op {
                    0 => index.add(rec(['a', 'b', 'c', 'e'][a % 4], &[], None)),
                    1 => {
                        let mut r = ImageRecord::new(id, d('f'));
                        r.names = vec![wb.to_owned()];
                        r.digests = vec![format!("{}@{}", "docker.io/library/redis", d('9'))];
                        index.add(r)
                    }
                    2 => index.tag(wa, wb),
                    3 => index.untag(wa, flag.then_some(wb)),
                    4 => index.remove(wa, flag),
                    5 => index.remove_all(wa),
                    _ => index.resolve(wa).map(|_| Vec::new()),
                };
                if result.is_err() {
                    proptest::prop_assert_eq!(&index, &before, "a failed operation changes nothing");
                }
                assert_consistent(&index);
                let back = ImageIndex::from_json(&index.to_json());
                proptest::prop_assert_eq!(back.as_ref(), Ok(&index));
            }
        }

        #[test]
        fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = ImageIndex::from_json(&bytes);
        }

        #[test]
        fn resolving_arbitrary_strings_never_panics(s in "\\PC{0,80}") {
            let mut index = ImageIndex::new();
            index.add(rec('a', &["docker.io/library/redis:latest"], Some(1))).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let _ = index.resolve(&s);
            let _ = index.resolve_with(&s, &["quay.io", &s]);
            let _ = index.clone().remove(&s, true);
            let _ = index.clone().tag("redis", &s);
            let _ = index.clone().untag("redis", Some(&s));
        }
    }
}
