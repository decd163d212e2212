//! What the fake registry serves when no fault applies: manifests by tag and digest, and
//! blobs by digest (with `Range`), for one repository; plus [`ImageParts`], a tiny image
//! whose documents a test can take apart and reassemble wrongly.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::reply::{Body, Reply};
use crate::{digest_of, BuiltImage};

/// `application/vnd.oci.image.manifest.v1+json`
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// `application/vnd.oci.image.index.v1+json`
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// `application/vnd.oci.image.config.v1+json`
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// `application/vnd.oci.image.layer.v1.tar` (uncompressed, so the diff ID is the digest).
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// The documents and blobs of one repository.
#[derive(Clone, Debug, Default)]
pub struct Content {
    /// Manifests and indexes by digest: (media type, bytes).
    pub manifests: HashMap<String, (String, Vec<u8>)>,
    /// Tag → manifest digest.
    pub tags: HashMap<String, String>,
    /// Blobs by digest.
    pub blobs: HashMap<String, Vec<u8>>,
}

impl Content {
    /// Adds a blob; returns its digest.
    pub fn add_blob(&mut self, bytes: Vec<u8>) -> String {
        let d = digest_of(&bytes);
        self.blobs.insert(d.clone(), bytes);
        d
    }

    /// Adds a manifest (served with `media_type`), tagged `tag` when given; returns its
    /// digest.
    pub fn add_manifest(&mut self, media_type: &str, bytes: Vec<u8>, tag: Option<&str>) -> String {
        let d = digest_of(&bytes);
        self.manifests
            .insert(d.clone(), (media_type.to_owned(), bytes));
        if let Some(t) = tag {
            self.tags.insert(t.to_owned(), d.clone());
        }
        d
    }

    /// Adds every document and blob of an [`ImageBuilder`](crate::ImageBuilder) image,
    /// tagged `tag`.
    pub fn add_built(&mut self, image: &BuiltImage, tag: &str) -> crate::Result<String> {
        for m in &image.manifests {
            self.add_manifest(&m.descriptor.media_type, m.bytes.clone(), None);
            self.blobs
                .insert(m.config.digest.clone(), m.config_bytes.clone());
            for l in &m.layers {
                let bytes = std::fs::read(image.blob_path(&l.descriptor.digest))?;
                self.blobs.insert(l.descriptor.digest.clone(), bytes);
            }
        }
        Ok(self.add_manifest(&image.descriptor.media_type, image.bytes.clone(), Some(tag)))
    }

    /// Adds `parts` (config, layers, manifest), tagged `tag`; returns the manifest digest.
    pub fn add_parts(&mut self, parts: &ImageParts, tag: &str) -> String {
        self.add_blob(parts.config.clone());
        for l in &parts.layers {
            self.add_blob(l.clone());
        }
        self.add_manifest(OCI_MANIFEST, parts.manifest_bytes(), Some(tag))
    }

    /// The answer to `GET`/`HEAD /v2/<repo>/manifests/<reference>`.
    pub fn manifest(&self, reference: &str) -> Reply {
        let key = self
            .tags
            .get(reference)
            .cloned()
            .unwrap_or_else(|| reference.to_owned());
        match self.manifests.get(&key) {
            Some((media_type, bytes)) => Reply::new(200, bytes.clone())
                .header("Content-Type", media_type.clone())
                .header("Docker-Content-Digest", key),
            None => Reply::error(404, "MANIFEST_UNKNOWN"),
        }
    }

    /// The answer to `GET /v2/<repo>/blobs/<digest>` (or a redirect target naming the
    /// digest), honouring `Range: bytes=N-`.
    pub fn blob(&self, digest: &str, range: Option<&str>) -> Reply {
        let Some(bytes) = self.blobs.get(digest) else {
            return Reply::error(404, "BLOB_UNKNOWN");
        };
        let start = range
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|n| n.parse::<usize>().ok());
        match start {
            Some(s) if s < bytes.len() => Reply::new(206, bytes[s..].to_vec())
                .header(
                    "Content-Range",
                    format!("bytes {s}-{}/{}", bytes.len() - 1, bytes.len()),
                )
                .header("Docker-Content-Digest", digest),
            Some(_) => Reply::status(416),
            None => Reply::new(200, bytes.clone())
                .header("Content-Type", "application/octet-stream")
                .header("Docker-Content-Digest", digest),
        }
    }
}

