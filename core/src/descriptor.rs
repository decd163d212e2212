//! Content descriptors (image-spec `descriptor.md`): the typed pointer by which every
//! manifest, index and layout names another blob.
//!
//! A descriptor is read with [`Descriptor::from_value`] (or serde, which calls it), which
//! checks what image-spec's `content-descriptor.json` checks and a little more:
//!
//! - `mediaType` is REQUIRED and fits the RFC 6838 grammar ([`media_type::is_valid`]);
//! - `digest` is REQUIRED and is a digest hoist can verify ([`Digest::parse`]): a digest
//!   that fits the grammar but names an unregistered algorithm is refused with
//!   `unsupported-digest-algorithm`, because hoist verifies everything it fetches;
//! - `size` is REQUIRED, an integer, not negative, and at most `i64::MAX` (Go's `int64`);
//! - `urls` entries are URIs with a scheme (the schema's `format: uri`);
//! - `data`, when present, is padded standard base64 (Go's `[]byte` encoding) and MUST
//!   match `size` and `digest` (`descriptor.md#embedded-content`);
//! - `platform` is read by [`Platform::from_value`]; unknown fields are ignored, as
//!   `descriptor.md#properties` requires.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::digest::{excerpt, Digest, DigestError};
use crate::manifest::tree::Json;
use crate::media_type::{self, MediaType};
use crate::platform::{Platform, PlatformError};
use crate::ErrorCode;

/// Annotations: string keys to string values, kept sorted so re-serialisation is
/// deterministic (Go's `encoding/json` sorts map keys the same way).
pub type Annotations = BTreeMap<String, String>;

/// A content descriptor (image-spec `descriptor.md#properties`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Descriptor {
    /// The media type of the referenced content. Kept as a string: unknown types are
    /// legal and MUST be ignored, not rejected (see [`Descriptor::known_media_type`]).
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// The digest of the referenced content.
    pub digest: Digest,
    /// The size of the referenced content in bytes.
    pub size: u64,
    /// Places the content may also be fetched from (foreign layers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Arbitrary metadata (image-spec `annotations.md`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: Annotations,
    /// The content itself, embedded; already verified against `size` and `digest`.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_data")]
    pub data: Option<Vec<u8>>,
    /// The platform of a manifest referenced from an index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The type of an artifact referenced from an index (image-spec 1.1).
    #[serde(rename = "artifactType", skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

/// Why a JSON value is not a valid descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DescriptorError {
    /// A required field is absent.
    MissingField {
        /// The JSON field name.
        field: &'static str,
    },
    /// A field (or the descriptor itself) has the wrong JSON type.
    InvalidFieldType {
        /// The JSON field name (`descriptor` for the value itself).
        field: &'static str,
        /// The type it must have.
        expected: &'static str,
    },
    /// `mediaType` or `artifactType` does not fit the RFC 6838 grammar.
    InvalidMediaType {
        /// The JSON field name.
        field: &'static str,
        /// The rejected value, cut to 80 characters.
        value: String,
    },
    /// `size` is negative, fractional, or larger than `i64::MAX`.
    InvalidSize {
        /// The rejected number as written.
        value: String,
    },
    /// `digest` is not a digest hoist can verify.
    Digest(DigestError),
    /// A `urls` entry is not a URI.
    InvalidUrl {
        /// The rejected entry, cut to 80 characters.
        url: String,
    },
    /// `data` is not padded standard base64.
    InvalidData,
    /// `data` does not match `size` or `digest`.
    DataMismatch(DigestError),
    /// `platform` is invalid.
    Platform(PlatformError),
}

impl ErrorCode for DescriptorError {
    fn code(&self) -> &'static str {
        match self {
            DescriptorError::MissingField { .. } => "missing-field",
            DescriptorError::InvalidFieldType { .. } => "invalid-field-type",
            DescriptorError::InvalidMediaType { .. } => "invalid-media-type",
            DescriptorError::InvalidSize { .. } => "invalid-size",
            DescriptorError::Digest(e) | DescriptorError::DataMismatch(e) => e.code(),
            DescriptorError::InvalidUrl { .. } => "invalid-url",
            DescriptorError::InvalidData => "invalid-data",
            DescriptorError::Platform(e) => e.code(),
        }
    }
}

