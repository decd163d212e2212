//! OCI image manifests (image-spec `manifest.md`), and the [`ImageManifest`] shape they
//! share with Docker schema 2 (image-spec's manifest was derived from it).
//!
//! Rules (image-spec 1.1):
//! - `schemaVersion` REQUIRED, exactly `2`;
//! - `mediaType` SHOULD be set and, when set, MUST be the OCI manifest type (checked in
//!   [`detect`](super::detect));
//! - `config` REQUIRED, a descriptor of any media type (artifacts use their own, or
//!   `application/vnd.oci.empty.v1+json`);
//! - `layers` REQUIRED, descriptors, base layer first. "For portability, layers SHOULD
//!   have at least one entry": an empty array is accepted (Docker builds `FROM scratch`
//!   images without layers); `null` reads as empty, as Go writes nil slices;
//! - `subject`, `artifactType`, `annotations` OPTIONAL.

use super::fields::{self, Object};
use super::{Limits, ManifestError};
use crate::descriptor::{Annotations, Descriptor};
use crate::digest::Digest;
use crate::media_type::MediaType;

/// A single-image manifest: OCI image manifest or Docker schema 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageManifest {
    pub(crate) raw: Vec<u8>,
    pub(crate) digest: Digest,
    pub(crate) media_type: MediaType,
    pub(crate) config: Descriptor,
    pub(crate) layers: Vec<Descriptor>,
    pub(crate) annotations: Annotations,
    pub(crate) subject: Option<Descriptor>,
    pub(crate) artifact_type: Option<String>,
}

impl ImageManifest {
    /// [`MediaType::OciManifest`] or [`MediaType::DockerManifest`].
    pub fn media_type(&self) -> MediaType {
        self.media_type
    }

    /// The exact bytes received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// SHA-256 of [`ImageManifest::raw`].
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The configuration blob's descriptor.
    pub fn config(&self) -> &Descriptor {
        &self.config
    }

    /// The layers, base layer first.
    pub fn layers(&self) -> &[Descriptor] {
        &self.layers
    }

    /// The manifest's annotations.
    pub fn annotations(&self) -> &Annotations {
        &self.annotations
    }

    /// The manifest this one refers to (image-spec 1.1 referrers). Always `None` for
    /// Docker schema 2, which has no such field.
    pub fn subject(&self) -> Option<&Descriptor> {
        self.subject.as_ref()
    }

    /// The `artifactType` field as written. (When absent, image-spec says an artifact's
    /// type is its config's media type; that rule is the caller's to apply.) Always
    /// `None` for Docker schema 2.
    pub fn artifact_type(&self) -> Option<&str> {
        self.artifact_type.as_deref()
    }
}

/// Reads an OCI image manifest from its already-checked JSON object.
pub(crate) fn parse(
    raw: &[u8],
    obj: &Object<'_>,
    limits: &Limits,
) -> Result<ImageManifest, ManifestError> {
    let mut m = parse_shape(raw, obj, MediaType::OciManifest, limits)?;
    m.subject = fields::descriptor(obj, "subject")?;
    m.artifact_type = fields::artifact_type(obj)?;
    Ok(m)
}

