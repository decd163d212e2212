//! What kind of document a manifest body is.
//!
//! Three things may say it, and hoist requires them to agree:
//!
//! 1. the body's own `mediaType` field (SHOULD be set in OCI documents since image-spec
//!    1.0.2, always set in Docker schema 2 documents);
//! 2. the `Content-Type` header, unless it is missing or generic
//!    ([`media_type::is_generic_content_type`]: `application/json`, `text/plain`,
//!    `application/octet-stream`), in which case it says nothing;
//! 3. the `mediaType` of the parent descriptor (the index entry, or the descriptor a pull
//!    asked for).
//!
//! The body wins when present; a disagreement is `media-type-mismatch`, naming the
//! declaration that disagreed ([`MismatchSource`]). The two schema 1 types count as one:
//! whether a schema 1 manifest is signed is read from the body (`signatures`), as
//! containers/image `GuessMIMEType` does, because that decides its digest.
//!
//! When nothing declares a type, the body is sniffed like `GuessMIMEType`:
//! `schemaVersion` 1 is schema 1; `schemaVersion` 2 is an index if it has `manifests`,
//! a Docker manifest if its config is a Docker config, and an OCI manifest otherwise
//! (which covers artifacts with custom config types). (`GuessMIMEType` reads an empty
//! `manifests` array as a manifest; hoist reads it as the empty index it is.)
//!
//! Before any of that, the shape is checked (CVE-2021-41190): a document with the
//! kind-defining fields of two kinds (`config`/`layers`, `manifests`, `fsLayers`) is
//! `ambiguous-manifest`, and so is a document whose one kind disagrees with its type
//! (containerd `validateMediaType`).

use super::fields::{self, Object};
use super::tree::{Json, Node};
use super::{ManifestError, MismatchSource};
use crate::digest::excerpt;
use crate::media_type::{self, MediaType};

/// The kind-defining fields, by shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Image,
    Index,
    Schema1,
}

const SHAPE_FIELDS: [(&str, Shape); 4] = [
    ("config", Shape::Image),
    ("layers", Shape::Image),
    ("manifests", Shape::Index),
    ("fsLayers", Shape::Schema1),
];

fn shape_of(m: MediaType) -> Shape {
    if m.is_index() {
        Shape::Index
    } else if m.is_schema1() {
        Shape::Schema1
    } else {
        Shape::Image
    }
}

