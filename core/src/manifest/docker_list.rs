//! Docker manifest lists (distribution `docs/spec/manifest-v2-2.md#manifest-list`).
//!
//! The shape is [`ImageIndex`]'s: `schemaVersion` 2, `mediaType` (when present, the
//! list type; see [`detect`](super::detect)), `manifests`. Docker's spec makes each
//! entry's `platform` required; hoist does not enforce it, because
//! [`select_platform`](crate::platform::select_platform) skips entries without one
//! anyway. Docker defines no `subject` or `artifactType`; they are ignored.

use super::fields::Object;
use super::oci_index::{parse_shape, ImageIndex};
use super::{Limits, ManifestError};
use crate::media_type::MediaType;

/// Reads a Docker manifest list from its already-checked JSON object.
pub(crate) fn parse(
    raw: &[u8],
    obj: &Object<'_>,
    limits: &Limits,
) -> Result<ImageIndex, ManifestError> {
    parse_shape(raw, obj, MediaType::DockerManifestList, limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::tree::Node;
    use crate::platform::Platform;

    // distribution docs/spec/manifest-v2-2.md "Example Manifest list".
    const EXAMPLE: &str = r#"{
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {
      "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
      "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
      "size": 7143,
      "platform": {
        "architecture": "ppc64le",
        "os": "linux"
      }
    },
    {
      "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
      "digest": "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
      "size": 7682,
      "platform": {
        "architecture": "amd64",
        "os": "linux",
        "features": [
          "sse4"
        ]
      }
    }
  ]
}"#;

    #[test]
    fn example() {
        let v = Node::parse_str(EXAMPLE).expect("json");
        let m = parse(EXAMPLE.as_bytes(), &v, &Limits::default()).expect("valid");
        assert_eq!(m.media_type(), MediaType::DockerManifestList);
        let platforms: Vec<Option<&Platform>> =
            m.manifests().iter().map(|d| d.platform.as_ref()).collect();
        assert_eq!(
            platforms,
            [
                Some(&Platform::new("linux", "ppc64le", "")),
                Some(&Platform::new("linux", "amd64", ""))
            ]
        );
    }
}
