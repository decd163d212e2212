//! Prints the native core's output for every case of every `tests/vectors/*.json` file,
//! so the wasm component and Node runners can compare their outputs with it byte for byte.
//!
//! Usage: `cargo run -p hoist-conformance --bin dump-vectors [VECTOR_DIR] > native.json`.
//!
//! Output: one JSON object `{"<file name>": [<output of case 0>, <output of case 1>, …], …}`
//! in canonical form (object keys sorted, no whitespace), the form the other runners must
//! also produce. A case whose function is unknown prints `null`.

use std::path::PathBuf;

use hoist_conformance::{canonical_json, run, VectorFile};
use serde_json::{Map, Value};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors"));
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) => {
            eprintln!("dump-vectors: {}: {e}", dir.display());
            std::process::exit(2);
        }
    };
    files.sort();
    let mut out = Map::new();
    for path in &files {
        let parsed = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<VectorFile>(&t).map_err(|e| e.to_string()));
        let file = match parsed {
            Ok(f) => f,
            Err(e) => {
                eprintln!("dump-vectors: {}: {e}", path.display());
                std::process::exit(2);
            }
        };
        let outputs: Vec<Value> = file
            .cases
            .iter()
            .map(|c| run(&file.function, &c.input).unwrap_or(Value::Null))
            .collect();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.insert(name, Value::Array(outputs));
    }
    println!("{}", canonical_json(&Value::Object(out)));
}
