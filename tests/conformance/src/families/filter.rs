//! `filter.*` vectors.
//!
//! Shapes (records are `ImageRecord` JSON, see `core/src/store/record.rs`):
//!
//! - `filter.glob`: `{"pattern": "...", "name": "..."}` → ok: boolean (Go `path.Match`).
//! - `filter.until`: `{"value": "...", "now": <unix seconds>}` → ok: `"<secs>.<9-digit nanos>"`.
//! - `filter.parse`: `{"filters": ["k=v", …], "images"?: [record…], "now"?: n}` →
//!   ok: `[{"key": "...", "negate": bool, "value": "..."}, …]`.
//! - `filter.match`: `{"images": [record…], "filters": [...], "now"?: n}` → ok: the IDs
//!   that pass, in list order (newest first, then by ID).

use hoist_core::filter::{parse_until, Filters, Glob};
use hoist_core::store::{ImageIndex, ImageRecord};
use serde_json::{json, Value};

use crate::output;

fn strings(v: &Value) -> Option<Vec<&str>> {
    v.as_array()?.iter().map(Value::as_str).collect()
}

/// Builds an index from `input.images` (absent means empty); `None` on malformed records.
pub(crate) fn index_from(input: &Value) -> Option<ImageIndex> {
    let mut index = ImageIndex::new();
    if let Some(images) = input.get("images") {
        for image in images.as_array()? {
            let record: ImageRecord = serde_json::from_value(image.clone()).ok()?;
            index.add(record).ok()?;
        }
    }
    if let Some(search) = input.get("search_registries") {
        index.set_search_registries(&strings(search)?);
    }
    Some(index)
}

pub fn run(name: &str, input: &Value) -> Option<Value> {
    let now = input.get("now").and_then(Value::as_i64).unwrap_or(0);
    Some(match name {
        "glob" => {
            let pattern = input.get("pattern")?.as_str()?;
            let name = input.get("name")?.as_str()?;
            output(Glob::new(pattern).map(|g| g.is_match(name)))
        }
        "until" => output(parse_until(input.get("value")?.as_str()?, now).map(|t| t.to_string())),
        "parse" => {
            let index = index_from(input)?;
            let filters = strings(input.get("filters")?)?;
            output(Filters::parse(&filters, &index, now).map(|f| f.clauses().to_vec()))
        }
        "match" => {
            let index = index_from(input)?;
            let filters = strings(input.get("filters")?)?;
            match Filters::parse(&filters, &index, now) {
                Ok(f) => {
                    let ids: Vec<&str> = index.list(&f).iter().map(|r| r.id.as_str()).collect();
                    json!({ "ok": ids })
                }
                Err(e) => output::<(), _>(Err(e)),
            }
        }
        _ => return None,
    })
}
