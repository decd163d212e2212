//! Checks every case of every `tests/vectors/*.json` file and reports every mismatch.

use std::path::PathBuf;

use hoist_conformance::{run, VectorFile};

#[test]
fn all_vectors() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    let mut failures = Vec::new();
    let mut total = 0usize;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable");
        let file: VectorFile = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not a vector file: {e}", path.display()));
        assert!(
            !file.source.trim().is_empty(),
            "{}: names no source",
            path.display()
        );
        assert!(!file.cases.is_empty(), "{}: has no cases", path.display());
        for (i, case) in file.cases.iter().enumerate() {
            total += 1;
            let label = case.name.clone().unwrap_or_else(|| format!("#{i}"));
            match run(&file.function, &case.input) {
                None => failures.push(format!(
                    "{}: {label}: unknown function {} or malformed input",
                    path.display(),
                    file.function
                )),
                Some(got) if got != case.expected => failures.push(format!(
                    "{}: {label}: input {}\n  expected {}\n  got      {}",
                    path.display(),
                    case.input,
                    case.expected,
                    got
                )),
                Some(_) => {}
            }
        }
    }
    eprintln!("{total} vector cases in {} files", files.len());
    assert!(
        failures.is_empty(),
        "{} of {total} vector cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
