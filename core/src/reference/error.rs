//! The reference module's one error enum.
//!
//! Codes follow distribution/reference's sentinel errors where one exists
//! (`ErrNameEmpty` → `name-empty`, `ErrNameTooLong` → `name-too-long`, …). A digest that
//! fits the reference grammar but fails go-digest validation keeps the digest module's code
//! (`invalid-digest-format`, `invalid-digest-length`, `unsupported-digest-algorithm`), just
//! as `reference.Parse` returns go-digest's errors unchanged.

use std::fmt;

use crate::digest::{excerpt, DigestError};
use crate::ErrorCode;

/// Why a string is not a usable image reference, registries.conf, short name or image
/// location.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The input is empty (distribution/reference `ErrNameEmpty`).
    NameEmpty,
    /// The repository path is longer than 255 characters (`ErrNameTooLong`). Since
    /// distribution/reference v0.6.0 the domain does not count.
    NameTooLong {
        /// Length of the path found.
        length: usize,
    },
    /// The input would be valid if it were lowercase (`ErrNameContainsUppercase`).
    NameContainsUppercase {
        /// The rejected input, cut to 80 characters.
        input: String,
    },
    /// The input does not fit the reference grammar (`ErrReferenceInvalidFormat`).
    InvalidFormat {
        /// The rejected input, cut to 80 characters.
        input: String,
    },
    /// A tag given to [`super::Reference::with_tag`] does not fit `[\w][\w.-]{0,127}`
    /// (`ErrTagInvalidFormat`).
    InvalidTag {
        /// The rejected tag, cut to 80 characters.
        tag: String,
    },
    /// The digest fits the reference grammar but go-digest rejects it; the code is the
    /// digest module's.
    InvalidDigest(DigestError),
    /// `parse_named` was given a string that is not already in canonical form
    /// (`ErrNameNotCanonical`).
    NameNotCanonical {
        /// The rejected input, cut to 80 characters.
        input: String,
    },
    /// A familiar name that is 64 lowercase hex characters: it could be an image ID, so
    /// `ParseNormalizedNamed` refuses it ("cannot specify 64-byte hexadecimal strings").
    NameIsImageId {
        /// The rejected input.
        input: String,
    },
    /// registries.conf is not TOML, or a key has the wrong type.
    InvalidRegistriesConf {
        /// The key at fault (`registry[0].insecure`), or `line N` for a syntax error.
        key: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A `location` or `prefix` in registries.conf is unusable.
    InvalidRegistryLocation {
        /// The key at fault, such as `registry[1].mirror[0].location`.
        key: String,
        /// The value, cut to 80 characters.
        value: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// One registry location is configured twice with different `insecure` or `blocked`.
    ConflictingRegistrySettings {
        /// The location configured twice.
        location: String,
        /// `insecure` or `blocked`.
        setting: &'static str,
    },
    /// An `unqualified-search-registries` entry is not a `host[:port]`.
    InvalidSearchRegistry {
        /// The entry, cut to 80 characters.
        value: String,
    },
    /// `short-name-mode` is not `enforcing`, `permissive` or `disabled`.
    InvalidShortNameMode {
        /// The value, cut to 80 characters.
        value: String,
    },
    /// `pull-from-mirror` is misused (unknown value, set on a primary registry, or combined
    /// with `mirror-by-digest-only`).
    InvalidPullFromMirror {
        /// The key at fault.
        key: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A `*.`-prefix contains `/`, `@` or `:`.
    InvalidWildcardPrefix {
        /// The prefix, cut to 80 characters.
        prefix: String,
    },
    /// An `[aliases]` entry is unusable.
    InvalidAlias {
        /// The alias name (left-hand side), cut to 80 characters.
        name: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A file mixes the v1 (`[registries.search]`) and v2 formats.
    MixedRegistriesConfVersions,
    /// The registry that matches the reference is `blocked = true`.
    RegistryBlocked {
        /// The matching registry prefix.
        prefix: String,
    },
    /// Rewriting a reference from a registry prefix to a location did not give a valid,
    /// canonical reference.
    InvalidPullSourceRewrite {
        /// The reference being rewritten.
        reference: String,
        /// The location it was rewritten to.
        location: String,
    },
    /// Short-name mode is `enforcing`, no alias matches and more than one
    /// unqualified-search registry could serve the name (containers/image without a TTY).
    ShortNameAmbiguous {
        /// The short name, cut to 80 characters.
        name: String,
        /// The candidates, in search order.
        candidates: Vec<String>,
    },
    /// A short name has no alias and no unqualified-search registries are configured.
    NoSearchRegistries {
        /// The short name, cut to 80 characters.
        name: String,
    },
    /// `name://…` names no transport containers/image knows.
    UnknownTransport {
        /// The transport name, cut to 80 characters.
        transport: String,
    },
    /// A containers/image transport hoist does not implement (`containers-storage:`,
    /// `docker-daemon:`, …).
    UnsupportedTransport {
        /// The transport name.
        transport: String,
    },
    /// A transport's path part is unusable.
    InvalidTransportPath {
        /// The transport.
        transport: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// An `oci:` / `oci-archive:` image name does not fit the image-spec
    /// `org.opencontainers.image.ref.name` grammar.
    InvalidOciImageName {
        /// The name, cut to 80 characters.
        name: String,
    },
    /// A `:@N` source index is not a non-negative integer.
    InvalidSourceIndex {
        /// The index text, cut to 80 characters.
        value: String,
    },
    /// The transport does not accept a reference with both a tag and a digest.
    TagAndDigestNotSupported {
        /// The transport.
        transport: &'static str,
    },
    /// The transport does not accept a digest reference.
    DigestNotSupported {
        /// The transport.
        transport: &'static str,
    },
}

impl ReferenceError {
    pub(crate) fn invalid_format(input: &str) -> Self {
        ReferenceError::InvalidFormat {
            input: excerpt(input),
        }
    }
}

impl ErrorCode for ReferenceError {
    fn code(&self) -> &'static str {
        match self {
            ReferenceError::NameEmpty => "name-empty",
            ReferenceError::NameTooLong { .. } => "name-too-long",
            ReferenceError::NameContainsUppercase { .. } => "name-contains-uppercase",
            ReferenceError::InvalidFormat { .. } => "invalid-reference-format",
            ReferenceError::InvalidTag { .. } => "invalid-tag-format",
            ReferenceError::InvalidDigest(e) => e.code(),
            ReferenceError::NameNotCanonical { .. } => "name-not-canonical",
            ReferenceError::NameIsImageId { .. } => "name-is-image-id",
            ReferenceError::InvalidRegistriesConf { .. } => "invalid-registries-conf",
            ReferenceError::InvalidRegistryLocation { .. } => "invalid-registry-location",
            ReferenceError::ConflictingRegistrySettings { .. } => "conflicting-registry-settings",
            ReferenceError::InvalidSearchRegistry { .. } => "invalid-search-registry",
            ReferenceError::InvalidShortNameMode { .. } => "invalid-short-name-mode",
            ReferenceError::InvalidPullFromMirror { .. } => "invalid-pull-from-mirror",
            ReferenceError::InvalidWildcardPrefix { .. } => "invalid-wildcard-prefix",
            ReferenceError::InvalidAlias { .. } => "invalid-alias",
            ReferenceError::MixedRegistriesConfVersions => "mixed-registries-conf-versions",
            ReferenceError::RegistryBlocked { .. } => "registry-blocked",
            ReferenceError::InvalidPullSourceRewrite { .. } => "invalid-pull-source-rewrite",
            ReferenceError::ShortNameAmbiguous { .. } => "short-name-ambiguous",
            ReferenceError::NoSearchRegistries { .. } => "short-name-no-search-registries",
            ReferenceError::UnknownTransport { .. } => "unknown-transport",
            ReferenceError::UnsupportedTransport { .. } => "unsupported-transport",
            ReferenceError::InvalidTransportPath { .. } => "invalid-transport-path",
            ReferenceError::InvalidOciImageName { .. } => "invalid-oci-image-name",
            ReferenceError::InvalidSourceIndex { .. } => "invalid-source-index",
            ReferenceError::TagAndDigestNotSupported { .. } => "transport-tag-and-digest",
            ReferenceError::DigestNotSupported { .. } => "transport-digest-not-supported",
        }
    }
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReferenceError::NameEmpty => {
                f.write_str("repository name must have at least one component")
            }
            ReferenceError::NameTooLong { length } => write!(
                f,
                "repository name must not be more than 255 characters (got {length})"
            ),
            ReferenceError::NameContainsUppercase { input } => {
                write!(f, "repository name must be lowercase: {input:?}")
            }
            ReferenceError::InvalidFormat { input } => {
                write!(f, "invalid reference format: {input:?}")
            }
            ReferenceError::InvalidTag { tag } => write!(f, "invalid tag format: {tag:?}"),
            ReferenceError::InvalidDigest(e) => write!(f, "invalid digest in reference: {e}"),
            ReferenceError::NameNotCanonical { input } => {
                write!(f, "repository name must be canonical: {input:?}")
            }
            ReferenceError::NameIsImageId { input } => write!(
                f,
                "invalid repository name {input:?}: cannot specify 64-byte hexadecimal strings"
            ),
            ReferenceError::InvalidRegistriesConf { key, problem } => {
                write!(f, "invalid registries.conf at {key}: {problem}")
            }
            ReferenceError::InvalidRegistryLocation {
                key,
                value,
                problem,
            } => write!(f, "invalid registries.conf {key} {value:?}: {problem}"),
            ReferenceError::ConflictingRegistrySettings { location, setting } => write!(
                f,
                "registry {location:?} is defined multiple times with conflicting {setting:?} setting"
            ),
            ReferenceError::InvalidSearchRegistry { value } => {
                write!(f, "invalid unqualified-search-registries entry {value:?}")
            }
            ReferenceError::InvalidShortNameMode { value } => {
                write!(f, "invalid short-name-mode {value:?}")
            }
            ReferenceError::InvalidPullFromMirror { key, problem } => {
                write!(f, "invalid pull-from-mirror at {key}: {problem}")
            }
            ReferenceError::InvalidWildcardPrefix { prefix } => write!(
                f,
                "wildcard prefix {prefix:?} must have the form *.example.com"
            ),
            ReferenceError::InvalidAlias { name, problem } => {
                write!(f, "invalid short-name alias {name:?}: {problem}")
            }
            ReferenceError::MixedRegistriesConfVersions => {
                f.write_str("mixing registries.conf v1 and v2 formats is not supported")
            }
            ReferenceError::RegistryBlocked { prefix } => {
                write!(f, "registry {prefix:?} is blocked in registries.conf")
            }
            ReferenceError::InvalidPullSourceRewrite {
                reference,
                location,
            } => write!(
                f,
                "rewriting {reference:?} to location {location:?} does not give a canonical reference"
            ),
            ReferenceError::ShortNameAmbiguous { name, candidates } => {
                write!(
                    f,
                    "short name {name:?} is ambiguous in enforcing mode; candidates: "
                )?;
                for (i, c) in candidates.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(c)?;
                }
                Ok(())
            }
            ReferenceError::NoSearchRegistries { name } => write!(
                f,
                "short name {name:?} did not resolve to an alias and no unqualified-search registries are defined"
            ),
            ReferenceError::UnknownTransport { transport } => {
                write!(f, "unknown transport {transport:?}")
            }
            ReferenceError::UnsupportedTransport { transport } => {
                write!(f, "transport {transport:?} is not supported by hoist")
            }
            ReferenceError::InvalidTransportPath { transport, problem } => {
                write!(f, "invalid {transport}: path: {problem}")
            }
            ReferenceError::InvalidOciImageName { name } => {
                write!(f, "invalid oci image name {name:?}")
            }
            ReferenceError::InvalidSourceIndex { value } => write!(
                f,
                "invalid source index {value:?}: must be a non-negative integer"
            ),
            ReferenceError::TagAndDigestNotSupported { transport } => write!(
                f,
                "{transport}: references with both a tag and a digest are not supported"
            ),
            ReferenceError::DigestNotSupported { transport } => {
                write!(f, "{transport}: digest references are not supported")
            }
        }
    }
}

