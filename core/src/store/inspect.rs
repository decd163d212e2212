//! The `inspect` document: what every host's `inspect` prints for one image, built from
//! the store's record and the image's stored manifest and config. One shape for the
//! native, WASI and Node hosts, so their outputs compare byte for byte.

use serde_json::{json, Value};

use super::layout::ManifestDescriptor;
use super::ImageRecord;
use crate::config::ImageConfig;
use crate::digest::Digest;
use crate::manifest::Manifest;

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
