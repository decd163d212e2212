//! The config module's one error enum.

use std::fmt;

use crate::json::StrictError;
use crate::ErrorCode;

/// Why bytes are not a usable image config, or why a config does not fit its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The document is larger than [`super::MAX_CONFIG_SIZE`].
    TooLarge {
        /// Size of the document in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not strict JSON: a duplicate key, trailing data, nesting deeper than
    /// [`crate::json::MAX_DEPTH`], or not JSON at all (the code is the
    /// [`StrictError`]'s: `duplicate-key`, `trailing-data`, `json-too-deep`,
    /// `invalid-json`).
    Json(StrictError),
    /// A required field is absent or `null`.
    MissingField {
        /// Path of the field, such as `rootfs.type`.
        field: String,
    },
    /// A field has the wrong type or an unacceptable value.
    InvalidField {
        /// Path of the field, such as `config.Env[2]`.
        field: String,
        /// What the field must be.
        expected: &'static str,
    },
    /// A string is not an RFC 3339 timestamp ([`super::Timestamp::parse`]).
    InvalidTimestamp {
        /// The rejected input, cut to 80 characters.
        input: String,
    },
    /// `rootfs.diff_ids` does not have one entry per manifest layer.
    DiffIdsMismatch {
        /// Number of diff IDs in the config.
        diff_ids: usize,
        /// Number of layers in the manifest.
        layers: usize,
    },
    /// The history's non-empty entries do not match the manifest layers one to one.
    HistoryMismatch {
        /// History entries without `empty_layer: true`.
        non_empty: usize,
        /// Number of layers in the manifest.
        layers: usize,
    },
    /// A schema 1 manifest has no history entries to convert.
    Schema1Empty,
    /// A schema 1 v1Compatibility `id` is not 64 lowercase hex characters.
    Schema1InvalidId {
        /// Index of the history entry, newest first as in the manifest.
        index: usize,
    },
    /// A schema 1 v1Compatibility `id` appears twice, not next to each other.
    Schema1DuplicateId {
        /// Index of the later history entry.
        index: usize,
    },
    /// A schema 1 v1Compatibility `parent` is not the `id` of the next (older) entry, or
    /// the oldest entry has a parent.
    Schema1InvalidParent {
        /// Index of the history entry.
        index: usize,
    },
}

impl ErrorCode for ConfigError {
    fn code(&self) -> &'static str {
        match self {
            ConfigError::TooLarge { .. } => "config-too-large",
            ConfigError::Json(e) => e.code(),
            ConfigError::MissingField { .. } => "missing-field",
            ConfigError::InvalidField { .. } => "invalid-field",
            ConfigError::InvalidTimestamp { .. } => "invalid-timestamp",
            ConfigError::DiffIdsMismatch { .. } => "diff-ids-mismatch",
            ConfigError::HistoryMismatch { .. } => "history-mismatch",
            ConfigError::Schema1Empty => "schema1-empty",
            ConfigError::Schema1InvalidId { .. } => "schema1-invalid-id",
            ConfigError::Schema1DuplicateId { .. } => "schema1-duplicate-id",
            ConfigError::Schema1InvalidParent { .. } => "schema1-invalid-parent",
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::TooLarge { size, limit } => {
                write!(f, "image config too large: {size} bytes, limit {limit}")
            }
            ConfigError::Json(e) => write!(f, "image config: {e}"),
            ConfigError::MissingField { field } => write!(f, "image config: missing field {field}"),
            ConfigError::InvalidField { field, expected } => {
                write!(f, "image config: field {field} must be {expected}")
            }
            ConfigError::InvalidTimestamp { input } => {
                write!(f, "invalid rfc 3339 timestamp: {input:?}")
            }
            ConfigError::DiffIdsMismatch { diff_ids, layers } => write!(
                f,
                "image config has {diff_ids} diff ids but the manifest has {layers} layers"
            ),
            ConfigError::HistoryMismatch { non_empty, layers } => write!(
                f,
                "image config history has {non_empty} non-empty entries but the manifest has {layers} layers"
            ),
            ConfigError::Schema1Empty => f.write_str("schema1 manifest has no history"),
            ConfigError::Schema1InvalidId { index } => {
                write!(f, "schema1 history[{index}]: id is not 64 lowercase hex characters")
            }
            ConfigError::Schema1DuplicateId { index } => {
                write!(f, "schema1 history[{index}]: id appears more than once")
            }
            ConfigError::Schema1InvalidParent { index } => {
                write!(f, "schema1 history[{index}]: parent does not match the next layer id")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<StrictError> for ConfigError {
    fn from(e: StrictError) -> Self {
        match e {
            StrictError::DuplicateKey(key) => {
                ConfigError::Json(StrictError::DuplicateKey(crate::digest::excerpt(&key)))
            }
            other => ConfigError::Json(other),
        }
    }
}
