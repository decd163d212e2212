//! What the store knows about one image.
//!
//! JSON field names are part of the persisted index format (`"version": 1`) and never
//! change meaning:
//!
//! | field             | type                 | meaning                                              |
//! |-------------------|----------------------|------------------------------------------------------|
//! | `id`              | digest string        | image ID: digest of the config blob                  |
//! | `names`           | array of strings     | repo tags, canonical (`docker.io/library/redis:7`)   |
//! | `digests`         | array of strings     | repo digests, canonical (`docker.io/library/redis@sha256:…`) |
//! | `created`         | integer or null      | config `created`, unix seconds                       |
//! | `pulled_at`       | integer or null      | when the host last recorded a pull, unix seconds     |
//! | `labels`          | object string→string | config labels                                        |
//! | `size`            | integer              | bytes of the image's blobs (layers + config + manifest) |
//! | `manifest_digest` | digest string        | the platform manifest the image was pulled through   |
//! | `config_digest`   | digest string or null| the config blob (equal to `id` for image-spec images) |
//! | `os`              | string or null       | config `os`                                          |
//! | `architecture`    | string or null       | config `architecture`                                |
//! | `pinned`          | boolean              | CRI `pinned`: never garbage-collected by the kubelet |
//!
//! On input every field but `id` and `manifest_digest` may be left out (defaults: empty,
//! null, 0, false); unknown fields are rejected. On output every field is written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// One image in the index: its identity, its names and the metadata `list` and the filters
/// look at (docker `ImageSummary`, CRI `Image`, libimage `Image`).
///
/// `names` are the image's tags; an image with no names is *dangling* (docker's
/// `<none>:<none>`). `digests` are repo digests, which let `name@digest` find the image but
/// do not keep it from being dangling. Both lists hold canonical, normalized references and
/// are kept free of duplicates by [`ImageIndex`](super::ImageIndex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRecord {
    /// The image ID (digest of the config blob, image-spec `config.md#imageid`).
    pub id: Digest,
    /// Repo tags, canonical form `domain/path:tag`.
    #[serde(default)]
    pub names: Vec<String>,
    /// Repo digests, canonical form `domain/path@algorithm:hex`.
    #[serde(default)]
    pub digests: Vec<String>,
    /// The config's `created`, unix seconds; `None` when the config has none.
    #[serde(default)]
    pub created: Option<i64>,
    /// When the image was last pulled (host clock, unix seconds).
    #[serde(default)]
    pub pulled_at: Option<i64>,
    /// The config's labels (`config.Labels`), ordered by key.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Total size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Digest of the platform manifest the image came from.
    pub manifest_digest: Digest,
    /// Digest of the config blob, when known.
    #[serde(default)]
    pub config_digest: Option<Digest>,
    /// The config's `os`.
    #[serde(default)]
    pub os: Option<String>,
    /// The config's `architecture`.
    #[serde(default)]
    pub architecture: Option<String>,
    /// CRI `pinned`: the kubelet must not garbage-collect the image.
    #[serde(default)]
    pub pinned: bool,
}

impl ImageRecord {
    /// A record with no names, digests or metadata: the starting point for hosts and tests.
    pub fn new(id: Digest, manifest_digest: Digest) -> Self {
        ImageRecord {
            id,
            names: Vec::new(),
            digests: Vec::new(),
            created: None,
            pulled_at: None,
            labels: BTreeMap::new(),
            size: 0,
            manifest_digest,
            config_digest: None,
            os: None,
            architecture: None,
            pinned: false,
        }
    }

    /// Dangling: no tags (docker `dangling=true`; repo digests do not count).
    pub fn is_dangling(&self) -> bool {
        self.names.is_empty()
    }
}

/// What a finished pull tells the store ([`ImageIndex::record_pull`](super::ImageIndex::record_pull)).
///
/// The store derives the names from `reference`: a tagged (or untagged, hence `latest`)
/// reference names the image and adds a repo digest for `resolved_digest`; a digested
/// reference adds only the repo digest. `name:tag@digest` is read as `name@digest`
/// (docker and podman drop the tag).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRecord {
    /// The reference that was pulled, as the user gave it (it is normalized here).
    pub reference: String,
    /// The image ID.
    pub id: Digest,
    /// The platform manifest's digest.
    pub manifest_digest: Digest,
    /// What the reference resolved to at the registry (an index digest for a multi-platform
    /// image); `None` means `manifest_digest`.
    #[serde(default)]
    pub resolved_digest: Option<Digest>,
    /// The config blob's digest.
    #[serde(default)]
    pub config_digest: Option<Digest>,
    /// The config's `created`, unix seconds.
    #[serde(default)]
    pub created: Option<i64>,
    /// The config's labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Total size in bytes.
    #[serde(default)]
    pub size: u64,
    /// The config's `os`.
    #[serde(default)]
    pub os: Option<String>,
    /// The config's `architecture`.
    #[serde(default)]
    pub architecture: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn json_shape() {
        let r = ImageRecord::new(Digest::parse(A).expect("a"), Digest::parse(B).expect("b"));
        let v = serde_json::to_value(&r).expect("ser");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "names",
                "digests",
                "created",
                "pulled_at",
                "labels",
                "size",
                "manifest_digest",
                "config_digest",
                "os",
                "architecture",
                "pinned"
            ]
        );
        let back: ImageRecord = serde_json::from_value(v).expect("de");
        assert_eq!(back, r);
        assert!(back.is_dangling());
    }

    #[test]
    fn strict_fields() {
        let cases = [
            (format!(r#"{{"id":"{A}","manifest_digest":"{B}"}}"#), true),
            (format!(r#"{{"id":"{A}"}}"#), false),
            (
                format!(r#"{{"id":"{A}","manifest_digest":"{B}","x":1}}"#),
                false,
            ),
            (
                r#"{"id":"sha256:zz","manifest_digest":"sha256:zz"}"#.to_owned(),
                false,
            ),
        ];
        for (text, ok) in cases {
            assert_eq!(
                serde_json::from_str::<ImageRecord>(&text).is_ok(),
                ok,
                "{text}"
            );
        }
    }
}
