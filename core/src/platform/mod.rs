//! Platforms: what an image runs on (image-spec `image-index.md`, the `platform` object),
//! and how hoist chooses one entry of an index, following containerd's `platforms`
//! package (`platforms.go`, `database.go`, `compare.go`, `platform_windows_compat.go`).
//!
//! Empty strings mean "not set" for [`Platform::variant`] and [`Platform::os_version`],
//! exactly as in the Go structs, because containerd's normalisation distinguishes
//! `arm` (no variant, read as v7) from `arm/v7` only through that empty string.
//!
//! The specifier grammar ([`Platform::parse`]) is containerd's:
//!
//! ```text
//! specifier  ::= os-options | arch | os-options "/" arch [ "/" variant ]
//! os-options ::= os [ "(" [ os-version ] ( "+" os-feature )* ")" ]
//! os         ::= [A-Za-z0-9_-]+
//! os-version ::= [A-Za-z0-9_.%-]*          (percent-escapes decoded)
//! os-feature ::= [A-Za-z0-9_.%-]+          (percent-escapes decoded)
//! arch, variant ::= [A-Za-z0-9_.-]+
//! ```
//!
//! A lone component is an OS if containerd knows it (`linux`, `windows`, …), otherwise an
//! architecture; the missing half comes from the host platform, which the caller passes
//! in because the core does not look at its environment.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::digest::excerpt;
use crate::manifest::tree::Json;
use crate::ErrorCode;

mod normalize;
mod select;

pub use normalize::{normalize_arch, normalize_os};
use normalize::{KNOWN_ARCH, KNOWN_OS};
pub use select::select_platform;
use select::{is_component, rank, vector, Matcher};

/// The platform an image (or one entry of an index) is built for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Platform {
    /// CPU architecture in Go's `GOARCH` spelling (`amd64`, `arm64`, …). REQUIRED.
    pub architecture: String,
    /// Operating system in Go's `GOOS` spelling (`linux`, `windows`, …). REQUIRED.
    pub os: String,
    /// OS version, used by Windows (`10.0.17763.1879`). Empty when not set.
    #[serde(rename = "os.version", skip_serializing_if = "String::is_empty")]
    pub os_version: String,
    /// Required OS features (`win32k`). Empty when not set.
    #[serde(rename = "os.features", skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// CPU variant (`v7`, `v8`, `v2`). Empty when not set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub variant: String,
}

/// Why a platform could not be parsed or chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlatformError {
    /// The specifier does not fit the grammar.
    InvalidSpecifier {
        /// The specifier, cut to 80 characters.
        specifier: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A one-component specifier names neither a known OS nor a known architecture.
    Unknown {
        /// The specifier, cut to 80 characters.
        specifier: String,
    },
    /// A platform object lacks a required field.
    MissingField {
        /// The JSON field name.
        field: &'static str,
    },
    /// A platform field has the wrong JSON type.
    InvalidFieldType {
        /// The JSON field name.
        field: &'static str,
        /// The type it must have.
        expected: &'static str,
    },
    /// No index entry can run on the wanted platform.
    NoMatch {
        /// The wanted platform, formatted.
        wanted: String,
        /// The platforms the index offers, formatted, in index order.
        available: Vec<String>,
    },
}

impl ErrorCode for PlatformError {
    fn code(&self) -> &'static str {
        match self {
            PlatformError::InvalidSpecifier { .. } => "invalid-platform",
            PlatformError::Unknown { .. } => "unknown-platform",
            PlatformError::MissingField { .. } => "missing-field",
            PlatformError::InvalidFieldType { .. } => "invalid-field-type",
            PlatformError::NoMatch { .. } => "no-matching-platform",
        }
    }
}

