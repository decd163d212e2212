//! `filter.*` and `store.*`.

use serde_json::{json, Map, Value};
use wasmtime::component::ResourceAny;

use super::{error, output, strings, Cx, Out};
use crate::bindings::exports::hoist::image::filter::FilterKey;
use crate::bindings::exports::hoist::image::store::Change;
use crate::bindings::exports::hoist::image::types::{Error, ImageRecord, PullRecord};

/// Reads a record the way serde reads `ImageRecord`/`PullRecord` (unknown keys and wrong
/// types refused, absent fields defaulted); digests are checked by the component, so an
/// invalid one makes the case unusable, as a serde failure does natively.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn only(&self, allowed: &[&str]) -> Option<()> {
        self.0
            .keys()
            .all(|k| allowed.contains(&k.as_str()))
            .then_some(())
    }

    fn string(&self, k: &str) -> Option<String> {
        self.0.get(k)?.as_str().map(str::to_owned)
    }

    fn opt_string(&self, k: &str) -> Option<Option<String>> {
        match self.0.get(k) {
            None | Some(Value::Null) => Some(None),
            Some(v) => Some(Some(v.as_str()?.to_owned())),
        }
    }

    fn opt_i64(&self, k: &str) -> Option<Option<i64>> {
        match self.0.get(k) {
            None | Some(Value::Null) => Some(None),
            Some(v) => Some(Some(v.as_i64()?)),
        }
    }

    fn strings(&self, k: &str) -> Option<Vec<String>> {
        self.0.get(k).map_or(Some(Vec::new()), strings)
    }

    fn labels(&self) -> Option<Vec<(String, String)>> {
        match self.0.get("labels") {
            None => Some(Vec::new()),
            Some(v) => v
                .as_object()?
                .iter()
                .map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect(),
        }
    }

    fn u64(&self, k: &str) -> Option<u64> {
        self.0.get(k).map_or(Some(0), Value::as_u64)
    }

    fn bool(&self, k: &str) -> Option<bool> {
        self.0.get(k).map_or(Some(false), Value::as_bool)
    }
}

fn valid_digests(cx: &mut Cx<'_>, list: &[Option<&String>]) -> anyhow::Result<bool> {
    for d in list.iter().flatten() {
        if cx
            .c
            .hoist_image_digest()
            .call_parse_digest(&mut *cx.s, d)?
            .is_err()
        {
            return Ok(false);
        }
    }
    Ok(true)
}

fn record_in(cx: &mut Cx<'_>, v: &Value) -> anyhow::Result<Option<ImageRecord>> {
    let Some(obj) = v.as_object() else {
        return Ok(None);
    };
    let f = Fields(obj);
    let parsed = (|| {
        f.only(&[
            "id",
            "names",
            "digests",
            "created",
            "pulled_at",
            "labels",
            "size",
            "manifest_digest",
            "config_digest",
            "os",
            "architecture",
            "pinned",
        ])?;
        Some(ImageRecord {
            id: f.string("id")?,
            names: f.strings("names")?,
            digests: f.strings("digests")?,
            created: f.opt_i64("created")?,
            pulled_at: f.opt_i64("pulled_at")?,
            labels: f.labels()?,
            size: f.u64("size")?,
            manifest_digest: f.string("manifest_digest")?,
            config_digest: f.opt_string("config_digest")?,
            os: f.opt_string("os")?,
            architecture: f.opt_string("architecture")?,
            pinned: f.bool("pinned")?,
        })
    })();
    let Some(r) = parsed else { return Ok(None) };
    let ok = valid_digests(
        cx,
        &[
            Some(&r.id),
            Some(&r.manifest_digest),
            r.config_digest.as_ref(),
        ],
    )?;
    Ok(ok.then_some(r))
}

fn pull_record_in(cx: &mut Cx<'_>, v: &Value) -> anyhow::Result<Option<PullRecord>> {
    let Some(obj) = v.as_object() else {
        return Ok(None);
    };
    let f = Fields(obj);
    let parsed = (|| {
        f.only(&[
            "reference",
            "id",
            "manifest_digest",
            "resolved_digest",
            "config_digest",
            "created",
            "labels",
            "size",
            "os",
            "architecture",
        ])?;
        Some(PullRecord {
            reference: f.string("reference")?,
            id: f.string("id")?,
            manifest_digest: f.string("manifest_digest")?,
            resolved_digest: f.opt_string("resolved_digest")?,
            config_digest: f.opt_string("config_digest")?,
            created: f.opt_i64("created")?,
            labels: f.labels()?,
            size: f.u64("size")?,
            os: f.opt_string("os")?,
            architecture: f.opt_string("architecture")?,
        })
    })();
    let Some(r) = parsed else { return Ok(None) };
    let ok = valid_digests(
        cx,
        &[
            Some(&r.id),
            Some(&r.manifest_digest),
            r.resolved_digest.as_ref(),
            r.config_digest.as_ref(),
        ],
    )?;
    Ok(ok.then_some(r))
}

