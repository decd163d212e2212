//! The conformance vectors through the component: each `family.function` of
//! `tests/conformance` is reproduced with calls to the component's typed exports, and the
//! results are mapped to the same JSON shapes (`tests/conformance/src/families/*.rs`),
//! so the outputs can be compared byte for byte with the native core's.
//!
//! `Ok(None)` mirrors the native runner's `None` (an input the function cannot take);
//! `Err` is a trap or a host error, which the tests report as a failure.

use serde_json::{json, Value};
use wasmtime::Store;

use crate::bindings::exports::hoist::image::types::Error;
use crate::{Core, Instance, State};

mod auth;
mod basics;
mod reference;
mod store;

/// What a mapped function returns.
pub type Out = anyhow::Result<Option<Value>>;

/// The store and exports of one instance, as the family runners use them.
pub struct Cx<'a> {
    /// The store.
    pub s: &'a mut Store<State>,
    /// The exports.
    pub c: &'a Core,
}

/// Runs `function` (`family.name`) on `input` through the component.
pub fn run(instance: &mut Instance, function: &str, input: &Value) -> Out {
    let Some((family, name)) = function.split_once('.') else {
        return Ok(None);
    };
    let mut cx = Cx {
        s: &mut instance.store,
        c: &instance.core,
    };
    match family {
        "auth" => auth::run(&mut cx, name, input),
        "reference" => reference::run(&mut cx, name, input),
        "filter" | "store" => store::run(&mut cx, family, name, input),
        _ => basics::run(&mut cx, family, name, input),
    }
}

/// `{"error": code}`.
pub fn error(e: &Error) -> Value {
    json!({ "error": e.code })
}

/// The shared output shape of a result.
pub fn output<T>(r: Result<T, Error>, ok: impl FnOnce(T) -> Value) -> Value {
    match r {
        Ok(v) => json!({ "ok": ok(v) }),
        Err(e) => error(&e),
    }
}

/// A list of strings, or `None` when the value is not one.
pub fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}
