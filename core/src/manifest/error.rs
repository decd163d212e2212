//! [`ManifestError`], the one error type of the manifest module.

use std::fmt;

use crate::descriptor::DescriptorError;
use crate::digest::{Digest, DigestError};
use crate::json::StrictError;
use crate::media_type::MediaType;
use crate::ErrorCode;

/// Which declaration of a manifest's media type disagreed with another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MismatchSource {
    /// The HTTP `Content-Type` header.
    ContentType,
    /// The `mediaType` of the descriptor that pointed at the manifest (index entry, or
    /// the descriptor a pull was asked for).
    ParentDescriptor,
}

impl MismatchSource {
    /// A short lower-case name for messages and bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            MismatchSource::ContentType => "content-type",
            MismatchSource::ParentDescriptor => "parent-descriptor",
        }
    }
}

/// Why bytes are not an acceptable manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManifestError {
    /// The body is longer than [`Limits::max_bytes`](super::Limits::max_bytes).
    TooLarge {
        /// Body length in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not strict JSON, or not a JSON object: a duplicate key (readers could disagree on
    /// its value), trailing data, nesting deeper than [`crate::json::MAX_DEPTH`], bad
    /// syntax (the code is the [`StrictError`]'s: `duplicate-key`, `trailing-data`,
    /// `json-too-deep`, `invalid-json`).
    Json(StrictError),
    /// The document has the fields of two kinds at once, e.g. `manifests` and `layers`,
    /// so an index reader and a manifest reader would see different images
    /// (CVE-2021-41190, GHSA-77vh-xpmg-72qh).
    Ambiguous {
        /// The kind-defining fields present.
        fields: Vec<&'static str>,
    },
    /// The document has a field of another kind than the one it was declared as, e.g. a
    /// manifest with `manifests` (containerd's `validateMediaType`, CVE-2021-41190).
    UnexpectedField {
        /// The field that belongs to another kind.
        field: &'static str,
        /// The declared (or detected) media type.
        media_type: MediaType,
    },
    /// The body's `mediaType` (or, without one, the `Content-Type`) disagrees with
    /// another declaration.
    MediaTypeMismatch {
        /// The declaration that disagreed.
        source: MismatchSource,
        /// What that declaration says.
        declared: String,
        /// What the document (or the `Content-Type`) says.
        found: String,
    },
    /// A declared media type is not a manifest or index type hoist can parse.
    UnsupportedMediaType {
        /// The media type, cut to 80 characters.
        media_type: String,
    },
    /// Nothing says what the document is and its shape does not tell either.
    UnknownKind,
    /// A media type field does not fit the RFC 6838 grammar.
    InvalidMediaType {
        /// The JSON path of the field.
        field: String,
        /// The rejected value, cut to 80 characters.
        value: String,
    },
    /// A required field is absent.
    MissingField {
        /// The JSON path of the field.
        field: String,
    },
    /// A field has the wrong JSON type.
    InvalidFieldType {
        /// The JSON path of the field.
        field: String,
        /// The type it must have.
        expected: &'static str,
    },
    /// `schemaVersion` is not the integer this kind requires.
    InvalidSchemaVersion {
        /// The version this kind requires.
        expected: u8,
        /// The value found, as JSON, cut to 80 characters.
        found: String,
    },
    /// More layers than [`Limits::max_layers`](super::Limits::max_layers).
    TooManyLayers {
        /// Layers listed.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// More index entries than [`Limits::max_index_entries`](super::Limits::max_index_entries).
    TooManyManifests {
        /// Entries listed.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A descriptor is invalid; the code is the descriptor error's.
    Descriptor {
        /// The JSON path of the descriptor, e.g. `layers[2]`.
        field: String,
        /// What is wrong with it.
        error: DescriptorError,
    },
    /// A digest field outside a descriptor (schema 1 `blobSum`) is invalid; the code is
    /// the digest error's.
    Digest {
        /// The JSON path of the field.
        field: String,
        /// What is wrong with it.
        error: DigestError,
    },
    /// A schema 1 JWS signature block cannot be read, so the signed payload (and with it
    /// the manifest digest) is unknown.
    InvalidSignature {
        /// What is wrong.
        reason: &'static str,
    },
    /// A schema 1 manifest breaks the rules docker and containers/image apply
    /// (`history` and `fsLayers` lengths, v1 IDs, the parent chain).
    InvalidSchema1 {
        /// What is wrong, naming the entry.
        reason: String,
    },
    /// The manifest does not hash to the expected digest.
    DigestMismatch {
        /// The digest it was expected to have.
        expected: Digest,
        /// The digest it has.
        actual: Digest,
    },
}

impl ErrorCode for ManifestError {
    fn code(&self) -> &'static str {
        match self {
            ManifestError::TooLarge { .. } => "manifest-too-large",
            ManifestError::Json(e) => e.code(),
            ManifestError::Ambiguous { .. } | ManifestError::UnexpectedField { .. } => {
                "ambiguous-manifest"
            }
            ManifestError::MediaTypeMismatch { .. } => "media-type-mismatch",
            ManifestError::UnsupportedMediaType { .. } | ManifestError::UnknownKind => {
                "unsupported-media-type"
            }
            ManifestError::InvalidMediaType { .. } => "invalid-media-type",
            ManifestError::MissingField { .. } => "missing-field",
            ManifestError::InvalidFieldType { .. } => "invalid-field-type",
            ManifestError::InvalidSchemaVersion { .. } => "invalid-schema-version",
            ManifestError::TooManyLayers { .. } => "too-many-layers",
            ManifestError::TooManyManifests { .. } => "too-many-manifests",
            ManifestError::Descriptor { error, .. } => error.code(),
            ManifestError::Digest { error, .. } => error.code(),
            ManifestError::InvalidSignature { .. } => "invalid-signature",
            ManifestError::InvalidSchema1 { .. } => "invalid-schema1",
            ManifestError::DigestMismatch { .. } => "digest-mismatch",
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::TooLarge { size, limit } => {
                write!(f, "manifest too large: {size} bytes, limit {limit}")
            }
            ManifestError::Json(e) => write!(f, "manifest: {e}"),
            ManifestError::Ambiguous { fields } => write!(
                f,
                "ambiguous manifest: has fields of several kinds ({})",
                fields.join(", ")
            ),
            ManifestError::UnexpectedField { field, media_type } => write!(
                f,
                "ambiguous manifest: {media_type} document has field {field:?}"
            ),
            ManifestError::MediaTypeMismatch {
                source,
                declared,
                found,
            } => write!(
                f,
                "media type mismatch: {} says {declared}, document is {found}",
                source.as_str()
            ),
            ManifestError::UnsupportedMediaType { media_type } => {
                write!(f, "unsupported manifest media type {media_type:?}")
            }
            ManifestError::UnknownKind => f.write_str("cannot tell what kind of manifest this is"),
            ManifestError::InvalidMediaType { field, value } => {
                write!(f, "{field}: invalid media type {value:?}")
            }
            ManifestError::MissingField { field } => write!(f, "missing field {field:?}"),
            ManifestError::InvalidFieldType { field, expected } => {
                write!(f, "field {field:?} must be {expected}")
            }
            ManifestError::InvalidSchemaVersion { expected, found } => {
                write!(f, "schemaVersion must be {expected}, found {found}")
            }
            ManifestError::TooManyLayers { count, limit } => {
                write!(f, "too many layers: {count}, limit {limit}")
            }
            ManifestError::TooManyManifests { count, limit } => {
                write!(f, "too many index entries: {count}, limit {limit}")
            }
            ManifestError::Descriptor { field, error } => write!(f, "{field}: {error}"),
            ManifestError::Digest { field, error } => write!(f, "{field}: {error}"),
            ManifestError::InvalidSignature { reason } => {
                write!(f, "invalid schema1 signature: {reason}")
            }
            ManifestError::InvalidSchema1 { reason } => {
                write!(f, "invalid schema1 manifest: {reason}")
            }
            ManifestError::DigestMismatch { expected, actual } => {
                write!(
                    f,
                    "manifest digest mismatch: expected {expected}, got {actual}"
                )
            }
        }
    }
}

impl std::error::Error for ManifestError {}

impl From<StrictError> for ManifestError {
    fn from(e: StrictError) -> Self {
        match e {
            StrictError::DuplicateKey(key) => {
                ManifestError::Json(StrictError::DuplicateKey(crate::digest::excerpt(&key)))
            }
            other => ManifestError::Json(other),
        }
    }
}
