//! The on-disk format of a hoist store, shared by every host: `hoist.json` (the truth) and
//! the OCI `index.json` derived from it (image-spec `image-layout.md`, `image-index.md`).
//!
//! The native, WASI and Node hosts all write stores through this module, so a store written
//! by one is read by the others and their `index.json` files are byte-identical for the same
//! images. Hosts only move the bytes (temp file, fsync, rename); which bytes is decided here.
//!
//! `hoist.json`:
//!
//! ```text
//! {"version":1,
//!  "index":<ImageIndex::to_json(), byte for byte>,
//!  "manifests":{"<image id>":{"mediaType":…,"digest":…,"size":…,"platform":{…}},…}}
//! ```
//!
//! `manifests` maps image ID → manifest descriptor: the index record knows the manifest
//! digest but not its media type, size or platform, which `index.json` entries need.
//! Reading is strict: strict JSON ([`crate::json::check`]: no duplicate keys, no trailing
//! data), unknown fields rejected, `version` 1, the strict [`ImageIndex::from_json`] for
//! `index`, and exactly one valid descriptor per record, whose digest is the record's
//! `manifest_digest`.
//!
//! `index.json` ([`StoreMeta::index_json`]): for each image in ID order, one entry per tag
//! and per repo digest (in the record's order) whose `org.opencontainers.image.ref.name` is
//! that full canonical name, or a single entry without annotations when the image has
//! neither, so that layout tools, which garbage-collect from `index.json`, still see its
//! blobs as reachable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::descriptor::Descriptor;
use crate::digest::{excerpt, Digest};
use crate::store::{ImageIndex, StoreError};

/// The `version` of `hoist.json` this build writes and reads.
pub const META_VERSION: u64 = 1;

/// The annotation that names an `index.json` entry (image-spec `annotations.md`).
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// The media type of `index.json` itself (image-spec `image-index.md`).
pub const OCI_INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// The exact bytes of the `oci-layout` file hoist writes (image-spec `image-layout.md`).
pub const OCI_LAYOUT_BYTES: &[u8] = b"{\"imageLayoutVersion\":\"1.0.0\"}";

/// The `imageLayoutVersion` hoist reads and writes.
pub const OCI_LAYOUT_VERSION: &str = "1.0.0";

/// Where a blob lives relative to the layout root: `blobs/<algorithm>/<encoded>`
/// (image-spec `image-layout.md`, "Blobs"). Only a parsed [`Digest`] becomes a path.
pub fn blob_path(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm().as_str(), digest.encoded())
}

/// Checks an `oci-layout` file: strict JSON whose `imageLayoutVersion` is `1.0.0`.
pub fn check_oci_layout(bytes: &[u8]) -> Result<(), StoreError> {
    let bad = |detail: String| StoreError::InvalidLayout {
        file: "oci-layout",
        detail,
    };
    crate::json::check(bytes).map_err(|e| bad(e.to_string()))?;
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    match v.get("imageLayoutVersion").and_then(|v| v.as_str()) {
        Some(OCI_LAYOUT_VERSION) => Ok(()),
        Some(other) => Err(bad(format!(
            "unsupported imageLayoutVersion {:?}",
            excerpt(other)
        ))),
        None => Err(bad("no imageLayoutVersion string".into())),
    }
}

/// The descriptor of an image's manifest, as `index.json` entries carry it (image-spec
/// `descriptor.md`; the fields a layout entry needs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestDescriptor {
    /// The manifest's media type (OCI image manifest, Docker v2 schema 2…).
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// The manifest's digest.
    pub digest: Digest,
    /// The manifest's size in bytes.
    pub size: u64,
    /// The platform the manifest was selected for, when it came from an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<ManifestPlatform>,
}

