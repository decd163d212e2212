//! Typed reads of top-level manifest fields, each failing with a [`ManifestError`] that
//! names the field.

use super::tree::{Json, Node};
use super::ManifestError;
use crate::descriptor::{annotations_from, Annotations, Descriptor};
use crate::digest::excerpt;
use crate::media_type;

/// A JSON object node (callers have checked that it is one).
pub(crate) type Object<'a> = Node<'a>;

/// Requires `schemaVersion` to be the integer `expected`.
pub(crate) fn schema_version(obj: &Object<'_>, expected: u8) -> Result<(), ManifestError> {
    match obj.get("schemaVersion") {
        None => Err(missing("schemaVersion")),
        Some(v) if v.as_u64() == Some(u64::from(expected)) => Ok(()),
        Some(v) => Err(ManifestError::InvalidSchemaVersion {
            expected,
            found: excerpt(&v.to_text()),
        }),
    }
}

pub(crate) fn missing(field: &str) -> ManifestError {
    ManifestError::MissingField {
        field: field.to_owned(),
    }
}

pub(crate) fn wrong_type(field: &str, expected: &'static str) -> ManifestError {
    ManifestError::InvalidFieldType {
        field: field.to_owned(),
        expected,
    }
}

fn descriptor_at(value: &Node<'_>, path: String) -> Result<Descriptor, ManifestError> {
    Descriptor::from_json(value).map_err(|error| ManifestError::Descriptor { field: path, error })
}

/// An optional descriptor field (`null` counts as absent, as Go reads it).
pub(crate) fn descriptor(
    obj: &Object<'_>,
    field: &str,
) -> Result<Option<Descriptor>, ManifestError> {
    match obj.get(field) {
        None | Some(Node::Null) => Ok(None),
        Some(v) => descriptor_at(v, field.to_owned()).map(Some),
    }
}

/// A required descriptor field.
pub(crate) fn required_descriptor(
    obj: &Object<'_>,
    field: &str,
) -> Result<Descriptor, ManifestError> {
    descriptor(obj, field)?.ok_or_else(|| missing(field))
}

/// A required array of descriptors. `null` reads as empty, as Go's `encoding/json`
/// writes a nil slice that way. The count is checked against `limit` before any entry
/// is read.
pub(crate) fn descriptors(
    obj: &Object<'_>,
    field: &str,
    limit: usize,
    too_many: fn(usize, usize) -> ManifestError,
) -> Result<Vec<Descriptor>, ManifestError> {
    let items = match obj.get(field) {
        None => return Err(missing(field)),
        Some(Node::Null) => return Ok(Vec::new()),
        Some(Node::Array(items)) => items,
        Some(_) => return Err(wrong_type(field, "an array of descriptors")),
    };
    if items.len() > limit {
        return Err(too_many(items.len(), limit));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| descriptor_at(v, format!("{field}[{i}]")))
        .collect()
}

/// The optional top-level `annotations` map.
pub(crate) fn annotations(obj: &Object<'_>) -> Result<Annotations, ManifestError> {
    annotations_from(obj.get("annotations")).map_err(|expected| wrong_type("annotations", expected))
}

/// The optional top-level `artifactType` (image-spec 1.1), which MUST fit RFC 6838.
pub(crate) fn artifact_type(obj: &Object<'_>) -> Result<Option<String>, ManifestError> {
    match optional_str(obj, "artifactType")? {
        None => Ok(None),
        Some(s) if media_type::is_valid(s) => Ok(Some(s.to_owned())),
        Some(s) => Err(ManifestError::InvalidMediaType {
            field: "artifactType".into(),
            value: excerpt(s),
        }),
    }
}

/// An optional string field (`null` counts as absent).
pub(crate) fn optional_str<'a>(
    obj: &'a Object<'_>,
    field: &str,
) -> Result<Option<&'a str>, ManifestError> {
    match obj.get(field) {
        None | Some(Node::Null) => Ok(None),
        Some(Node::Str(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type(field, "a string")),
    }
}
