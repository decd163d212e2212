//! Typed reading of one JSON value with the field path at hand, so every error names the
//! field at fault (`config.Env[2]`, `history[0].created`).
//!
//! Rules shared by every field (image-spec `config.md#properties`): an OPTIONAL field set
//! to `null` is the same as an absent one; a wrong JSON type is `invalid-field`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::time::Timestamp;
use super::ConfigError;
use crate::digest::Digest;

/// `path` joined with `key` the way errors print it; the key may come from the document,
/// so it is cut to 80 characters.
pub(crate) fn join(path: &str, key: &str) -> String {
    let key = crate::digest::excerpt(key);
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn invalid(field: &str, expected: &'static str) -> ConfigError {
    ConfigError::InvalidField {
        field: field.to_owned(),
        expected,
    }
}

/// `Some` unless the value is JSON `null`.
fn present(v: Value) -> Option<Value> {
    match v {
        Value::Null => None,
        v => Some(v),
    }
}

pub(crate) fn string(v: Value, field: &str) -> Result<Option<String>, ConfigError> {
    match present(v) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(field, "a string")),
    }
}

pub(crate) fn boolean(v: Value, field: &str) -> Result<Option<bool>, ConfigError> {
    match present(v) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(_) => Err(invalid(field, "a boolean")),
    }
}

/// An integer that fits `i64` (Go's `int64` / `time.Duration`: `1.0` and `1e3` are not).
pub(crate) fn integer(v: Value, field: &str) -> Result<Option<i64>, ConfigError> {
    match present(v) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid(field, "an integer")),
        Some(_) => Err(invalid(field, "an integer")),
    }
}

pub(crate) fn timestamp(v: Value, field: &str) -> Result<Option<Timestamp>, ConfigError> {
    match string(v, field)? {
        None => Ok(None),
        Some(s) => Timestamp::parse(&s)
            .map(Some)
            .map_err(|_| invalid(field, "an RFC 3339 timestamp")),
    }
}

pub(crate) fn object(v: Value, field: &str) -> Result<Option<Map<String, Value>>, ConfigError> {
    match present(v) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(invalid(field, "an object")),
    }
}

pub(crate) fn array(v: Value, field: &str) -> Result<Option<Vec<Value>>, ConfigError> {
    match present(v) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(invalid(field, "an array")),
    }
}

/// An array of strings; `null` elements are not strings.
pub(crate) fn strings(v: Value, field: &str) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(items) = array(v, field)? else {
        return Ok(None);
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s),
            _ => Err(invalid(&format!("{field}[{i}]"), "a string")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A "set" written as an object whose values are empty objects (image-spec
/// `ExposedPorts` / `Volumes`: Go's `map[string]struct{}`). Go accepts any object value
/// (its fields are ignored) and `null`; anything else is a type error.
pub(crate) fn string_set(v: Value, field: &str) -> Result<Option<BTreeSet<String>>, ConfigError> {
    let Some(map) = object(v, field)? else {
        return Ok(None);
    };
    let mut set = BTreeSet::new();
    for (k, item) in map {
        if !matches!(item, Value::Object(_) | Value::Null) {
            return Err(invalid(&join(field, &k), "an object"));
        }
        set.insert(k);
    }
    Ok(Some(set))
}

/// A string-to-string map (image-spec `Labels`).
pub(crate) fn string_map(
    v: Value,
    field: &str,
) -> Result<Option<BTreeMap<String, String>>, ConfigError> {
    let Some(map) = object(v, field)? else {
        return Ok(None);
    };
    let mut out = BTreeMap::new();
    for (k, item) in map {
        match item {
            Value::String(s) => {
                out.insert(k, s);
            }
            _ => return Err(invalid(&join(field, &k), "a string")),
        }
    }
    Ok(Some(out))
}

pub(crate) fn digests(v: Value, field: &str) -> Result<Option<Vec<Digest>>, ConfigError> {
    let Some(items) = strings(v, field)? else {
        return Ok(None);
    };
    items
        .iter()
        .enumerate()
        .map(|(i, s)| Digest::parse(s).map_err(|_| invalid(&format!("{field}[{i}]"), "a digest")))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
