//! One module per function family. Each `run` returns `None` for an unknown function.

use serde_json::Value;

mod auth;
/// Public: the wasm runner parses its inputs with [`auth_files::env_in`].
pub mod auth_files;
mod config;
mod digest;
mod filter;
mod id;
mod manifest;
mod platform;
mod reference;
mod store;

/// Dispatches to the family's runner.
pub fn run(family: &str, name: &str, input: &Value) -> Option<Value> {
    match family {
        "auth" => auth::run(name, input),
        "config" => config::run(name, input),
        "digest" => digest::run(name, input),
        "filter" => filter::run(name, input),
        "id" => id::run(name, input),
        "manifest" => manifest::run(name, input),
        "platform" => platform::run(name, input),
        "reference" => reference::run(name, input),
        "store" => store::run(name, input),
        _ => None,
    }
}
