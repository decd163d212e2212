//! `hoist.json` (the truth) and `index.json` (derived from it).
//!
//! `hoist.json`:
//!
//! ```text
//! {"version":1,
//!  "index":<the core's ImageIndex::to_json(), byte for byte>,
//!  "manifests":{"<image id>":{"mediaType":…,"digest":…,"size":…,"platform":{…}},…}}
//! ```
//!
//! `manifests` is the host-side map image ID → manifest descriptor: the core record knows
//! the manifest digest but not its media type, size or platform, which `index.json` entries
//! need. Reading is strict: strict JSON (`hoist_core::json::check`: no duplicate keys, no
//! trailing data), unknown fields rejected, `version` 1, the core's own strict
//! `ImageIndex::from_json` for `index`, and exactly one descriptor per record whose digest
//! is the record's `manifest_digest`.
//!
//! `index.json` is a pure function of `hoist.json` ([`derive_index_json`]); see the module
//! docs of [`super`] for the entries it holds.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use hoist_core::descriptor::Descriptor;
use hoist_core::digest::Digest;
use hoist_core::store::ImageIndex;

use super::error::{Result, StoreIoError};

/// The `version` of `hoist.json` this build writes and reads.
pub const META_VERSION: u64 = 1;

/// The annotation that names an `index.json` entry (image-spec `annotations.md`).
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// The media type of `index.json` itself.
pub const OCI_INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

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
    pub fn validate(&self) -> std::result::Result<(), String> {
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

impl From<&hoist_core::platform::Platform> for ManifestPlatform {
    fn from(p: &hoist_core::platform::Platform) -> Self {
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

/// The fields of a core descriptor an `index.json` entry keeps: media type, digest, size,
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

pub(crate) fn excerpt(s: &str) -> String {
    s.chars().take(80).collect()
}

/// `hoist.json` in memory.
#[derive(Clone, Debug, Default)]
pub(crate) struct Meta {
    pub index: ImageIndex,
    /// Image ID → its manifest descriptor.
    pub manifests: BTreeMap<Digest, ManifestDescriptor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaIn<'a> {
    version: u64,
    #[serde(borrow)]
    index: &'a RawValue,
    manifests: BTreeMap<Digest, ManifestDescriptor>,
}

impl Meta {
    /// Reads `hoist.json` strictly (see the module docs). `path` is for messages.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<Meta> {
        let bad = |detail: String| StoreIoError::corrupt(path, detail);
        hoist_core::json::check(bytes).map_err(|e| bad(e.to_string()))?;
        let doc: MetaIn<'_> =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid json: {e}")))?;
        if doc.version != META_VERSION {
            return Err(bad(format!("unsupported version {}", doc.version)));
        }
        let index = ImageIndex::from_json(doc.index.get().as_bytes())
            .map_err(|e| bad(format!("index: {e}")))?;
        let meta = Meta {
            index,
            manifests: doc.manifests,
        };
        meta.check_consistent().map_err(bad)?;
        Ok(meta)
    }

    /// Every record has exactly one manifest descriptor, for its manifest digest, and every
    /// descriptor is valid.
    pub fn check_consistent(&self) -> std::result::Result<(), String> {
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

    /// Drops descriptors of images the index no longer has.
    pub fn prune_descriptors(&mut self) {
        let index = &self.index;
        self.manifests.retain(|id, _| index.get(id).is_some());
    }

    /// The `hoist.json` bytes.
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

/// One `index.json` entry: the ref name (if any) and the manifest it points at.
pub(crate) fn index_entries(meta: &Meta) -> Vec<(Option<&str>, &ManifestDescriptor)> {
    let mut out = Vec::new();
    for record in meta.index.records() {
        let Some(desc) = meta.manifests.get(&record.id) else {
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

/// `index.json` as derived from `hoist.json`: an OCI image index with, for each image in ID
/// order, one entry per tag and per repo digest (in the record's order) whose
/// `org.opencontainers.image.ref.name` is that full canonical name, or a single entry
/// without annotations when the image has neither (so layout tools still see its blobs as
/// reachable).
pub(crate) fn derive_index_json(meta: &Meta) -> Vec<u8> {
    let manifests = index_entries(meta)
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

/// The `(ref name, manifest digest)` pairs of an `index.json` found on disk, for fsck's
/// report. Lenient: entries that are not objects or lack fields are skipped.
pub(crate) fn read_index_pairs(bytes: &[u8]) -> std::result::Result<Vec<(String, String)>, String> {
    hoist_core::json::check(bytes).map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let Some(list) = v.get("manifests").and_then(|m| m.as_array()) else {
        return Err("no manifests array".into());
    };
    Ok(list
        .iter()
        .map(|e| {
            let name = e
                .get("annotations")
                .and_then(|a| a.get(REF_NAME_ANNOTATION))
                .and_then(|n| n.as_str())
                .unwrap_or("")
                .to_owned();
            let digest = e
                .get("digest")
                .and_then(|d| d.as_str())
                .unwrap_or("")
                .to_owned();
            (name, digest)
        })
        .collect())
}

/// How many manifests an `index.json` on disk lists (for deciding whether a layout without
/// `hoist.json` is empty).
pub(crate) fn count_index_entries(bytes: &[u8], path: &Path) -> Result<usize> {
    read_index_pairs(bytes)
        .map(|p| p.len())
        .map_err(|e| StoreIoError::corrupt(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_core_descriptor() {
        let mut d = Descriptor::new(
            "application/vnd.oci.image.manifest.v1+json",
            Digest::sha256_of(b"m"),
            1,
        );
        d.annotations.insert("x".into(), "y".into());
        d.platform = Some(hoist_core::platform::Platform::new("linux", "arm64", "v8"));
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
        let meta = Meta::default();
        let bytes = meta.to_json();
        assert_eq!(
            bytes,
            b"{\"version\":1,\"index\":{\"version\":1,\"images\":[]},\"manifests\":{}}\n"
        );
        let back = Meta::from_json(&bytes, Path::new("hoist.json")).expect("parse");
        assert!(back.index.is_empty());
        assert_eq!(
            derive_index_json(&back),
            b"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}\n"
        );
    }

    #[test]
    fn strict_meta() {
        let p = Path::new("hoist.json");
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
            let err = Meta::from_json(bad.as_bytes(), p).expect_err(&bad);
            assert_eq!(err.code(), "store-corrupt", "{bad}");
        }
    }
}