/// Decides the document's media type (see the module docs).
pub(crate) fn detect(
    obj: &Object<'_>,
    content_type: Option<&str>,
    parent: Option<&str>,
) -> Result<MediaType, ManifestError> {
    let present: Vec<(&'static str, Shape)> = SHAPE_FIELDS
        .into_iter()
        .filter(|(f, _)| obj.get(f).is_some())
        .collect();
    if present
        .iter()
        .any(|(_, s)| Some(s) != present.first().map(|(_, s)| s))
    {
        return Err(ManifestError::Ambiguous {
            fields: present.into_iter().map(|(f, _)| f).collect(),
        });
    }

    let body = match fields::optional_str(obj, "mediaType")? {
        None => None,
        Some(s) => Some((s, declared(s, "mediaType")?)),
    };
    let header = content_type
        .filter(|c| !media_type::is_generic_content_type(c))
        .map(|c| declared(c, "Content-Type").map(|m| (c, m)))
        .transpose()?;
    let parent = parent
        .filter(|c| !media_type::is_generic_content_type(c))
        .map(|c| declared(c, "parent mediaType").map(|m| (c, m)))
        .transpose()?;

    let mismatch = |source, declared: &str, found: &str| ManifestError::MediaTypeMismatch {
        source,
        declared: excerpt(media_type::essence(declared)),
        found: excerpt(media_type::essence(found)),
    };
    let first = match (body, header) {
        (Some((b, bm)), Some((h, hm))) if shape_kind(bm) != shape_kind(hm) => {
            return Err(mismatch(MismatchSource::ContentType, h, b));
        }
        (Some(b), _) => Some(b),
        (None, h) => h,
    };
    if let (Some((f, fm)), Some((p, pm))) = (first, parent) {
        if shape_kind(fm) != shape_kind(pm) {
            return Err(mismatch(MismatchSource::ParentDescriptor, p, f));
        }
    }

    let mut resolved = match first.or(parent) {
        Some((_, m)) => m,
        None => sniff(obj, present.first().map(|(_, s)| *s))?,
    };
    if resolved.is_schema1() {
        resolved = if obj.get("signatures").is_some() {
            MediaType::DockerSchema1SignedManifest
        } else {
            MediaType::DockerSchema1Manifest
        };
    }
    if let Some((field, shape)) = present.first() {
        if *shape != shape_of(resolved) {
            return Err(ManifestError::UnexpectedField {
                field,
                media_type: resolved,
            });
        }
    }
    Ok(resolved)
}

/// Kinds that must agree: the two schema 1 types are one kind.
fn shape_kind(m: MediaType) -> MediaType {
    if m.is_schema1() {
        MediaType::DockerSchema1Manifest
    } else {
        m
    }
}

/// A declared media type that must name a manifest or index type.
fn declared(s: &str, field: &str) -> Result<MediaType, ManifestError> {
    let essence = media_type::essence(s);
    if !media_type::is_valid(essence) {
        return Err(ManifestError::InvalidMediaType {
            field: field.to_owned(),
            value: excerpt(s),
        });
    }
    match MediaType::parse(essence) {
        Some(m) if m.is_manifest_or_index() => Ok(m),
        _ => Err(ManifestError::UnsupportedMediaType {
            media_type: excerpt(essence),
        }),
    }
}

/// containers/image `GuessMIMEType`, for documents nothing declares.
fn sniff(obj: &Object<'_>, shape: Option<Shape>) -> Result<MediaType, ManifestError> {
    match obj.get("schemaVersion") {
        None => Err(fields::missing("schemaVersion")),
        Some(v) if v.as_u64() == Some(1) => Ok(MediaType::DockerSchema1Manifest),
        Some(v) if v.as_u64() == Some(2) => match shape {
            Some(Shape::Index) => Ok(MediaType::OciIndex),
            Some(Shape::Schema1) => Err(ManifestError::UnknownKind),
            Some(Shape::Image) | None => {
                let config_type = obj
                    .get("config")
                    .and_then(|c| c.get("mediaType"))
                    .and_then(Node::as_str);
                if config_type == Some(media_type::DOCKER_CONFIG) {
                    Ok(MediaType::DockerManifest)
                } else {
                    Ok(MediaType::OciManifest)
                }
            }
        },
        Some(v) => Err(ManifestError::InvalidSchemaVersion {
            expected: 2,
            found: excerpt(&v.to_text()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    const OCI_M: &str = media_type::OCI_MANIFEST;
    const OCI_I: &str = media_type::OCI_INDEX;
    const DOCKER_M: &str = media_type::DOCKER_MANIFEST;
    const DOCKER_L: &str = media_type::DOCKER_MANIFEST_LIST;
    const S1: &str = media_type::DOCKER_SCHEMA1_MANIFEST;
    const S1S: &str = media_type::DOCKER_SCHEMA1_SIGNED_MANIFEST;

    fn run(
        body: &str,
        ct: Option<&str>,
        parent: Option<&str>,
    ) -> Result<&'static str, &'static str> {
        let v = Node::parse_str(body).expect("json");
        detect(&v, ct, parent)
            .map(MediaType::as_str)
            .map_err(|e| e.code())
    }

    #[test]
    fn table() {
        let oci_m =
            format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_M}","config":{{}},"layers":[]}}"#);
        let oci_nomime = r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json"},"layers":[]}"#;
        let docker_nomime = r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.docker.container.image.v1+json"},"layers":[]}"#;
        let artifact_nomime =
            r#"{"schemaVersion":2,"config":{"mediaType":"application/x-custom"},"layers":[]}"#;
        let index_nomime = r#"{"schemaVersion":2,"manifests":[]}"#;
        let s1 = r#"{"schemaVersion":1,"fsLayers":[],"history":[]}"#;
        let s1_signed = r#"{"schemaVersion":1,"fsLayers":[],"history":[],"signatures":[]}"#;
        let with_params = format!("{OCI_M}; charset=utf-8");
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            Result<&'a str, &'a str>,
        );
        let cases: Vec<Case<'_>> = vec![
            (&oci_m, None, None, Ok(OCI_M)),
            (&oci_m, Some(OCI_M), Some(OCI_M), Ok(OCI_M)),
            (&oci_m, Some("application/json"), None, Ok(OCI_M)),
            (&oci_m, Some(&with_params), None, Ok(OCI_M)),
            (&oci_m, Some(DOCKER_M), None, Err("media-type-mismatch")),
            (&oci_m, None, Some(DOCKER_M), Err("media-type-mismatch")),
            (
                &oci_m,
                Some("text/html"),
                None,
                Err("unsupported-media-type"),
            ),
            (
                &oci_m,
                Some(media_type::OCI_CONFIG),
                None,
                Err("unsupported-media-type"),
            ),
            (oci_nomime, None, None, Ok(OCI_M)),
            (oci_nomime, Some(DOCKER_M), None, Ok(DOCKER_M)),
            (
                oci_nomime,
                Some(DOCKER_M),
                Some(OCI_M),
                Err("media-type-mismatch"),
            ),
            (oci_nomime, None, Some(OCI_M), Ok(OCI_M)),
            (oci_nomime, Some(OCI_I), None, Err("ambiguous-manifest")),
            (docker_nomime, None, None, Ok(DOCKER_M)),
            (docker_nomime, Some("text/plain"), None, Ok(DOCKER_M)),
            (artifact_nomime, None, None, Ok(OCI_M)),
            (index_nomime, None, None, Ok(OCI_I)),
            (index_nomime, Some(DOCKER_L), None, Ok(DOCKER_L)),
            (index_nomime, Some(OCI_M), None, Err("ambiguous-manifest")),
            (s1, None, None, Ok(S1)),
            (s1, Some(S1S), None, Ok(S1)),
            (s1_signed, Some(S1), None, Ok(S1S)),
            (s1_signed, Some("application/json"), Some(S1), Ok(S1S)),
            (s1, Some(OCI_M), None, Err("ambiguous-manifest")),
            (
                r#"{"schemaVersion":2,"manifests":[],"layers":[]}"#,
                None,
                None,
                Err("ambiguous-manifest"),
            ),
            (
                r#"{"schemaVersion":2,"manifests":[],"config":{}}"#,
                Some(OCI_I),
                None,
                Err("ambiguous-manifest"),
            ),
            (
                r#"{"schemaVersion":2,"fsLayers":[],"layers":[]}"#,
                None,
                None,
                Err("ambiguous-manifest"),
            ),
            (
                r#"{"schemaVersion":2,"fsLayers":[]}"#,
                None,
                None,
                Err("unsupported-media-type"),
            ),
            (
                r#"{"schemaVersion":3}"#,
                None,
                None,
                Err("invalid-schema-version"),
            ),
            (r#"{}"#, None, None, Err("missing-field")),
            (
                r#"{"schemaVersion":2,"mediaType":"invalid"}"#,
                None,
                None,
                Err("invalid-media-type"),
            ),
            (
                r#"{"schemaVersion":2,"mediaType":"application/x-foo"}"#,
                None,
                None,
                Err("unsupported-media-type"),
            ),
            (
                r#"{"schemaVersion":2,"mediaType":7}"#,
                None,
                None,
                Err("invalid-field-type"),
            ),
        ];
        for (body, ct, parent, want) in cases {
            assert_eq!(run(body, ct, parent), want, "{body} {ct:?} {parent:?}");
        }
    }

    #[test]
    fn mismatch_names_the_source() {
        let text = format!(r#"{{"mediaType":"{OCI_M}"}}"#);
        let v = Node::parse_str(&text).expect("json");
        let obj = &v;
        let e = detect(obj, None, Some(DOCKER_M)).expect_err("mismatch");
        assert!(matches!(
            e,
            ManifestError::MediaTypeMismatch {
                source: MismatchSource::ParentDescriptor,
                ..
            }
        ));
        let e = detect(obj, Some(DOCKER_M), Some(OCI_M)).expect_err("mismatch");
        assert!(matches!(
            e,
            ManifestError::MediaTypeMismatch {
                source: MismatchSource::ContentType,
                ..
            }
        ));
        assert!(
            e.to_string()
                .contains("content-type says application/vnd.docker"),
            "{e}"
        );
    }
}
