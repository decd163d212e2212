//! `manifest.*` vectors.
//!
//! - `manifest.parse`: input `{"body": "<raw document>", "contentType": str|null,
//!   "parentMediaType": str|null, "limits": {"maxBytes", "maxLayers", "maxIndexEntries"}?}`
//!   (all but `body` optional) → ok `{"kind", "mediaType", "digest", "config": digest|null,
//!   "layers": [digest…], "children": [{"mediaType", "digest", "platform": str|null}…]}`,
//!   where `platform` is containerd's `FormatAll` string and `layers` is base-first.
//! - `manifest.verify`: input `{"body", "contentType"?, "expected": digest}` → ok `true`.
//! - `manifest.descriptor`: input: a descriptor JSON object → ok: the descriptor as hoist
//!   re-serialises it (Go field order, sorted annotations, empty fields omitted).

use hoist_core::descriptor::Descriptor;
use hoist_core::digest::Digest;
use hoist_core::manifest::{Limits, Manifest};
use serde_json::{json, Value};

use crate::output;

pub fn run(name: &str, input: &Value) -> Option<Value> {
    Some(match name {
        "parse" => output(parse(input)?.map(|m| summary(&m))),
        "verify" => {
            let expected = match Digest::parse(input.get("expected")?.as_str()?) {
                Ok(d) => d,
                Err(e) => return Some(output::<(), _>(Err(e))),
            };
            output(parse(input)?.and_then(|m| m.verify(&expected).map(|()| true)))
        }
        "descriptor" => output(Descriptor::from_value(input)),
        _ => return None,
    })
}

fn opt_str<'a>(input: &'a Value, key: &str) -> Option<Option<&'a str>> {
    match input.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(v) => Some(Some(v.as_str()?)),
    }
}

fn parse(input: &Value) -> Option<Result<Manifest, hoist_core::manifest::ManifestError>> {
    let body = input.get("body")?.as_str()?;
    let mut limits = Limits::default();
    if let Some(l) = input.get("limits") {
        let get = |k: &str, d: usize| {
            l.get(k)
                .and_then(Value::as_u64)
                .and_then(|v| usize::try_from(v).ok())
                .unwrap_or(d)
        };
        limits = Limits {
            max_bytes: get("maxBytes", limits.max_bytes),
            max_layers: get("maxLayers", limits.max_layers),
            max_index_entries: get("maxIndexEntries", limits.max_index_entries),
        };
    }
    Some(Manifest::parse_with_limits(
        body.as_bytes(),
        opt_str(input, "contentType")?,
        opt_str(input, "parentMediaType")?,
        &limits,
    ))
}

fn summary(m: &Manifest) -> Value {
    json!({
        "kind": m.kind().as_str(),
        "mediaType": m.media_type().as_str(),
        "digest": m.digest().as_str(),
        "config": m.config().map(|c| c.digest.as_str()),
        "layers": m.layers().iter().map(|l| l.digest.as_str().to_owned()).collect::<Vec<_>>(),
        "children": m.children().iter().map(|c| json!({
            "mediaType": c.media_type,
            "digest": c.digest.as_str(),
            "platform": c.platform.as_ref().map(|p| p.format()),
        })).collect::<Vec<_>>(),
    })
}