/// The fields both image manifest kinds share.
pub(crate) fn parse_shape(
    raw: &[u8],
    obj: &Object<'_>,
    media_type: MediaType,
    limits: &Limits,
) -> Result<ImageManifest, ManifestError> {
    fields::schema_version(obj, 2)?;
    let config = fields::required_descriptor(obj, "config")?;
    let layers = fields::descriptors(obj, "layers", limits.max_layers, |count, limit| {
        ManifestError::TooManyLayers { count, limit }
    })?;
    Ok(ImageManifest {
        raw: raw.to_vec(),
        digest: Digest::sha256_of(raw),
        media_type,
        config,
        layers,
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

    const C: &str = r#"{"mediaType":"application/vnd.oci.image.config.v1+json","size":1470,"digest":"sha256:c86f7763873b6c0aae22d963bab59b4f5debbed6685761b5951584f6efb0633b"}"#;
    const L: &str = r#"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":148,"digest":"sha256:c57089565e894899735d458f0fd4bb17a0f1e0df8d72da392b85c9b35ee777cd"}"#;

    fn run(text: &str, limits: &Limits) -> Result<ImageManifest, &'static str> {
        let v = Node::parse_str(text).expect("json");
        parse(text.as_bytes(), &v, limits).map_err(|e| e.code())
    }

    #[test]
    fn table() {
        // image-spec schema/manifest_test.go, plus image-spec 1.1 fields.
        let d = Limits::default();
        let cases: Vec<(String, Result<usize, &str>)> = vec![
            (
                format!(r#"{{"schemaVersion":2,"config":{C},"layers":[{L},{L}]}}"#),
                Ok(2),
            ),
            (
                format!(r#"{{"schemaVersion":2,"config":{C},"layers":[]}}"#),
                Ok(0),
            ),
            (
                format!(r#"{{"schemaVersion":2,"config":{C},"layers":null}}"#),
                Ok(0),
            ),
            (
                format!(r#"{{"schemaVersion":2,"config":{C}}}"#),
                Err("missing-field"),
            ),
            (
                format!(r#"{{"schemaVersion":2,"layers":[{L}]}}"#),
                Err("missing-field"),
            ),
            (
                format!(r#"{{"config":{C},"layers":[{L}]}}"#),
                Err("missing-field"),
            ),
            (
                format!(r#"{{"schemaVersion":1,"config":{C},"layers":[{L}]}}"#),
                Err("invalid-schema-version"),
            ),
            (
                format!(r#"{{"schemaVersion":"2","config":{C},"layers":[{L}]}}"#),
                Err("invalid-schema-version"),
            ),
            (
                format!(r#"{{"schemaVersion":2.0,"config":{C},"layers":[{L}]}}"#),
                Err("invalid-schema-version"),
            ),
            (
                format!(r#"{{"schemaVersion":2,"config":{C},"layers":{L}}}"#),
                Err("invalid-field-type"),
            ),
            (
                format!(
                    r#"{{"schemaVersion":2,"config":{},"layers":[{L}]}}"#,
                    C.replace("1470", "\"1470\"")
                ),
                Err("invalid-field-type"),
            ),
            (
                format!(
                    r#"{{"schemaVersion":2,"config":{C},"layers":[{}]}}"#,
                    L.replace("148", "\"675598\"")
                ),
                Err("invalid-field-type"),
            ),
            (
                format!(
                    r#"{{"schemaVersion":2,"config":{C},"layers":[{L}],"annotations":{{"k":1}}}}"#
                ),
                Err("invalid-field-type"),
            ),
            (
                format!(
                    r#"{{"schemaVersion":2,"config":{C},"layers":[{L}],"artifactType":"foo/.bar"}}"#
                ),
                Err("invalid-media-type"),
            ),
            (
                format!(r#"{{"schemaVersion":2,"config":{C},"layers":[{L}],"subject":{{}}}}"#),
                Err("missing-field"),
            ),
            (
                format!(
                    r#"{{"schemaVersion":2,"config":{C},"layers":[{L}],"subject":{C},"artifactType":"application/x.a"}}"#
                ),
                Ok(1),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(run(&text, &d).map(|m| m.layers().len()), want, "{text}");
        }
    }

    #[test]
    fn limits_and_accessors() {
        let three = format!(
            r#"{{"schemaVersion":2,"config":{C},"layers":[{L},{L},{L}],"annotations":{{"b":"2","a":"1"}},"subject":{C},"artifactType":"application/x.a"}}"#
        );
        let tight = Limits {
            max_layers: 2,
            ..Limits::default()
        };
        assert_eq!(run(&three, &tight).map(|_| ()), Err("too-many-layers"));
        let m = run(&three, &Limits::default()).expect("valid");
        assert_eq!(m.media_type(), MediaType::OciManifest);
        assert_eq!(m.raw(), three.as_bytes());
        assert_eq!(m.digest(), &Digest::sha256_of(three.as_bytes()));
        assert_eq!(m.config().size, 1470);
        assert_eq!(m.annotations().keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(m.subject().map(|s| s.size), Some(1470));
        assert_eq!(m.artifact_type(), Some("application/x.a"));
    }
}