/// An image-spec platform object (`image-index.md`), field for field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestPlatform {
    /// `architecture` (GOARCH spelling).
    pub architecture: String,
    /// `os` (GOOS spelling).
    pub os: String,
    /// `os.version`.
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    /// `os.features`.
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// `variant`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl ManifestDescriptor {
    /// A descriptor without platform.
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Self {
        ManifestDescriptor {
            media_type: media_type.into(),
            digest,
            size,
            platform: None,
        }
    }

    /// Checks what the store relies on: a media type of the RFC 6838 shape
    /// `type/subtype` (at most 255 characters) and a size that fits Go's `int64`.
    pub fn validate(&self) -> Result<(), String> {
        if !is_media_type(&self.media_type) {
            return Err(format!(
                "invalid media type {:?}",
                excerpt(&self.media_type)
            ));
        }
        if self.size > i64::MAX as u64 {
            return Err(format!("invalid size {}", self.size));
        }
        Ok(())
    }
}

impl From<&crate::platform::Platform> for ManifestPlatform {
    fn from(p: &crate::platform::Platform) -> Self {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        ManifestPlatform {
            architecture: p.architecture.clone(),
            os: p.os.clone(),
            os_version: opt(&p.os_version),
            os_features: p.os_features.clone(),
            variant: opt(&p.variant),
        }
    }
}

/// The fields of a descriptor an `index.json` entry keeps: media type, digest, size,
/// platform (`urls`, `annotations`, `data` and `artifactType` are the registry's, not the
/// layout's).
impl From<&Descriptor> for ManifestDescriptor {
    fn from(d: &Descriptor) -> Self {
        ManifestDescriptor {
            media_type: d.media_type.clone(),
            digest: d.digest.clone(),
            size: d.size,
            platform: d.platform.as_ref().map(ManifestPlatform::from),
        }
    }
}

impl From<Descriptor> for ManifestDescriptor {
    fn from(d: Descriptor) -> Self {
        ManifestDescriptor::from(&d)
    }
}

fn is_media_type(s: &str) -> bool {
    fn part(p: &str) -> bool {
        !p.is_empty()
            && p.len() <= 127
            && p.bytes()
                .enumerate()
                .all(|(i, b)| b.is_ascii_alphanumeric() || (i > 0 && b"!#$&^_.+-".contains(&b)))
    }
    s.len() <= 255
        && s.split_once('/')
            .is_some_and(|(t, sub)| part(t) && part(sub))
}

/// `hoist.json` in memory: the image index and each image's manifest descriptor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreMeta {
    /// The images (the store rules live on [`ImageIndex`]).
    pub index: ImageIndex,
    /// Image ID → its manifest descriptor.
    pub manifests: BTreeMap<Digest, ManifestDescriptor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaIn {
    version: u64,
    index: serde_json::Value,
    manifests: BTreeMap<Digest, ManifestDescriptor>,
}

impl StoreMeta {
    /// Reads `hoist.json` strictly (see the module docs). Errors are
    /// [`StoreError::InvalidLayout`] naming `hoist.json`, or the index's own errors.
    pub fn from_json(bytes: &[u8]) -> Result<StoreMeta, StoreError> {
        let bad = |detail: String| StoreError::InvalidLayout {
            file: "hoist.json",
            detail,
        };
        crate::json::check(bytes).map_err(|e| bad(e.to_string()))?;
        let doc: MetaIn =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid json: {e}")))?;
        if doc.version != META_VERSION {
            return Err(bad(format!("unsupported version {}", doc.version)));
        }
        // `preserve_order` keeps the index's text order; duplicate keys were rejected above.
        let index_bytes = serde_json::to_vec(&doc.index).unwrap_or_default();
        let index = ImageIndex::from_json(&index_bytes).map_err(|e| bad(format!("index: {e}")))?;
        let meta = StoreMeta {
            index,
            manifests: doc.manifests,
        };
        meta.check_consistent().map_err(bad)?;
        Ok(meta)
    }