impl fmt::Display for DescriptorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescriptorError::MissingField { field } => write!(f, "missing field {field:?}"),
            DescriptorError::InvalidFieldType { field, expected } => {
                write!(f, "field {field:?} must be {expected}")
            }
            DescriptorError::InvalidMediaType { field, value } => {
                write!(f, "{field}: invalid media type {value:?}")
            }
            DescriptorError::InvalidSize { value } => write!(f, "invalid size {value}"),
            DescriptorError::Digest(e) => write!(f, "digest: {e}"),
            DescriptorError::InvalidUrl { url } => write!(f, "urls: invalid url {url:?}"),
            DescriptorError::InvalidData => f.write_str("data: invalid base64"),
            DescriptorError::DataMismatch(e) => write!(f, "data: {e}"),
            DescriptorError::Platform(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DescriptorError {}

impl Descriptor {
    /// A descriptor with only the three required fields.
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            urls: Vec::new(),
            annotations: Annotations::new(),
            data: None,
            platform: None,
            artifact_type: None,
        }
    }

    /// The media type, if hoist knows it.
    pub fn known_media_type(&self) -> Option<MediaType> {
        MediaType::parse(&self.media_type)
    }

    /// Checks fetched content against this descriptor's size and digest
    /// (`descriptor.md#verification`).
    pub fn verify(&self, content: &[u8]) -> Result<(), DigestError> {
        let mut v = self.digest.verifier().with_size(self.size);
        v.update(content)?;
        v.finish().map(|_| ())
    }

    /// Reads and validates a descriptor (see the module docs for the rules).
    pub fn from_value(value: &Value) -> Result<Descriptor, DescriptorError> {
        Descriptor::from_json(value)
    }

    pub(crate) fn from_json<J: Json>(value: &J) -> Result<Descriptor, DescriptorError> {
        if !value.is_object() {
            return Err(DescriptorError::InvalidFieldType {
                field: "descriptor",
                expected: "an object",
            });
        }
        let media_type = required_str(value, "mediaType")?;
        if !media_type::is_valid(media_type) {
            return Err(DescriptorError::InvalidMediaType {
                field: "mediaType",
                value: excerpt(media_type),
            });
        }
        let digest =
            Digest::parse(required_str(value, "digest")?).map_err(DescriptorError::Digest)?;
        let size = match value.get("size") {
            None => return Err(DescriptorError::MissingField { field: "size" }),
            Some(n) if n.as_f64().is_some() => n
                .as_u64()
                .filter(|s| i64::try_from(*s).is_ok())
                .ok_or_else(|| DescriptorError::InvalidSize {
                    value: excerpt(&n.to_text()),
                })?,
            Some(_) => {
                return Err(DescriptorError::InvalidFieldType {
                    field: "size",
                    expected: "an integer",
                })
            }
        };
        let urls = match value.get("urls") {
            None => Vec::new(),
            Some(v) if v.is_null() => Vec::new(),
            Some(v) => {
                let items = v.as_array().ok_or(DescriptorError::InvalidFieldType {
                    field: "urls",
                    expected: "an array of strings",
                })?;
                let mut urls = Vec::with_capacity(items.len());
                for item in items {
                    let url = item.as_str().ok_or(DescriptorError::InvalidFieldType {
                        field: "urls",
                        expected: "an array of strings",
                    })?;
                    if !is_uri(url) {
                        return Err(DescriptorError::InvalidUrl { url: excerpt(url) });
                    }
                    urls.push(url.to_owned());
                }
                urls
            }
        };
        let annotations = annotations_from(value.get("annotations")).map_err(|expected| {
            DescriptorError::InvalidFieldType {
                field: "annotations",
                expected,
            }
        })?;
        let platform = match value.get("platform") {
            None => None,
            Some(v) if v.is_null() => None,
            Some(v) => Some(Platform::from_json(v).map_err(DescriptorError::Platform)?),
        };
        let artifact_type = match value.get("artifactType") {
            None => None,
            Some(v) if v.is_null() => None,
            Some(v) => match v.as_str() {
                Some(s) if media_type::is_valid(s) => Some(s.to_owned()),
                Some(s) => {
                    return Err(DescriptorError::InvalidMediaType {
                        field: "artifactType",
                        value: excerpt(s),
                    })
                }
                None => {
                    return Err(DescriptorError::InvalidFieldType {
                        field: "artifactType",
                        expected: "a string",
                    })
                }
            },
        };
        let data = match value.get("data") {
            None => None,
            Some(v) if v.is_null() => None,
            Some(v) => {
                let s = v.as_str().ok_or(DescriptorError::InvalidFieldType {
                    field: "data",
                    expected: "a base64 string",
                })?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| DescriptorError::InvalidData)?;
                Some(bytes)
            }
        };
        let d = Descriptor {
            media_type: media_type.to_owned(),
            digest,
            size,
            urls,
            annotations,
            data,
            platform,
            artifact_type,
        };
        if let Some(data) = &d.data {
            d.verify(data).map_err(DescriptorError::DataMismatch)?;
        }
        Ok(d)
    }
}

