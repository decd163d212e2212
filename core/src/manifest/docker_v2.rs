//! Docker image manifests, version 2 schema 2 (distribution `docs/spec/manifest-v2-2.md`).
//!
//! The shape is [`ImageManifest`]'s: `schemaVersion` 2, `mediaType` (always written by
//! Docker; when present it must be the schema 2 type, see [`detect`](super::detect)),
//! `config`, `layers`. Docker defines no `subject` or `artifactType`; they are ignored
//! if present, so referrers logic never applies to Docker manifests.

use super::fields::Object;
use super::oci_image::{parse_shape, ImageManifest};
use super::{Limits, ManifestError};
use crate::media_type::MediaType;

/// Reads a Docker schema 2 manifest from its already-checked JSON object.
pub(crate) fn parse(
    raw: &[u8],
    obj: &Object<'_>,
    limits: &Limits,
) -> Result<ImageManifest, ManifestError> {
    parse_shape(raw, obj, MediaType::DockerManifest, limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::tree::Node;
    use crate::ErrorCode;

    // distribution docs/spec/manifest-v2-2.md "Example Image Manifest" (abridged).
    const EXAMPLE: &str = r#"{
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "size": 7023,
        "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"
    },
    "layers": [
        {
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": 32654,
            "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"
        },
        {
            "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "size": 16724,
            "digest": "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b",
            "urls": ["https://mcr.microsoft.com/v2/windows/blobs/sha256:3c3a"]
        }
    ],
    "subject": {"broken": true}
}"#;

    #[test]
    fn example() {
        let v = Node::parse_str(EXAMPLE).expect("json");
        let m = parse(EXAMPLE.as_bytes(), &v, &Limits::default()).expect("valid");
        assert_eq!(m.media_type(), MediaType::DockerManifest);
        assert_eq!(m.layers().len(), 2);
        assert!(m.subject().is_none());
        let foreign = m.layers().get(1).and_then(|l| l.known_media_type());
        assert!(foreign.is_some_and(MediaType::is_foreign_layer));
        let mut broken = v.clone();
        if let Node::Object(entries) = &mut broken {
            entries.retain(|(k, _)| k != "config");
        }
        let e = parse(b"", &broken, &Limits::default()).expect_err("no config");
        assert_eq!(e.code(), "missing-field");
        assert_eq!(e.to_string(), "missing field \"config\"");
    }
}
