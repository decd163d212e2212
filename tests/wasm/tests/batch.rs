//! `parse-normalized-batch` gives exactly what one `parse-normalized` call per input
//! gives, in order: over every input of the reference vector files
//! (`tests/vectors/reference_*.json`, which name their public sources), valid and not.

use hoist_wasm_tests::{component_path, Limits, Loaded};
use serde_json::Value;

fn inputs() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors");
    let mut out = Vec::new();
    for name in [
        "reference_normalize.json",
        "reference_parse.json",
        "reference_parse_named.json",
        "reference_parse_docker_ref.json",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).expect("vector file");
        let file: Value = serde_json::from_str(&text).expect("json");
        for case in file["cases"].as_array().into_iter().flatten() {
            let input = &case["input"];
            let s = input.as_str().or_else(|| input["input"].as_str());
            if let Some(s) = s {
                out.push(s.to_owned());
            }
        }
    }
    out
}

#[test]
fn batch_equals_one_call_per_input() -> anyhow::Result<()> {
    let texts = inputs();
    assert!(texts.len() > 100, "only {} inputs", texts.len());
    let loaded = Loaded::new(&component_path()?, false)?;
    let mut i = loaded.instantiate(&Limits::default())?;
    let api = i.core.hoist_image_reference().clone();
    let batch = api.call_parse_normalized_batch(&mut i.store, &texts)?;
    assert_eq!(batch.len(), texts.len());
    let (mut ok, mut err) = (0, 0);
    for (text, got) in texts.iter().zip(&batch) {
        let one = api.call_parse_normalized(&mut i.store, text)?;
        assert_eq!(format!("{got:?}"), format!("{one:?}"), "{text:?}");
        match got {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    assert!(ok > 50 && err > 50, "{ok} accepted, {err} rejected");
    // An empty batch is an empty answer.
    assert!(api
        .call_parse_normalized_batch(&mut i.store, &[])?
        .is_empty());
    Ok(())
}