impl<'de> Deserialize<'de> for Descriptor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Descriptor::from_value(&v).map_err(serde::de::Error::custom)
    }
}

fn ser_data<S: Serializer>(data: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match data {
        Some(d) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(d)),
        None => s.serialize_none(),
    }
}

fn required_str<'a, J: Json>(obj: &'a J, field: &'static str) -> Result<&'a str, DescriptorError> {
    match obj.get(field) {
        None => Err(DescriptorError::MissingField { field }),
        Some(v) => v.as_str().ok_or(DescriptorError::InvalidFieldType {
            field,
            expected: "a string",
        }),
    }
}

/// Reads an `annotations` map (absent or `null` is empty). The error is the expected type.
pub(crate) fn annotations_from<J: Json>(value: Option<&J>) -> Result<Annotations, &'static str> {
    const EXPECTED: &str = "an object of strings";
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Annotations::new());
    };
    value
        .members()
        .ok_or(EXPECTED)?
        .into_iter()
        .map(|(k, v)| v.as_str().map(|s| (k.to_owned(), s.to_owned())))
        .collect::<Option<Annotations>>()
        .ok_or(EXPECTED)
}

/// An absolute URI as far as the schema's `format: uri` cares: `scheme ":" rest`, the
/// scheme `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1), a non-empty rest,
/// and no whitespace or control characters anywhere.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";

    fn parse(text: &str) -> Result<Descriptor, &'static str> {
        let v: Value = serde_json::from_str(text).expect("json");
        Descriptor::from_value(&v).map_err(|e| e.code())
    }

    #[test]
    fn table() {
        // image-spec schema/descriptor_test.go TestDescriptor, plus hoist's own cases.
        let long = "1".repeat(127);
        let too_long = "1".repeat(128);
        let m = "application/vnd.oci.image.manifest.v1+json";
        let cases: Vec<(String, Result<(), &str>)> = vec![
            (format!(r#"{{"mediaType":"{m}","size":7682,"digest":"{D}"}}"#), Ok(())),
            (r#"{"mediaType":"application/octet-stream","size":0,"digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}"#.into(), Ok(())),
            (format!(r#"{{"size":7682,"digest":"{D}"}}"#), Err("missing-field")),
            (format!(r#"{{"mediaType":"application","size":7682,"digest":"{D}"}}"#), Err("invalid-media-type")),
            (format!(r#"{{"mediaType":".foo/bar","size":7682,"digest":"{D}"}}"#), Err("invalid-media-type")),
            (format!(r#"{{"mediaType":"foo/.bar","size":7682,"digest":"{D}"}}"#), Err("invalid-media-type")),
            (format!(r#"{{"mediaType":"{long}/{long}","size":7682,"digest":"{D}"}}"#), Ok(())),
            (format!(r#"{{"mediaType":"{too_long}/bar","size":7682,"digest":"{D}"}}"#), Err("invalid-media-type")),
            (format!(r#"{{"mediaType":"foo/{too_long}","size":7682,"digest":"{D}"}}"#), Err("invalid-media-type")),
            (format!(r#"{{"mediaType":"{m}","digest":"{D}"}}"#), Err("missing-field")),
            (format!(r#"{{"mediaType":"{m}","size":"7682","digest":"{D}"}}"#), Err("invalid-field-type")),
            (format!(r#"{{"mediaType":"{m}","size":7682}}"#), Err("missing-field")),
            (format!(r#"{{"mediaType":"{m}","size":7682,"digest":":5b0b"}}"#), Err("invalid-digest-format")),
            (format!(r#"{{"mediaType":"{m}","size":7682,"digest":"sha256"}}"#), Err("invalid-digest-format")),
            (format!(r#"{{"mediaType":"{m}","size":7682,"digest":"SHA256:5b0b"}}"#), Err("invalid-digest-format")),
            (format!(r#"{{"mediaType":"{m}","size":7682,"digest":"{}"}}"#, D.to_uppercase().replace("SHA256", "sha256")), Err("invalid-digest-format")),
            (format!(r#"{{"mediaType":"{m}","size":7682,"digest":"{D}","urls":["https://example.com/foo"]}}"#), Ok(())),
            (format!(r#"{{"mediaType":"{m}","size":7682,"digest":"{D}","urls":["value"]}}"#), Err("invalid-url")),
            (format!(r#"{{"mediaType":"{m}","artifactType":"{m}","size":7682,"digest":"{D}"}}"#), Ok(())),
            (format!(r#"{{"mediaType":"{m}","artifactType":"foo/.bar","size":7682,"digest":"{D}"}}"#), Err("invalid-media-type")),
            (r#"{"mediaType":"text/plain","size":34,"data":"aHR0cHM6Ly9naXRodWIuY29tL29wZW5jb250YWluZXJzCg==","digest":"sha256:2690af59371e9eca9453dc29882643f46e5ca47ec2862bd517b5e17351325153"}"#.into(), Ok(())),
            (r#"{"mediaType":"text/plain","size":34,"data":"aHR0cHM6Ly9naXRodWIuY29tL29wZW5jb250YWluZXJzCg","digest":"sha256:2690af59371e9eca9453dc29882643f46e5ca47ec2862bd517b5e17351325153"}"#.into(), Err("invalid-data")),
            (r#"{"mediaType":"text/plain","size":35,"data":"aHR0cHM6Ly9naXRodWIuY29tL29wZW5jb250YWluZXJzCg==","digest":"sha256:2690af59371e9eca9453dc29882643f46e5ca47ec2862bd517b5e17351325153"}"#.into(), Err("size-mismatch")),
            (format!(r#"{{"mediaType":"text/plain","size":34,"data":"aHR0cHM6Ly9naXRodWIuY29tL29wZW5jb250YWluZXJzCg==","digest":"{D}"}}"#), Err("digest-mismatch")),
            (r#"{"mediaType":"application/vnd.oci.image.config.v1+json","size":1470,"digest":"sha256+b64:c86f7763873b6c0aae22d963bab59b4f5debbed6685761b5951584f6efb0633b"}"#.into(), Err("unsupported-digest-algorithm")),
            (r#"{"mediaType":"application/vnd.oci.image.config.v1+json","size":1470,"digest":"sha256+foo+-b:c86f"}"#.into(), Err("invalid-digest-format")),
            (format!(r#"{{"mediaType":"{m}","size":-7682,"digest":"{D}"}}"#), Err("invalid-size")),
            (format!(r#"{{"mediaType":"{m}","size":1.5,"digest":"{D}"}}"#), Err("invalid-size")),
            (format!(r#"{{"mediaType":"{m}","size":9223372036854775808,"digest":"{D}"}}"#), Err("invalid-size")),
            (format!(r#"{{"mediaType":"{m}","size":9223372036854775807,"digest":"{D}"}}"#), Ok(())),
            (format!(r#"{{"mediaType":"{m}","size":1,"digest":"{D}","annotations":{{"a":1}}}}"#), Err("invalid-field-type")),
            (format!(r#"{{"mediaType":"{m}","size":1,"digest":"{D}","platform":{{"os":"linux"}}}}"#), Err("missing-field")),
            (format!(r#"{{"mediaType":"{m}","size":1,"digest":"{D}","platform":null,"urls":null,"annotations":null,"unknown":[1]}}"#), Ok(())),
            ("[]".into(), Err("invalid-field-type")),
        ];
        for (input, want) in cases {
            assert_eq!(parse(&input).map(|_| ()), want, "{input}");
        }
    }

    #[test]
    fn serde_round_trip() {
        let text = format!(
            r#"{{"mediaType":"text/plain","digest":"sha256:2690af59371e9eca9453dc29882643f46e5ca47ec2862bd517b5e17351325153","size":34,"urls":["https://example.com/a"],"annotations":{{"b":"2","a":"1"}},"data":"aHR0cHM6Ly9naXRodWIuY29tL29wZW5jb250YWluZXJzCg==","platform":{{"architecture":"amd64","os":"linux"}},"artifactType":"{}"}}"#,
            media_type::OCI_EMPTY
        );
        let d: Descriptor = serde_json::from_str(&text).expect("valid");
        assert_eq!(
            d.data.as_deref(),
            Some(&b"https://github.com/opencontainers\n"[..])
        );
        let out = serde_json::to_string(&d).expect("ser");
        assert_eq!(
            out,
            text.replace(r#""b":"2","a":"1""#, r#""a":"1","b":"2""#)
        );
        assert!(serde_json::from_str::<Descriptor>(r#"{"mediaType":"x"}"#).is_err());
        let minimal = Descriptor::new(media_type::OCI_CONFIG, Digest::sha256_of(b""), 0);
        assert_eq!(
            serde_json::to_string(&minimal).expect("ser"),
            r#"{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0}"#
        );
        assert_eq!(minimal.known_media_type(), Some(MediaType::OciConfig));
    }

    #[test]
    fn uris() {
        for ok in [
            "https://example.com/x",
            "http://a",
            "s3+https://b/c",
            "urn:x",
        ] {
            assert!(is_uri(ok), "{ok}");
        }
        for bad in [
            "value",
            ":x",
            "1http://a",
            "http:",
            "http://a b",
            "ht tp://a",
            "",
        ] {
            assert!(!is_uri(bad), "{bad}");
        }
    }
}
