//! The shipped component imports nothing: the world `core` exports only, and the core
//! module is built for `wasm32-unknown-unknown` so std adds no WASI imports either. A
//! policy engine can instantiate it with an empty linker.

use hoist_wasm_tests::{component_path, imports_and_exports};

/// Interfaces the component may import. Empty: the world imports nothing and the
/// `wasm32-unknown-unknown` std needs no host (see `hoist_wasm_tests::TARGET`).
const ALLOWED: &[&str] = &[];

#[test]
fn the_component_imports_nothing_and_exports_the_world() -> anyhow::Result<()> {
    let bytes = std::fs::read(component_path()?)?;
    let (imports, exports) = imports_and_exports(&bytes)?;
    let extra: Vec<&String> = imports
        .iter()
        .filter(|i| !ALLOWED.contains(&i.as_str()))
        .collect();
    assert!(extra.is_empty(), "unexpected imports: {extra:?}");
    for name in [
        "types",
        "digest",
        "reference",
        "auth",
        "platform",
        "manifest",
        "config",
        "ids",
        "store",
        "filter",
        "pull",
    ] {
        let want = format!("hoist:image/{name}@0.1.0");
        assert!(
            exports.contains(&want),
            "{want} not exported; exports: {exports:?}"
        );
    }
    eprintln!(
        "{} bytes, imports {imports:?}, {} exports",
        bytes.len(),
        exports.len()
    );
    Ok(())
}
