//! Strict JSON acceptance for untrusted documents (manifests, configs, tokens, auth files).
//!
//! `serde_json` alone accepts documents that other parsers read differently: a duplicate
//! key keeps its last value in Go and in serde_json's maps, but its first value in some
//! other parsers, so two tools can see two different images in one manifest
//! (CVE-2021-41190 is the manifest/index version of the same problem). hoist therefore
//! rejects, before any typed parsing:
//!
//! - duplicate object keys, at any depth (RFC 8259 §4 says names SHOULD be unique; we
//!   make it MUST);
//! - anything but whitespace after the top-level value;
//! - nesting deeper than [`MAX_DEPTH`];
//! - invalid UTF-8 (RFC 8259 §8.1).
//!
//! The check runs in one pass, in time linear in the input.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Deepest nesting of arrays and objects accepted in any document.
pub const MAX_DEPTH: usize = 64;

/// Why a document is not strict JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrictError {
    /// An object holds the same key twice.
    DuplicateKey(String),
    /// Bytes follow the top-level value.
    TrailingData,
    /// Arrays and objects nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Not JSON at all; the message is serde_json's, which names line and column.
    Syntax(String),
}

impl fmt::Display for StrictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrictError::DuplicateKey(k) => write!(f, "duplicate key {k:?}"),
            StrictError::TrailingData => f.write_str("trailing data after the json value"),
            StrictError::TooDeep => write!(f, "json nested deeper than {MAX_DEPTH}"),
            StrictError::Syntax(m) => write!(f, "invalid json: {m}"),
        }
    }
}

/// Stable codes shared by every document kind that is read strictly (manifests,
/// configs, store files), so `duplicate-key` means the same everywhere.
impl crate::ErrorCode for StrictError {
    fn code(&self) -> &'static str {
        match self {
            StrictError::DuplicateKey(_) => "duplicate-key",
            StrictError::TrailingData => "trailing-data",
            StrictError::TooDeep => "json-too-deep",
            StrictError::Syntax(_) => "invalid-json",
        }
    }
}

impl std::error::Error for StrictError {}

/// Reads `bytes` as one strict JSON value ([`check`], then `serde_json`): for bindings
/// that take a small document (a platform, a descriptor) as text.
pub fn parse_value(bytes: &[u8]) -> Result<serde_json::Value, StrictError> {
    check(bytes)?;
    serde_json::from_slice(bytes).map_err(|e| StrictError::Syntax(e.to_string()))
}

/// Checks that `bytes` is one strict JSON value (see the module docs).
pub fn check(bytes: &[u8]) -> Result<(), StrictError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // serde_json has its own recursion limit (128); ours is lower and reported as such.
    Checker { depth: 0 }
        .deserialize(&mut de)
        .map_err(|e| classify(&e))?;
    de.end().map_err(|_| StrictError::TrailingData)
}

fn classify(e: &serde_json::Error) -> StrictError {
    let msg = e.to_string();
    if let Some(rest) = msg.strip_prefix(DUP_PREFIX) {
        let key = rest.split(DUP_SUFFIX).next().unwrap_or_default();
        return StrictError::DuplicateKey(crate::digest::excerpt(key));
    }
    if msg.starts_with(DEEP_MSG) {
        return StrictError::TooDeep;
    }
    StrictError::Syntax(msg)
}

const DUP_PREFIX: &str = "hoist-duplicate-key:";
const DUP_SUFFIX: &str = ":hoist-end";
const DEEP_MSG: &str = "hoist-too-deep";

#[derive(Clone, Copy)]
struct Checker {
    depth: usize,
}

impl Checker {
    fn deeper<E: de::Error>(self) -> Result<Checker, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(DEEP_MSG));
        }
        Ok(Checker {
            depth: self.depth + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Checker {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checker {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any json value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !seen.insert(key.clone().into_owned()) {
                return Err(de::Error::custom(format!("{DUP_PREFIX}{key}{DUP_SUFFIX}")));
            }
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parse_value_codes() {
        use crate::ErrorCode;
        assert!(super::parse_value(br#"{"a": [1]}"#).is_ok());
        let code = |b: &[u8]| super::parse_value(b).map_err(|e| e.code()).err();
        assert_eq!(code(br#"{"a":1,"a":2}"#), Some("duplicate-key"));
        assert_eq!(code(b"{} {}"), Some("trailing-data"));
        assert_eq!(code(&[b'['; 100]), Some("json-too-deep"));
        assert_eq!(code(b"{"), Some("invalid-json"));
    }

    use super::*;

    #[test]
    fn table() {
        let deep_ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let deep_bad = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let cases: Vec<(&[u8], Result<(), StrictError>)> = vec![
            (br#"{"a":1,"b":[1,{"c":null}]}"#, Ok(())),
            (b" {} \n", Ok(())),
            (
                br#"{"a":1,"a":2}"#,
                Err(StrictError::DuplicateKey("a".into())),
            ),
            (
                br#"{"x":{"a":1,"a":2}}"#,
                Err(StrictError::DuplicateKey("a".into())),
            ),
            (
                br#"{"\u0061":1,"a":2}"#,
                Err(StrictError::DuplicateKey("a".into())),
            ),
            (b"{} {}", Err(StrictError::TrailingData)),
            (b"{}x", Err(StrictError::TrailingData)),
            (deep_ok.as_bytes(), Ok(())),
            (deep_bad.as_bytes(), Err(StrictError::TooDeep)),
        ];
        for (input, want) in cases {
            assert_eq!(check(input), want, "{}", String::from_utf8_lossy(input));
        }
        assert!(matches!(check(b"{"), Err(StrictError::Syntax(_))));
        assert!(matches!(check(b"\xff"), Err(StrictError::Syntax(_))));
        assert!(matches!(check(b""), Err(StrictError::Syntax(_))));
    }

    #[test]
    fn linear_on_large_input() {
        let big = format!("[{}0]", "0,".repeat(500_000));
        assert_eq!(check(big.as_bytes()), Ok(()));
    }
}