/// A tiny single-platform OCI image (uncompressed layers of seeded bytes, a config with
/// their diff IDs, a manifest) kept as parts, so a test can serve it intact or break one
/// piece: change the manifest JSON, swap a blob, lie about a size.
#[derive(Clone, Debug)]
pub struct ImageParts {
    /// The layers' bytes, base first.
    pub layers: Vec<Vec<u8>>,
    /// The config's bytes.
    pub config: Vec<u8>,
    /// The manifest as JSON (edit it, then [`ImageParts::manifest_bytes`]).
    pub manifest: Value,
}

impl ImageParts {
    /// An image whose layers have `sizes` bytes, derived from `seed`.
    pub fn new(seed: u64, sizes: &[usize]) -> ImageParts {
        let layers: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| seeded_bytes(seed.wrapping_mul(31).wrapping_add(i as u64), n))
            .collect();
        Self::from_layers(seed, layers)
    }

    /// An image of exactly these layers (share one between two images to test what a
    /// removal may collect); `seed` goes into a label so configs differ.
    pub fn from_layers(seed: u64, layers: Vec<Vec<u8>>) -> ImageParts {
        let diff_ids: Vec<String> = layers.iter().map(|l| digest_of(l)).collect();
        let config = json!({
            "created": "2024-01-02T03:04:05Z",
            "architecture": host_arch(),
            "os": "linux",
            "config": {"Labels": {"seed": seed.to_string()}},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": layers.iter().map(|_| json!({"created_by": "hoist-testkit"})).collect::<Vec<_>>(),
        })
        .to_string()
        .into_bytes();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": digest_of(&config), "size": config.len()},
            "layers": layers.iter().map(|l| json!({
                "mediaType": OCI_LAYER, "digest": digest_of(l), "size": l.len()
            })).collect::<Vec<_>>(),
        });
        ImageParts {
            layers,
            config,
            manifest,
        }
    }

    /// The manifest's bytes (compact JSON, keys in insertion order).
    pub fn manifest_bytes(&self) -> Vec<u8> {
        self.manifest.to_string().into_bytes()
    }

    /// The manifest's digest.
    pub fn manifest_digest(&self) -> String {
        digest_of(&self.manifest_bytes())
    }

    /// The image ID (the config's digest).
    pub fn id(&self) -> String {
        digest_of(&self.config)
    }

    /// Layer `i`'s digest.
    pub fn layer_digest(&self, i: usize) -> String {
        digest_of(&self.layers[i])
    }
}

/// The OCI architecture name of this machine (`amd64`, `arm64`, …).
pub fn host_arch() -> String {
    match std::env::consts::ARCH {
        "x86_64" => "amd64".to_owned(),
        "aarch64" => "arm64".to_owned(),
        other => other.to_owned(),
    }
}

/// A one-entry OCI index for this machine's platform whose entry says `media_type`,
/// the digest of `child` and `size` (pass `child.len()` to tell the truth).
pub fn index_over(media_type: &str, child: &[u8], size: usize) -> Vec<u8> {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{
            "mediaType": media_type,
            "digest": digest_of(child),
            "size": size,
            "platform": {"os": "linux", "architecture": host_arch()},
        }],
    })
    .to_string()
    .into_bytes()
}

/// Deterministic pseudo-random bytes (xorshift), so every run serves the same images.
pub fn seeded_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
    if x == 0 {
        x = 1;
    }
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A body that is `bytes` cut to `keep` bytes, with the full length declared.
pub fn truncated(bytes: &[u8], keep: usize) -> Body {
    Body::Truncated {
        bytes: bytes[..keep.min(bytes.len())].to_vec(),
        declared: bytes.len() as u64,
    }
}
