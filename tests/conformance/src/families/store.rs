//! `store.*` vectors.
//!
//! Shapes (records are `ImageRecord` JSON, see `core/src/store/record.rs`; `images` are
//! added in order with `ImageIndex::add`, so names are normalized and move as in a pull):
//!
//! - `store.resolve`: `{"images": [...], "search_registries"?: [...], "input": "..."}` →
//!   ok: the image ID.
//! - `store.apply`: `{"images": [...], "ops": [op…]}` → ok:
//!   `{"results": [{"ok": [change…]} | {"error": code}, …], "images": [{"id", "names",
//!   "digests"}, …]}` (final state, ordered by ID). A failing op does not stop the
//!   sequence. Ops: `{"op": "add", "record": record}`,
//!   `{"op": "pull", "pull": PullRecord, "now": n}`, `{"op": "tag", "image", "name"}`,
//!   `{"op": "untag", "image", "name"?}`, `{"op": "remove", "image", "force"?}`,
//!   `{"op": "remove_all", "image"}`. Changes are `{"kind": "name-added", "id", "name"}`
//!   etc. (`store::Change`).
//! - `store.load`: a string (the persisted document) → ok: `[{"id", "names", "digests"}…]`.

use hoist_core::store::{Change, ImageIndex, ImageRecord, PullRecord, StoreError};
use serde_json::{json, Value};

use super::filter::index_from;
use crate::output;

fn summary(index: &ImageIndex) -> Value {
    Value::Array(
        index
            .records()
            .map(|r| json!({ "id": r.id.as_str(), "names": r.names, "digests": r.digests }))
            .collect(),
    )
}

fn apply(index: &mut ImageIndex, op: &Value) -> Option<Result<Vec<Change>, StoreError>> {
    let s = |k: &str| op.get(k).and_then(Value::as_str);
    Some(match op.get("op")?.as_str()? {
        "add" => {
            let record: ImageRecord = serde_json::from_value(op.get("record")?.clone()).ok()?;
            index.add(record)
        }
        "pull" => {
            let pull: PullRecord = serde_json::from_value(op.get("pull")?.clone()).ok()?;
            index.record_pull(pull, op.get("now").and_then(Value::as_i64).unwrap_or(0))
        }
        "tag" => index.tag(s("image")?, s("name")?),
        "untag" => index.untag(s("image")?, s("name")),
        "remove" => index.remove(
            s("image")?,
            op.get("force").and_then(Value::as_bool).unwrap_or(false),
        ),
        "remove_all" => index.remove_all(s("image")?),
        _ => return None,
    })
}

pub fn run(name: &str, input: &Value) -> Option<Value> {
    Some(match name {
        "resolve" => {
            let index = index_from(input)?;
            output(
                index
                    .resolve(input.get("input")?.as_str()?)
                    .map(|r| r.id.as_str().to_owned()),
            )
        }
        "apply" => {
            let mut index = index_from(input)?;
            let mut results = Vec::new();
            for op in input.get("ops")?.as_array()? {
                results.push(output(apply(&mut index, op)?));
            }
            json!({ "ok": { "results": results, "images": summary(&index) } })
        }
        "load" => output(ImageIndex::from_json(input.as_str()?.as_bytes()).map(|i| summary(&i))),
        _ => return None,
    })
}
