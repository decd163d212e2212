//! Runs the shared conformance vectors (`tests/vectors/*.json`) through hoist-core.
//!
//! A vector file is data only:
//!
//! ```json
//! { "source": "where the facts come from (a public test table or spec section)",
//!   "function": "family.function",
//!   "cases": [ { "name": "optional", "input": <json>, "expected": <json> } ] }
//! ```
//!
//! Every function maps a JSON input to a JSON output. Success is `{"ok": <value>}` and
//! failure is `{"error": "<stable error code>"}`. The same files and the same output
//! shape are used by the wasm component and Node runners, so their outputs can be compared
//! byte for byte with this one's.

use serde::Deserialize;
use serde_json::{json, Value};

pub mod families;

/// One vector file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// The public source of the facts in this file.
    pub source: String,
    /// `family.function`, dispatched by [`run`].
    pub function: String,
    /// The cases.
    pub cases: Vec<Case>,
}

/// One case of a vector file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Optional label shown when the case fails.
    #[serde(default)]
    pub name: Option<String>,
    /// The function's input.
    pub input: Value,
    /// The expected output (`{"ok": …}` or `{"error": "code"}`).
    pub expected: Value,
}

/// Wraps a core result as the shared output shape.
pub fn output<T: serde::Serialize, E: hoist_core::ErrorCode>(r: Result<T, E>) -> Value {
    match r {
        Ok(v) => json!({ "ok": serde_json::to_value(v).unwrap_or(Value::Null) }),
        Err(e) => json!({ "error": e.code() }),
    }
}

/// Serialises `value` canonically: object keys sorted (by UTF-16 code units, as
/// JavaScript's default sort does, so Node produces the same bytes), no whitespace. This is
/// the form in which the native, wasm and Node runners' outputs are compared byte for byte.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&map[k]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// Runs `function` on `input`. `None` when no family knows the function.
pub fn run(function: &str, input: &Value) -> Option<Value> {
    let (family, name) = function.split_once('.')?;
    families::run(family, name, input)
}
