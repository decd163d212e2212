//! placeholder
#![allow(missing_docs)]
pub mod bindings {
    wasmtime::component::bindgen!({ path: "../../wit", world: "core" });
}