    /// Every record has exactly one manifest descriptor, for its manifest digest, and every
    /// descriptor is valid.
    pub fn check_consistent(&self) -> Result<(), String> {
        for record in self.index.records() {
            let Some(desc) = self.manifests.get(&record.id) else {
                return Err(format!("image {} has no manifest descriptor", record.id));
            };
            if desc.digest != record.manifest_digest {
                return Err(format!(
                    "image {}: manifest descriptor {} is not its manifest {}",
                    record.id, desc.digest, record.manifest_digest
                ));
            }
            desc.validate()
                .map_err(|e| format!("image {}: manifest descriptor: {e}", record.id))?;
        }
        if let Some(extra) = self
            .manifests
            .keys()
            .find(|id| self.index.get(id).is_none())
        {
            return Err(format!("manifest descriptor for unknown image {extra}"));
        }
        Ok(())
    }

    /// Drops descriptors of images the index no longer has (after a removal).
    pub fn prune_descriptors(&mut self) {
        let index = &self.index;
        self.manifests.retain(|id, _| index.get(id).is_some());
    }

    /// The `hoist.json` bytes (newline-terminated).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(format!("{{\"version\":{META_VERSION},\"index\":").as_bytes());
        out.extend_from_slice(&self.index.to_json());
        out.extend_from_slice(b",\"manifests\":");
        // A map of plain structs with string keys always serializes.
        out.extend_from_slice(&serde_json::to_vec(&self.manifests).unwrap_or_default());
        out.extend_from_slice(b"}\n");
        out
    }

    /// The `index.json` entries: each ref name (if any) and the manifest it points at, in
    /// the order [`StoreMeta::index_json`] writes them.
    pub fn index_entries(&self) -> Vec<(Option<&str>, &ManifestDescriptor)> {
        let mut out = Vec::new();
        for record in self.index.records() {
            let Some(desc) = self.manifests.get(&record.id) else {
                continue;
            };
            let mut named = false;
            for name in record.names.iter().chain(record.digests.iter()) {
                out.push((Some(name.as_str()), desc));
                named = true;
            }
            if !named {
                out.push((None, desc));
            }
        }
        out
    }

    /// The `index.json` bytes derived from this `hoist.json` (see the module docs),
    /// newline-terminated.
    pub fn index_json(&self) -> Vec<u8> {
        let manifests = self
            .index_entries()
            .into_iter()
            .map(|(name, desc)| EntryOut {
                media_type: &desc.media_type,
                digest: &desc.digest,
                size: desc.size,
                platform: desc.platform.as_ref(),
                annotations: name.map(|n| BTreeMap::from([(REF_NAME_ANNOTATION, n)])),
            })
            .collect();
        let doc = IndexOut {
            schema_version: 2,
            media_type: OCI_INDEX_MEDIA_TYPE,
            manifests,
        };
        let mut out = serde_json::to_vec(&doc).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

#[derive(Serialize)]
struct IndexOut<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    #[serde(rename = "mediaType")]
    media_type: &'static str,
    manifests: Vec<EntryOut<'a>>,
}

#[derive(Serialize)]
struct EntryOut<'a> {
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    digest: &'a Digest,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<&'a ManifestPlatform>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<BTreeMap<&'static str, &'a str>>,
}

