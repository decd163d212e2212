//! The `inspect` document: what every host's `inspect` prints for one image, built from
//! the store's record and the image's stored manifest and config. One shape for the
//! native, WASI and Node hosts, so their outputs compare byte for byte.

use serde_json::{json, Value};

use super::layout::ManifestDescriptor;
use super::ImageRecord;
use crate::config::ImageConfig;
use crate::digest::Digest;
use crate::manifest::Manifest;
use crate::ErrorCode;

/// Why a stored image's documents cannot be located from its index record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InspectError {
    /// `image-not-known`: the store's layout records no manifest for the image.
    NoManifest {
        /// The image.
        id: Digest,
    },
    /// `config-unknown`: neither the record nor the manifest names a config blob.
    NoConfig {
        /// The image.
        id: Digest,
    },
}

impl ErrorCode for InspectError {
    fn code(&self) -> &'static str {
        match self {
            InspectError::NoManifest { .. } => "image-not-known",
            InspectError::NoConfig { .. } => "config-unknown",
        }
    }
}

impl std::fmt::Display for InspectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InspectError::NoManifest { id } => write!(f, "image {id} has no manifest record"),
            InspectError::NoConfig { id } => {
                write!(f, "image {id}: the store records no config blob")
            }
        }
    }
}

/// The manifest the store's layout records for `record`'s image (as the host read it),
/// or `image-not-known`: an index entry without one cannot be inspected.
pub fn manifest_of(
    record: &ImageRecord,
    descriptor: Option<ManifestDescriptor>,
) -> Result<ManifestDescriptor, InspectError> {
    descriptor.ok_or_else(|| InspectError::NoManifest {
        id: record.id.clone(),
    })
}

/// The config blob `inspect` reads: the one the store recorded at pull time, else the
/// one the stored manifest names (image-spec `manifest.md`, `config`).
pub fn config_digest(record: &ImageRecord, manifest: &Manifest) -> Result<Digest, InspectError> {
    record
        .config_digest
        .clone()
        .or_else(|| manifest.config().map(|d| d.digest.clone()))
        .ok_or_else(|| InspectError::NoConfig {
            id: record.id.clone(),
        })
}

/// The document for one image: identity (`id`, names, digests), where it came from
/// (manifest and config digests, media type, pull time), what it runs on, its layers,
/// and the full config in its serialized (inspect) form. Fails only if the config cannot
/// be serialized, which a parsed config always can.
pub fn document(
    record: &ImageRecord,
    descriptor: &ManifestDescriptor,
    manifest: &Manifest,
    config_digest: &Digest,
    config: &ImageConfig,
) -> Result<Value, serde_json::Error> {
    let layers: Vec<Value> = manifest
        .layers()
        .iter()
        .map(|layer| {
            json!({
                "digest": layer.digest.as_str(),
                "size": layer.size,
                "media_type": layer.media_type,
            })
        })
        .collect();
    let config_value = serde_json::to_value(config)?;
    Ok(json!({
        "id": record.id.as_str(),
        "repo_tags": record.names,
        "repo_digests": record.digests,
        "manifest_digest": descriptor.digest.as_str(),
        "manifest_media_type": descriptor.media_type,
        "config_digest": config_digest.as_str(),
        "created": config.created().map(|t| t.as_str()),
        "pulled_at": record.pulled_at,
        "os": config.os(),
        "architecture": config.architecture(),
        "variant": config.variant(),
        "size": record.size,
        "labels": config.labels(),
        "annotations": manifest.annotations(),
        "layers": layers,
        "config": config_value,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(c: char) -> Digest {
        Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).expect("digest")
    }

    fn manifest_naming_config(c: char) -> Manifest {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
               "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":2}},
               "layers":[]}}"#,
            digest(c)
        );
        Manifest::parse(body.as_bytes(), None, None).expect("manifest")
    }

    #[test]
    fn the_recorded_config_wins_then_the_manifests() {
        let mut record = ImageRecord::new(digest('a'), digest('b'));
        let manifest = manifest_naming_config('c');
        assert_eq!(config_digest(&record, &manifest), Ok(digest('c')));
        record.config_digest = Some(digest('d'));
        assert_eq!(config_digest(&record, &manifest), Ok(digest('d')));
    }

    #[test]
    fn an_index_without_a_recorded_config_is_config_unknown() {
        let record = ImageRecord::new(digest('a'), digest('b'));
        let index = Manifest::parse(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#,
            None,
            None,
        )
        .expect("index");
        let e = config_digest(&record, &index).expect_err("no config");
        assert_eq!(e.code(), "config-unknown");
        assert_eq!(
            e.to_string(),
            format!("image {}: the store records no config blob", digest('a'))
        );
    }

    #[test]
    fn a_record_without_a_manifest_is_image_not_known() {
        let record = ImageRecord::new(digest('a'), digest('b'));
        let e = manifest_of(&record, None).expect_err("no manifest");
        assert_eq!(e.code(), "image-not-known");
        assert_eq!(
            e.to_string(),
            format!("image {} has no manifest record", digest('a'))
        );
        let descriptor = ManifestDescriptor {
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            digest: digest('b'),
            size: 2,
            platform: None,
        };
        assert_eq!(
            manifest_of(&record, Some(descriptor.clone())),
            Ok(descriptor)
        );
    }
}