/// How many available platforms a [`PlatformError::NoMatch`] message lists.
const LISTED: usize = 20;

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlatformError::InvalidSpecifier { specifier, reason } => {
                write!(f, "invalid platform {specifier:?}: {reason}")
            }
            PlatformError::Unknown { specifier } => {
                write!(f, "unknown operating system or architecture {specifier:?}")
            }
            PlatformError::MissingField { field } => {
                write!(f, "platform: missing field {field:?}")
            }
            PlatformError::InvalidFieldType { field, expected } => {
                write!(f, "platform: field {field:?} must be {expected}")
            }
            PlatformError::NoMatch { wanted, available } => {
                write!(f, "no matching platform for {wanted}; available: ")?;
                if available.is_empty() {
                    return f.write_str("none");
                }
                for (i, p) in available.iter().take(LISTED).enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(p)?;
                }
                if available.len() > LISTED {
                    write!(f, " and {} more", available.len() - LISTED)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for PlatformError {}

impl Platform {
    /// A platform from its three common parts (no OS version or features).
    pub fn new(os: &str, architecture: &str, variant: &str) -> Platform {
        Platform {
            architecture: architecture.to_owned(),
            os: os.to_owned(),
            variant: variant.to_owned(),
            ..Platform::default()
        }
    }

    /// Parses a platform specifier (grammar in the module docs; containerd `Parse`).
    ///
    /// `host` supplies the half a one-component specifier leaves out: `"linux"` takes the
    /// host's architecture (and, on 32-bit ARM hosts other than v7, its variant), while
    /// `"arm64"` takes the host's OS. The result is normalised the way containerd
    /// normalises specifiers, which differs slightly from [`Platform::normalize`]: a
    /// plain `arm` keeps an empty variant (v7 is implied), and `arm64/v8` keeps `v8`.
    pub fn parse(specifier: &str, host: &Platform) -> Result<Platform, PlatformError> {
        let invalid = |reason| PlatformError::InvalidSpecifier {
            specifier: excerpt(specifier),
            reason,
        };
        if specifier.contains('*') {
            return Err(invalid("wildcards are not supported"));
        }
        let parts: Vec<&str> = specifier.splitn(4, '/').collect();
        let first = parts.first().copied().unwrap_or_default();
        let (os_name, os_version, os_features) =
            split_os_options(first).ok_or_else(|| invalid("invalid os component"))?;
        let mut p = Platform {
            os: normalize_os(os_name),
            os_version: decode_option(os_version).ok_or_else(|| invalid("invalid os version"))?,
            os_features: os_features
                .iter()
                .map(|f| decode_option(f))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid("invalid os feature"))?,
            ..Platform::default()
        };
        if parts.iter().skip(1).any(|c| !is_component(c)) {
            return Err(invalid("invalid component"));
        }
        match parts.as_slice() {
            [single] => {
                if KNOWN_OS.contains(&p.os.as_str()) {
                    p.architecture = host.architecture.clone();
                    if p.architecture == "arm" && host.variant != "v7" {
                        p.variant = host.variant.clone();
                    }
                    return Ok(p);
                }
                let (arch, variant) = normalize_arch(single, "");
                p.variant = if arch == "arm" && variant == "v7" {
                    String::new()
                } else {
                    variant
                };
                if KNOWN_ARCH.contains(&arch.as_str()) {
                    p.architecture = arch;
                    p.os = host.os.clone();
                    return Ok(p);
                }
                Err(PlatformError::Unknown {
                    specifier: excerpt(specifier),
                })
            }
            [_, arch] => {
                let (arch, variant) = normalize_arch(arch, "");
                p.variant = if arch == "arm" && variant == "v7" {
                    String::new()
                } else {
                    variant
                };
                p.architecture = arch;
                Ok(p)
            }
            [_, arch, variant] => {
                let (arch, variant) = normalize_arch(arch, variant);
                p.variant = if arch == "arm64" && variant.is_empty() {
                    "v8".into()
                } else {
                    variant
                };
                p.architecture = arch;
                Ok(p)
            }
            _ => Err(invalid("too many components")),
        }
    }

    /// The canonical form (containerd `Normalize`): OS and architecture normalised
    /// ([`normalize_os`], [`normalize_arch`]), OS features sorted and de-duplicated.
    pub fn normalize(&self) -> Platform {
        let (architecture, variant) = normalize_arch(&self.architecture, &self.variant);
        let mut os_features = self.os_features.clone();
        os_features.sort();
        os_features.dedup();
        Platform {
            architecture,
            os: normalize_os(&self.os),
            os_version: self.os_version.clone(),
            os_features,
            variant,
        }
    }

    /// containerd `FormatAll`: `os[(version[+feature…])]/arch[/variant]`, with `%`, `+`,
    /// `(`, `)` and `/` percent-encoded inside the parentheses. `"unknown"` without an OS.
    pub fn format(&self) -> String {
        if self.os.is_empty() {
            return "unknown".to_owned();
        }
        let mut opts = encode_option(&self.os_version);
        let mut features: Vec<&String> = self.os_features.iter().collect();
        features.sort();
        for f in features.into_iter().filter(|f| !f.is_empty()) {
            opts.push('+');
            opts.push_str(&encode_option(f));
        }
        let mut out = self.os.clone();
        if !opts.is_empty() {
            out.push('(');
            out.push_str(&opts);
            out.push(')');
        }
        for part in [&self.architecture, &self.variant] {
            if !part.is_empty() {
                out.push('/');
                out.push_str(part);
            }
        }
        out
    }

    /// True when a component built for `other` is exactly this platform, after
    /// normalisation (containerd `OnlyStrict(self).Match(other)`). For Windows, the OS
    /// versions must also be compatible (see [`select_platform`]).
    pub fn matches(&self, other: &Platform) -> bool {
        Matcher::new(&self.normalize()).matches(other)
    }

    /// True when a component built for `other` can run here, allowing the fallbacks
    /// containerd's `Only` allows: older ARM variants (`arm64` → `arm/v8`…`v5`,
    /// `arm/v7` → `v6`, `v5`), older arm64 and amd64 micro-architecture levels, and `386`
    /// on `amd64`.
    pub fn compatible(&self, other: &Platform) -> bool {
        rank(&vector(self), other).is_some()
    }

    /// Reads a platform object (image-spec `image-index.md`): `architecture` and `os`
    /// are required strings; `os.version`, `os.features` and `variant` are optional;
    /// unknown fields (including Docker's reserved `features`) are ignored.
    pub fn from_value(value: &Value) -> Result<Platform, PlatformError> {
        Platform::from_json(value)
    }

    pub(crate) fn from_json<J: Json>(value: &J) -> Result<Platform, PlatformError> {
        if !value.is_object() {
            return Err(PlatformError::InvalidFieldType {
                field: "platform",
                expected: "an object",
            });
        }
        let string = |field: &'static str, required: bool| -> Result<String, PlatformError> {
            match value.get(field) {
                None if required => Err(PlatformError::MissingField { field }),
                None => Ok(String::new()),
                Some(v) => v
                    .as_str()
                    .map(str::to_owned)
                    .ok_or(PlatformError::InvalidFieldType {
                        field,
                        expected: "a string",
                    }),
            }
        };
        let features_error = PlatformError::InvalidFieldType {
            field: "os.features",
            expected: "an array of strings",
        };
        let os_features = match value.get("os.features") {
            None => Vec::new(),
            Some(v) if v.is_null() => Vec::new(),
            Some(v) => v
                .as_array()
                .ok_or_else(|| features_error.clone())?
                .iter()
                .map(|f| f.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or(features_error)?,
        };
        Ok(Platform {
            architecture: string("architecture", true)?,
            os: string("os", true)?,
            os_version: string("os.version", false)?,
            os_features,
            variant: string("variant", false)?,
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format())
    }
}

impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Platform::from_value(&v).map_err(serde::de::Error::custom)
    }
}