/// Builds an index from `input.images` (as `filter::index_from` does natively); `None`
/// when a record is malformed or refused.
fn index_from(cx: &mut Cx<'_>, input: &Value) -> anyhow::Result<Option<ResourceAny>> {
    let ix = cx.c.hoist_image_store().image_index();
    let index = ix.call_constructor(&mut *cx.s)?;
    let built = (|| -> anyhow::Result<bool> {
        if let Some(images) = input.get("images") {
            let Some(images) = images.as_array() else {
                return Ok(false);
            };
            for image in images {
                let Some(record) = record_in(cx, image)? else {
                    return Ok(false);
                };
                if ix.call_add(&mut *cx.s, index, &record)?.is_err() {
                    return Ok(false);
                }
            }
        }
        if let Some(search) = input.get("search_registries") {
            let Some(search) = strings(search) else {
                return Ok(false);
            };
            ix.call_set_search_registries(&mut *cx.s, index, &search)?;
        }
        Ok(true)
    })()?;
    if built {
        Ok(Some(index))
    } else {
        index.resource_drop(&mut *cx.s)?;
        Ok(None)
    }
}

fn change_json(c: Change) -> Value {
    match c {
        Change::ImageAdded(id) => json!({ "kind": "image-added", "id": id }),
        Change::ImageUpdated(id) => json!({ "kind": "image-updated", "id": id }),
        Change::ImageRemoved(id) => json!({ "kind": "image-removed", "id": id }),
        Change::NameAdded(n) => json!({ "kind": "name-added", "id": n.id, "name": n.name }),
        Change::NameRemoved(n) => json!({ "kind": "name-removed", "id": n.id, "name": n.name }),
        Change::DigestAdded(d) => json!({ "kind": "digest-added", "id": d.id, "digest": d.digest }),
        Change::DigestRemoved(d) => {
            json!({ "kind": "digest-removed", "id": d.id, "digest": d.digest })
        }
    }
}

fn changes(r: Result<Vec<Change>, Error>) -> Value {
    output(r, |list| {
        list.into_iter().map(change_json).collect::<Vec<_>>().into()
    })
}

fn summary(records: Vec<ImageRecord>) -> Value {
    records
        .into_iter()
        .map(|r| json!({ "id": r.id, "names": r.names, "digests": r.digests }))
        .collect::<Vec<_>>()
        .into()
}

fn key_name(k: FilterKey) -> &'static str {
    match k {
        FilterKey::Dangling => "dangling",
        FilterKey::Label => "label",
        FilterKey::Before => "before",
        FilterKey::Since => "since",
        FilterKey::Until => "until",
        FilterKey::Reference => "reference",
        FilterKey::Id => "id",
        FilterKey::Digest => "digest",
    }
}

fn apply(cx: &mut Cx<'_>, index: ResourceAny, op: &Value) -> Out {
    let ix = cx.c.hoist_image_store().image_index();
    let s = |k: &str| op.get(k).and_then(Value::as_str);
    let Some(kind) = s("op") else { return Ok(None) };
    let r = match kind {
        "add" => {
            let Some(record) = op.get("record") else {
                return Ok(None);
            };
            let Some(record) = record_in(cx, record)? else {
                return Ok(None);
            };
            ix.call_add(&mut *cx.s, index, &record)?
        }
        "pull" => {
            let Some(pull) = op.get("pull") else {
                return Ok(None);
            };
            let Some(pull) = pull_record_in(cx, pull)? else {
                return Ok(None);
            };
            let now = op.get("now").and_then(Value::as_i64).unwrap_or(0);
            ix.call_record_pull(&mut *cx.s, index, &pull, now)?
        }
        "tag" => {
            let (Some(image), Some(name)) = (s("image"), s("name")) else {
                return Ok(None);
            };
            ix.call_tag(&mut *cx.s, index, image, name)?
        }
        "untag" => {
            let Some(image) = s("image") else {
                return Ok(None);
            };
            ix.call_untag(&mut *cx.s, index, image, s("name"))?
        }
        "remove" => {
            let Some(image) = s("image") else {
                return Ok(None);
            };
            let force = op.get("force").and_then(Value::as_bool).unwrap_or(false);
            ix.call_remove(&mut *cx.s, index, image, force)?
        }
        "remove_all" => {
            let Some(image) = s("image") else {
                return Ok(None);
            };
            ix.call_remove_all(&mut *cx.s, index, image)?
        }
        _ => return Ok(None),
    };
    Ok(Some(changes(r)))
}