/// The `(ref name, manifest digest)` pairs of an `index.json` found on disk (for `fsck`).
/// Lenient on entries: those that are not objects or lack fields give empty strings.
pub fn read_index_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, StoreError> {
    let bad = |detail: String| StoreError::InvalidLayout {
        file: "index.json",
        detail,
    };
    crate::json::check(bytes).map_err(|e| bad(e.to_string()))?;
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    let Some(list) = v.get("manifests").and_then(|m| m.as_array()) else {
        return Err(bad("no manifests array".into()));
    };
    let field = |e: &serde_json::Value, f: &dyn Fn(&serde_json::Value) -> Option<String>| {
        f(e).unwrap_or_default()
    };
    Ok(list
        .iter()
        .map(|e| {
            let name = field(e, &|e| {
                Some(
                    e.get("annotations")?
                        .get(REF_NAME_ANNOTATION)?
                        .as_str()?
                        .to_owned(),
                )
            });
            let digest = field(e, &|e| Some(e.get("digest")?.as_str()?.to_owned()));
            (name, digest)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn from_core_descriptor() {
        let mut d = Descriptor::new(
            "application/vnd.oci.image.manifest.v1+json",
            Digest::sha256_of(b"m"),
            1,
        );
        d.annotations.insert("x".into(), "y".into());
        d.platform = Some(crate::platform::Platform::new("linux", "arm64", "v8"));
        let m = ManifestDescriptor::from(&d);
        let v = serde_json::to_value(&m).expect("json");
        assert_eq!(
            v,
            serde_json::json!({
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": Digest::sha256_of(b"m").as_str(),
                "size": 1,
                "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"},
            })
        );
    }

    #[test]
    fn media_types() {
        for ok in [
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "a/b",
        ] {
            assert!(is_media_type(ok), "{ok}");
        }
        for bad in ["", "a", "/b", "a/", "a/b/c", "a b/c", ".a/b", "a/b\n"] {
            assert!(!is_media_type(bad), "{bad:?}");
        }
    }

    #[test]
    fn empty_meta_round_trip() {
        let meta = StoreMeta::default();
        let bytes = meta.to_json();
        assert_eq!(
            bytes,
            b"{\"version\":1,\"index\":{\"version\":1,\"images\":[]},\"manifests\":{}}\n"
        );
        let back = StoreMeta::from_json(&bytes).expect("parse");
        assert!(back.index.is_empty());
        assert_eq!(
            back.index_json(),
            b"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}\n"
        );
        assert_eq!(read_index_pairs(&back.index_json()), Ok(vec![]));
    }

    #[test]
    fn strict_meta() {
        let idx = r#"{"version":1,"images":[]}"#;
        for bad in [
            String::new(),
            "{}".to_owned(),
            format!(r#"{{"version":2,"index":{idx},"manifests":{{}}}}"#),
            format!(r#"{{"version":1,"version":1,"index":{idx},"manifests":{{}}}}"#),
            format!(r#"{{"version":1,"index":{idx},"manifests":{{}},"x":1}}"#),
            format!(r#"{{"version":1,"index":{idx},"manifests":{{}}}} trailing"#),
            r#"{"version":1,"index":{"version":1,"images":[],"y":0},"manifests":{}}"#.to_owned(),
            format!(r#"{{"version":1,"index":{idx},"manifests":{{"sha256:zz":{{}}}}}}"#),
            format!(
                r#"{{"version":1,"index":{idx},"manifests":{{"sha256:{}":{{"mediaType":"a/b","digest":"sha256:{}","size":1}}}}}}"#,
                "a".repeat(64),
                "b".repeat(64)
            ),
        ] {
            let err = StoreMeta::from_json(bad.as_bytes()).expect_err(&bad);
            assert_eq!(err.code(), "invalid-store-layout", "{bad}");
        }
    }

    #[test]
    fn oci_layout_file() {
        assert_eq!(check_oci_layout(OCI_LAYOUT_BYTES), Ok(()));
        for bad in [
            &b""[..],
            b"{}",
            b"{\"imageLayoutVersion\":\"2.0.0\"}",
            b"{\"imageLayoutVersion\":1}",
            b"{\"imageLayoutVersion\":\"1.0.0\",\"imageLayoutVersion\":\"1.0.0\"}",
        ] {
            let err = check_oci_layout(bad).expect_err("bad");
            assert_eq!(err.code(), "invalid-store-layout");
            assert!(err.to_string().contains("oci-layout"), "{err}");
        }
    }

    #[test]
    fn blob_paths() {
        let d = Digest::sha256_of(b"x");
        assert_eq!(blob_path(&d), format!("blobs/sha256/{}", d.encoded()));
    }
}
