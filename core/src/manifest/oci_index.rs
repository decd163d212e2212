//! OCI image indexes (image-spec `image-index.md`), and the [`ImageIndex`] shape they
//! share with Docker manifest lists.
//!
//! Rules (image-spec 1.1):
//! - `schemaVersion` REQUIRED, exactly `2`;
//! - `mediaType` SHOULD be set and, when set, MUST be the OCI index type (checked in
//!   [`detect`](super::detect));
//! - `manifests` REQUIRED, descriptors; entries of unknown media types are legal (the
//!   caller skips what it cannot use); `platform` is optional per entry;
//! - `subject`, `artifactType`, `annotations` OPTIONAL.

use super::fields::{self, Object};
use super::{Limits, ManifestError};
use crate::descriptor::{Annotations, Descriptor};
use crate::digest::Digest;
use crate::media_type::MediaType;

/// A multi-image document: OCI image index or Docker manifest list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageIndex {
    pub(crate) raw: Vec<u8>,
    pub(crate) digest: Digest,
    pub(crate) media_type: MediaType,
    pub(crate) manifests: Vec<Descriptor>,
    pub(crate) annotations: Annotations,
    pub(crate) subject: Option<Descriptor>,
    pub(crate) artifact_type: Option<String>,
}

impl ImageIndex {
    /// [`MediaType::OciIndex`] or [`MediaType::DockerManifestList`].
    pub fn media_type(&self) -> MediaType {
        self.media_type
    }

    /// The exact bytes received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// SHA-256 of [`ImageIndex::raw`].
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The entries, in document order (see [`crate::platform::select_platform`]).
    pub fn manifests(&self) -> &[Descriptor] {
        &self.manifests
    }

    /// The index's annotations.
    pub fn annotations(&self) -> &Annotations {
        &self.annotations
    }

    /// The manifest this index refers to (image-spec 1.1). `None` for Docker lists.
    pub fn subject(&self) -> Option<&Descriptor> {
        self.subject.as_ref()
    }

    /// The `artifactType` field as written. `None` for Docker lists.
    pub fn artifact_type(&self) -> Option<&str> {
        self.artifact_type.as_deref()
    }
}

/// Reads an OCI image index from its already-checked JSON object.
pub(crate) fn parse(
    raw: &[u8],
    obj: &Object<'_>,
    limits: &Limits,
) -> Result<ImageIndex, ManifestError> {
    let mut m = parse_shape(raw, obj, MediaType::OciIndex, limits)?;
    m.subject = fields::descriptor(obj, "subject")?;
    m.artifact_type = fields::artifact_type(obj)?;
    Ok(m)
}

/// The fields both index kinds share.
pub(crate) fn parse_shape(
    raw: &[u8],
    obj: &Object<'_>,
    media_type: MediaType,
    limits: &Limits,
) -> Result<ImageIndex, ManifestError> {
    fields::schema_version(obj, 2)?;
    let manifests = fields::descriptors(
        obj,
        "manifests",
        limits.max_index_entries,
        |count, limit| ManifestError::TooManyManifests { count, limit },
    )?;
    Ok(ImageIndex {
        raw: raw.to_vec(),
        digest: Digest::sha256_of(raw),
        media_type,
        manifests,
        annotations: fields::annotations(obj)?,
        subject: None,
        artifact_type: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::tree::Node;
    use crate::ErrorCode;

    fn run(text: &str, limits: &Limits) -> Result<ImageIndex, &'static str> {
        let v = Node::parse_str(text).expect("json");
        parse(text.as_bytes(), &v, limits).map_err(|e| e.code())
    }

    const E: &str = r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7143,"digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f","platform":{"architecture":"ppc64le","os":"linux"}}"#;

    #[test]
    fn table() {
        // image-spec schema/imageindex_test.go TestImageIndex
        let d = Limits::default();
        let with = |entry: &str| format!(r#"{{"schemaVersion":2,"manifests":[{entry}]}}"#);
        let cases: Vec<(String, Result<usize, &str>)> = vec![
            (
                with(&E.replace("application/vnd.oci.image.manifest.v1+json", "invalid")),
                Err("invalid-media-type"),
            ),
            (
                with(&E.replace("7143", "\"7682\"")),
                Err("invalid-field-type"),
            ),
            (
                with(
                    r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7682,"platform":{"architecture":"amd64","os":"linux","features":["sse4"]}}"#,
                ),
                Err("missing-field"),
            ),
            (
                with(
                    r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7682,"digest":"sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270"}"#,
                ),
                Ok(1),
            ),
            (
                with(&E.replace("application/vnd.oci.image.manifest.v1+json", "")),
                Err("invalid-media-type"),
            ),
            (
                format!(
                    r#"{{"schemaVersion":2,"manifests":[{E},{E}],"annotations":{{"com.example.key1":"value1"}}}}"#
                ),
                Ok(2),
            ),
            (with(E), Ok(1)),
            (
                with(&E.replace(
                    "application/vnd.oci.image.manifest.v1+json",
                    "application/customized.manifest+json",
                )),
                Ok(1),
            ),
            (r#"{"schemaVersion":2,"manifests":[]}"#.into(), Ok(0)),
            (r#"{"schemaVersion":2}"#.into(), Err("missing-field")),
            (
                r#"{"schemaVersion":2,"manifests":{}}"#.into(),
                Err("invalid-field-type"),
            ),
            (
                with(&E.replace("\"os\":\"linux\"", "\"os\":1")),
                Err("invalid-field-type"),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(run(&text, &d).map(|m| m.manifests().len()), want, "{text}");
        }
    }

    #[test]
    fn limits_and_accessors() {
        let text = format!(
            r#"{{"schemaVersion":2,"manifests":[{E},{E}],"subject":{E},"artifactType":"application/x.y"}}"#
        );
        let tight = Limits {
            max_index_entries: 1,
            ..Limits::default()
        };
        assert_eq!(run(&text, &tight).map(|_| ()), Err("too-many-manifests"));
        let m = run(&text, &Limits::default()).expect("valid");
        assert_eq!(m.media_type(), MediaType::OciIndex);
        assert_eq!(m.digest(), &Digest::sha256_of(text.as_bytes()));
        assert_eq!(m.raw(), text.as_bytes());
        assert!(m.annotations().is_empty());
        assert_eq!(m.subject().map(|s| s.size), Some(7143));
        assert_eq!(m.artifact_type(), Some("application/x.y"));
    }
}
