//! `digest.*` vectors.

use hoist_core::digest::{Algorithm, Digest, Verifier};
use serde_json::{json, Value};

use crate::output;

pub fn run(name: &str, input: &Value) -> Option<Value> {
    Some(match name {
        // input: "digest string" → ok: {algorithm, encoded}
        "parse" => output(
            Digest::parse(input.as_str()?)
                .map(|d| json!({ "algorithm": d.algorithm().as_str(), "encoded": d.encoded() })),
        ),
        // input: {algorithm, data (utf-8 text)} → ok: digest string
        "of" => {
            let alg = match input.get("algorithm")?.as_str()? {
                "sha256" => Algorithm::Sha256,
                "sha512" => Algorithm::Sha512,
                _ => return None,
            };
            let data = input.get("data")?.as_str()?;
            json!({ "ok": Digest::of(alg, data.as_bytes()).to_string() })
        }
        // input: {expected, size?, chunks: [text…]} → ok: digest or error code
        "verify" => {
            let expected = match Digest::parse(input.get("expected")?.as_str()?) {
                Ok(d) => d,
                Err(e) => return Some(output::<(), _>(Err(e))),
            };
            let mut v = Verifier::new(expected);
            if let Some(size) = input.get("size").and_then(Value::as_u64) {
                v = v.with_size(size);
            }
            for chunk in input.get("chunks")?.as_array()? {
                if let Err(e) = v.update(chunk.as_str()?.as_bytes()) {
                    return Some(output::<(), _>(Err(e)));
                }
            }
            output(v.finish().map(|d| d.to_string()))
        }
        _ => return None,
    })
}