/// Splits `os[(version[+feature…])]` (containerd's `osRe`) without a regex.
fn split_os_options(s: &str) -> Option<(&str, &str, Vec<&str>)> {
    let name_end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(s.len());
    let (name, rest) = s.split_at(name_end);
    if name.is_empty() {
        return None;
    }
    if rest.is_empty() {
        return Some((name, "", Vec::new()));
    }
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    let option_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '%' | '-');
    let mut pieces = inner.split('+');
    let version = pieces.next().unwrap_or_default();
    if !version.chars().all(option_char) {
        return None;
    }
    let features: Vec<&str> = pieces.collect();
    if features
        .iter()
        .any(|f| f.is_empty() || !f.chars().all(option_char))
    {
        return None;
    }
    Some((name, version, features))
}

/// Go `url.PathUnescape` for OS options: `%XX` escapes decoded; bad escapes fail.
fn decode_option(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b.get(i) == Some(&b'%') {
            let hi = b.get(i + 1).and_then(|c| (*c as char).to_digit(16))?;
            let lo = b.get(i + 2).and_then(|c| (*c as char).to_digit(16))?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
            i += 3;
        } else {
            out.push(*b.get(i)?);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn encode_option(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '+' => out.push_str("%2B"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn host() -> Platform {
        Platform::new("linux", "amd64", "")
    }

    pub(super) fn p(spec: &str) -> Platform {
        Platform::parse(spec, &host()).expect(spec)
    }

    #[test]
    fn parse_table() {
        // containerd platforms_test.go TestParseSelector (host linux/amd64)
        // (input, os, arch, variant, os.version, os.features)
        type Case<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a [&'a str]);
        let cases: &[Case<'_>] = &[
            // (input, os, arch, variant, os.version, os.features)
            ("linux/arm64", "linux", "arm64", "", "", &[]),
            ("linux/arm64/v8", "linux", "arm64", "v8", "", &[]),
            ("linux/arm", "linux", "arm", "", "", &[]),
            ("linux/arm/v6", "linux", "arm", "v6", "", &[]),
            ("linux/arm/v7", "linux", "arm", "v7", "", &[]),
            ("arm", "linux", "arm", "", "", &[]),
            ("armel", "linux", "arm", "v6", "", &[]),
            ("armhf", "linux", "arm", "", "", &[]),
            ("Aarch64", "linux", "arm64", "", "", &[]),
            ("x86_64", "linux", "amd64", "", "", &[]),
            ("Linux/x86_64", "linux", "amd64", "", "", &[]),
            ("i386", "linux", "386", "", "", &[]),
            ("linux", "linux", "amd64", "", "", &[]),
            ("s390x", "linux", "s390x", "", "", &[]),
            ("linux/s390x", "linux", "s390x", "", "", &[]),
            ("macOS", "darwin", "amd64", "", "", &[]),
            ("windows", "windows", "amd64", "", "", &[]),
            ("windows()", "windows", "amd64", "", "", &[]),
            (
                "windows(10.0.17763)",
                "windows",
                "amd64",
                "",
                "10.0.17763",
                &[],
            ),
            (
                "windows(10.0.17763+win32k)",
                "windows",
                "amd64",
                "",
                "10.0.17763",
                &["win32k"],
            ),
            ("linux(+gpu)", "linux", "amd64", "", "", &["gpu"]),
            (
                "linux(+gpu+simd)",
                "linux",
                "amd64",
                "",
                "",
                &["gpu", "simd"],
            ),
            (
                "linux(+unsorted+erofs)",
                "linux",
                "amd64",
                "",
                "",
                &["unsorted", "erofs"],
            ),
            (
                "windows(10.0.17763%2Bbuild.42)",
                "windows",
                "amd64",
                "",
                "10.0.17763+build.42",
                &[],
            ),
            ("windows(50%25done)", "windows", "amd64", "", "50%done", &[]),
        ];
        for (input, os, arch, variant, osv, feats) in cases {
            let got = p(input);
            let want = Platform {
                architecture: (*arch).into(),
                os: (*os).into(),
                os_version: (*osv).into(),
                os_features: feats.iter().map(|s| (*s).to_owned()).collect(),
                variant: (*variant).into(),
            };
            assert_eq!(got, want, "{input}");
        }
        for bad in [
            "",
            "/linux/arm",
            "linux/arm/",
            "linux /arm",
            "linux/&arm",
            "linux/arm/foo/bar",
            "*",
            "linux/*",
            "windows(%zz)",
            "linux(+)",
        ] {
            assert_eq!(
                Platform::parse(bad, &host()).map_err(|e| e.code()),
                Err("invalid-platform"),
                "{bad:?}"
            );
        }
        assert_eq!(
            Platform::parse("nonsense", &host()).map_err(|e| e.code()),
            Err("unknown-platform")
        );
        // A 32-bit ARM host's variant fills in for an OS-only specifier unless it is v7.
        let arm6 = Platform::new("linux", "arm", "v6");
        assert_eq!(Platform::parse("linux", &arm6).expect("ok").variant, "v6");
        let arm7 = Platform::new("linux", "arm", "v7");
        assert_eq!(Platform::parse("linux", &arm7).expect("ok").variant, "");
    }

    #[test]
    fn format_table() {
        // containerd platforms_test.go TestFormatAllEncoding
        let w = |v: &str, f: &[&str]| Platform {
            os_version: v.into(),
            os_features: f.iter().map(|s| (*s).to_owned()).collect(),
            ..Platform::new("windows", "amd64", "")
        };
        let cases = [
            (
                w("10.0.17763+build.42", &[]),
                "windows(10.0.17763%2Bbuild.42)/amd64",
            ),
            (
                w("10.0.17763+build.42", &["win32k"]),
                "windows(10.0.17763%2Bbuild.42+win32k)/amd64",
            ),
            (w("50%done", &[]), "windows(50%25done)/amd64"),
            (w("1.0(beta)", &[]), "windows(1.0%28beta%29)/amd64"),
            (w("a/b", &[]), "windows(a%2Fb)/amd64"),
            (w("10.0.17763", &[]), "windows(10.0.17763)/amd64"),
            (w("", &["", "simd", "gpu"]), "windows(+gpu+simd)/amd64"),
        ];
        for (plat, want) in cases {
            assert_eq!(plat.format(), want);
            let back = p(want);
            assert_eq!(back.os_version, plat.os_version, "{want}");
        }
        assert_eq!(Platform::default().format(), "unknown");
        assert_eq!(p("linux/arm64/v8").to_string(), "linux/arm64/v8");
    }

    #[test]
    fn from_value() {
        let v = serde_json::json!({"architecture": "arm64", "os": "linux", "variant": "v8",
            "os.features": ["x"], "os.version": "1", "features": ["sse4"]});
        let got = Platform::from_value(&v).expect("valid");
        assert_eq!(got.os_features, vec!["x".to_owned()]);
        assert_eq!(
            serde_json::to_value(&got).expect("ser"),
            serde_json::json!({"architecture": "arm64", "os": "linux", "os.version": "1", "os.features": ["x"], "variant": "v8"})
        );
        let bad = [
            (serde_json::json!({"os": "linux"}), "missing-field"),
            (
                serde_json::json!({"architecture": "amd64"}),
                "missing-field",
            ),
            (
                serde_json::json!({"architecture": 1, "os": "linux"}),
                "invalid-field-type",
            ),
            (
                serde_json::json!({"architecture": "a", "os": "l", "os.features": "x"}),
                "invalid-field-type",
            ),
            (serde_json::json!("linux"), "invalid-field-type"),
        ];
        for (v, code) in bad {
            assert_eq!(
                Platform::from_value(&v).map_err(|e| e.code()),
                Err(code),
                "{v}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "[a-zA-Z0-9_.%()+/*-]{0,40}") {
            if let Ok(p) = Platform::parse(&s, &host()) {
                let _ = (p.format(), p.normalize(), p.compatible(&host()));
            }
        }

        #[test]
        fn parse_never_panics_on_any_string(s in proptest::prelude::any::<String>()) {
            let _ = Platform::parse(&s, &host());
        }

        #[test]
        fn variants_never_panic(arch in "(arm|arm64|amd64|x86_64|aarch64)", variant in "[v0-9.+-]{0,12}") {
            let p = Platform::new("linux", &arch, &variant);
            let _ = (p.compatible(&p), vector(&p).len());
        }
    }
}
