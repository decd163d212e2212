//! `id.*` vectors.
//!
//! Shapes (success is `{"ok": …}`, failure `{"error": "<code>"}`):
//!
//! - `id.image_id`: input the config text. ok: digest string.
//! - `id.chain_ids`: input a list of diff ID strings. ok: list of chain ID strings.
//! - `id.chain_id`: input a list of diff ID strings. ok: chain ID string or `null`.
//! - `id.prefix`: input `{prefix, id}`. ok: `{hex, full, matches}`.
//! - `id.short_id`: input a digest string. ok: 12 hex characters.
//! - `id.looks_like_id`: input a string. ok: boolean.
//! - `id.repo_digest`: input `{name, digest}`. ok: `name@digest` string.
//!
//! Digest inputs that do not parse give the digest error code.

use hoist_core::digest::Digest;
use hoist_core::id::{
    chain_id, chain_ids, image_id, looks_like_id, repo_digest, short_id, IdPrefix,
};
use serde_json::{json, Value};

use crate::output;

fn digest(v: &Value) -> Option<Result<Digest, Value>> {
    Some(Digest::parse(v.as_str()?).map_err(|e| output::<(), _>(Err(e))))
}

fn digests(v: &Value) -> Option<Result<Vec<Digest>, Value>> {
    let mut out = Vec::new();
    for item in v.as_array()? {
        match digest(item)? {
            Ok(d) => out.push(d),
            Err(e) => return Some(Err(e)),
        }
    }
    Some(Ok(out))
}

pub fn run(name: &str, input: &Value) -> Option<Value> {
    Some(match name {
        "image_id" => json!({ "ok": image_id(input.as_str()?.as_bytes()).to_string() }),
        "chain_ids" => match digests(input)? {
            Ok(d) => {
                json!({ "ok": chain_ids(&d).iter().map(Digest::to_string).collect::<Vec<_>>() })
            }
            Err(e) => e,
        },
        "chain_id" => match digests(input)? {
            Ok(d) => json!({ "ok": chain_id(&d).map(|c| c.to_string()) }),
            Err(e) => e,
        },
        "prefix" => {
            let id = match digest(input.get("id")?)? {
                Ok(d) => d,
                Err(e) => return Some(e),
            };
            output(IdPrefix::parse(input.get("prefix")?.as_str()?).map(
                |p| json!({ "hex": p.as_str(), "full": p.is_full(), "matches": p.matches(&id) }),
            ))
        }
        "short_id" => match digest(input)? {
            Ok(d) => json!({ "ok": short_id(&d) }),
            Err(e) => e,
        },
        "looks_like_id" => json!({ "ok": looks_like_id(input.as_str()?) }),
        "repo_digest" => match digest(input.get("digest")?)? {
            Ok(d) => json!({ "ok": repo_digest(input.get("name")?.as_str()?, &d) }),
            Err(e) => e,
        },
        _ => return None,
    })
}