impl std::error::Error for ReferenceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReferenceError::InvalidDigest(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DigestError> for ReferenceError {
    fn from(e: DigestError) -> Self {
        ReferenceError::InvalidDigest(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_kebab_case_and_messages_lowercase() {
        let all = [
            ReferenceError::NameEmpty,
            ReferenceError::NameTooLong { length: 300 },
            ReferenceError::NameContainsUppercase { input: "A".into() },
            ReferenceError::invalid_format("x$"),
            ReferenceError::InvalidTag { tag: "-x".into() },
            ReferenceError::InvalidDigest(DigestError::InvalidFormat { input: "x".into() }),
            ReferenceError::NameNotCanonical {
                input: "foo".into(),
            },
            ReferenceError::NameIsImageId { input: "ab".into() },
            ReferenceError::MixedRegistriesConfVersions,
            ReferenceError::ShortNameAmbiguous {
                name: "foo".into(),
                candidates: vec!["a/foo:latest".into(), "b/foo:latest".into()],
            },
        ];
        for e in &all {
            let code = e.code();
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{code}"
            );
            let msg = e.to_string();
            assert!(msg.starts_with(|c: char| !c.is_ascii_uppercase()), "{msg}");
        }
        assert_eq!(all[5].code(), "invalid-digest-format");
        assert!(all[9].to_string().contains("b/foo:latest"));
    }
}
