//! Placeholder: filled in with its core module.

use serde_json::Value;

pub fn run(_name: &str, _input: &Value) -> Option<Value> {
    None
}