/// Runs `f` on the index built from the case, then drops it.
fn with_index(
    cx: &mut Cx<'_>,
    input: &Value,
    f: impl FnOnce(&mut Cx<'_>, ResourceAny) -> Out,
) -> Out {
    let Some(index) = index_from(cx, input)? else {
        return Ok(None);
    };
    let out = f(cx, index);
    index.resource_drop(&mut *cx.s)?;
    out
}

pub fn run(cx: &mut Cx<'_>, family: &str, name: &str, input: &Value) -> Out {
    let now = input.get("now").and_then(Value::as_i64).unwrap_or(0);
    let fl = cx.c.hoist_image_filter();
    let ix = cx.c.hoist_image_store().image_index();
    match (family, name) {
        ("filter", "glob") => {
            let (Some(p), Some(n)) = (
                input.get("pattern").and_then(Value::as_str),
                input.get("name").and_then(Value::as_str),
            ) else {
                return Ok(None);
            };
            Ok(Some(output(
                fl.call_glob_match(&mut *cx.s, p, n)?,
                Value::from,
            )))
        }
        ("filter", "until") => {
            let Some(v) = input.get("value").and_then(Value::as_str) else {
                return Ok(None);
            };
            Ok(Some(output(
                fl.call_parse_until(&mut *cx.s, v, now)?,
                |t| format!("{}.{:09}", t.seconds, t.nanos).into(),
            )))
        }
        ("filter", "parse") => with_index(cx, input, |cx, index| {
            let Some(filters) = input.get("filters").and_then(strings) else {
                return Ok(None);
            };
            let f = fl.filter();
            Ok(Some(
                match f.call_parse(&mut *cx.s, &filters, index, now)? {
                    Ok(filter) => {
                        let clauses = f.call_clauses(&mut *cx.s, filter)?;
                        filter.resource_drop(&mut *cx.s)?;
                        json!({ "ok": clauses.into_iter().map(|c| json!({
                        "key": key_name(c.key), "negate": c.negate, "value": c.value,
                    })).collect::<Vec<_>>() })
                    }
                    Err(e) => error(&e),
                },
            ))
        }),
        ("filter", "match") => with_index(cx, input, |cx, index| {
            let Some(filters) = input.get("filters").and_then(strings) else {
                return Ok(None);
            };
            Ok(Some(output(
                ix.call_list(&mut *cx.s, index, &filters, now)?,
                |list| list.into_iter().map(|r| r.id).collect::<Vec<_>>().into(),
            )))
        }),
        ("store", "resolve") => with_index(cx, input, |cx, index| {
            let Some(text) = input.get("input").and_then(Value::as_str) else {
                return Ok(None);
            };
            Ok(Some(output(
                ix.call_resolve(&mut *cx.s, index, text)?,
                |r| r.id.into(),
            )))
        }),
        ("store", "apply") => with_index(cx, input, |cx, index| {
            let Some(ops) = input.get("ops").and_then(Value::as_array) else {
                return Ok(None);
            };
            let mut results = Vec::new();
            for op in ops {
                let Some(r) = apply(cx, index, op)? else {
                    return Ok(None);
                };
                results.push(r);
            }
            let images = summary(ix.call_records(&mut *cx.s, index)?);
            Ok(Some(
                json!({ "ok": { "results": results, "images": images } }),
            ))
        }),
        ("store", "load") => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            Ok(Some(
                match ix.call_from_json(&mut *cx.s, text.as_bytes())? {
                    Ok(index) => {
                        let records = ix.call_records(&mut *cx.s, index)?;
                        index.resource_drop(&mut *cx.s)?;
                        json!({ "ok": summary(records) })
                    }
                    Err(e) => error(&e),
                },
            ))
        }
        _ => Ok(None),
    }
}
