//! Every case of every `tests/vectors/*.json` file runs through the wasm component (typed
//! WIT calls under wasmtime) and through the native core (`hoist_conformance::run`, the
//! same code `dump-vectors` prints); the canonical JSON outputs must be byte-identical.
//! Every mismatch is listed before the test fails.

use std::path::Path;

use hoist_conformance::{canonical_json, run, VectorFile};
use hoist_wasm_tests::{component_path, vectors, Limits, Loaded};
use serde_json::Value;

#[test]
fn every_vector_case_matches_the_native_core_byte_for_byte() -> anyhow::Result<()> {
    let loaded = Loaded::new(&component_path()?, false)?;
    let mut instance = loaded.instantiate(&Limits::default())?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let (mut cases, mut mismatches) = (0usize, Vec::new());
    for path in &files {
        let file: VectorFile = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (i, case) in file.cases.iter().enumerate() {
            cases += 1;
            let native = canonical_json(&run(&file.function, &case.input).unwrap_or(Value::Null));
            let wasm = match vectors::run(&mut instance, &file.function, &case.input) {
                Ok(v) => canonical_json(&v.unwrap_or(Value::Null)),
                Err(e) => {
                    // A trap poisons the instance: report it and continue on a fresh one.
                    instance = loaded.instantiate(&Limits::default())?;
                    format!("trap: {e:#}")
                }
            };
            if native != wasm {
                let label = case.name.as_deref().unwrap_or("");
                mismatches.push(format!(
                    "{name}[{i}] {label}\n  native: {native}\n  wasm:   {wasm}"
                ));
            }
        }
    }
    eprintln!(
        "{cases} cases in {} files, {} mismatches",
        files.len(),
        mismatches.len()
    );
    assert!(
        files.len() >= 40,
        "vector files not found in {}",
        dir.display()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    Ok(())
}
