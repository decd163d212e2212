//! Node-API binding of `hoist-core`: the npm package `hoist` loads this library.
//!
//! Type translation only. Every exported function calls one core function (or method)
//! and converts its arguments and result in [`convert`]; no protocol decision is made
//! here. Names are the WIT interfaces' names in camelCase (`parse-reference` →
//! `parseReference`), so the wasm component and this binding read the same. Errors are
//! thrown as `Error` objects whose `.code` is the core's stable kebab-case code. Node-API
//! rejects an argument of the wrong type before this crate runs; the npm package's
//! `lib/arguments.js` maps that rejection (and this crate's own `invalid-argument`) to a
//! `TypeError` with code `invalid-argument` naming the parameter, on the failure path only.

// napi-derive expands `#[napi]` items into FFI glue that needs `unsafe`; the hand-written
// code in this crate has none.
#![allow(unsafe_code)]

pub mod convert;

pub mod auth;
pub mod fslock;
pub mod image;
pub mod manifest;
pub mod pull;
pub mod reference;
pub mod store;
