//! `reference.*` vectors.
//!
//! Output shapes (every function answers `{"ok": …}` or `{"error": "<code>"}`):
//!
//! - `parse`, `parse_normalized`, `parse_named`, `parse_name`, `parse_docker_ref`:
//!   input is a string; ok is a [`describe`]d reference:
//!   `{"domain": str|null, "path", "name", "tag": str|null, "digest": str|null,
//!     "string", "familiar", "canonical"}` (`string` is the exact form, `familiar` is
//!   `FamiliarString`, `canonical` is `TagNameOnly(ref).String()`).
//! - `with`: input `{"name": str, "ops": [{"tag": str} | {"digest": str}, …]}`: `WithName`
//!   and then each `WithTag` / `WithDigest` in order; ok is the resulting string.
//! - `registries_conf`: input `{"conf": toml}`; ok is
//!   `{"registries": [{"prefix", "location", "insecure", "blocked",
//!     "mirror_by_digest_only", "mirrors": [{"location", "insecure", "pull_from_mirror"}]}],
//!     "unqualified_search_registries": [str], "short_name_mode": str|null,
//!     "aliases": {name: str|null}}`.
//! - `find_registry`: input `{"conf", "reference": str}`; ok is
//!   `{"prefix", "location"}` or null when no registry matches.
//! - `pull_sources`: input `{"conf", "reference"}` (the reference is normalized first);
//!   ok is `[{"location", "insecure", "reference"}]`.
//! - `short_names`: input `{"conf", "name", "mode"?}`; ok is
//!   `{"origin", "mode", "candidates": [str]}`.
//! - `candidates_to_try`: input `{"conf", "name"}`; ok is `[str]`.
//! - `is_short_name`: input a string; ok is a boolean.
//! - `image_location`: input a string; ok is `{"transport", "string", …}` with
//!   `reference` + `explicit` (docker), `path` + `name`/`index` (oci, oci-archive),
//!   `path` + `reference`/`index` (docker-archive) or `path` (dir).

use hoist_core::digest::Digest;
use hoist_core::reference::{
    self, is_short_name, ArchiveSelector, ImageLocation, OciSelector, Reference, RegistriesConf,
    ShortNameMode,
};
use serde_json::{json, Map, Value};

use crate::output;

fn describe(r: &Reference) -> Value {
    json!({
        "domain": r.domain(),
        "path": r.path(),
        "name": r.name(),
        "tag": r.tag(),
        "digest": r.digest().map(Digest::as_str),
        "string": r.as_str(),
        "familiar": r.familiar(),
        "canonical": r.canonical(),
    })
}

fn described(r: Result<Reference, reference::ReferenceError>) -> Value {
    output(r.map(|r| describe(&r)))
}

fn conf(input: &Value) -> Option<Result<RegistriesConf, reference::ReferenceError>> {
    Some(RegistriesConf::parse(input.get("conf")?.as_str()?))
}

fn describe_conf(c: &RegistriesConf) -> Value {
    let registries: Vec<Value> = c
        .registries()
        .iter()
        .map(|r| {
            json!({
                "prefix": r.prefix(),
                "location": r.location(),
                "insecure": r.insecure(),
                "blocked": r.blocked(),
                "mirror_by_digest_only": r.mirror_by_digest_only(),
                "mirrors": r.mirrors().iter().map(|m| json!({
                    "location": m.location(),
                    "insecure": m.insecure(),
                    "pull_from_mirror": m.pull_from_mirror().as_str(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let aliases: Map<String, Value> = c
        .aliases()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_ref().map_or(Value::Null, |r| json!(r.as_str())),
            )
        })
        .collect();
    json!({
        "registries": registries,
        "unqualified_search_registries": c.unqualified_search_registries(),
        "short_name_mode": c.configured_short_name_mode().map(ShortNameMode::as_str),
        "aliases": aliases,
    })
}

fn describe_location(l: &ImageLocation) -> Value {
    let mut out = json!({ "transport": l.transport(), "string": l.to_string() });
    let fields = match l {
        ImageLocation::Docker {
            reference,
            explicit,
        } => json!({ "reference": reference.as_str(), "explicit": explicit }),
        ImageLocation::Oci { path, selector } | ImageLocation::OciArchive { path, selector } => {
            match selector {
                OciSelector::Name(n) => json!({ "path": path, "name": n, "index": null }),
                OciSelector::Index(i) => json!({ "path": path, "name": null, "index": i }),
                _ => json!({ "path": path, "name": null, "index": null }),
            }
        }
        ImageLocation::DockerArchive { path, selector } => match selector {
            ArchiveSelector::Reference(r) => {
                json!({ "path": path, "reference": r.as_str(), "index": null })
            }
            ArchiveSelector::Index(i) => json!({ "path": path, "reference": null, "index": i }),
            _ => json!({ "path": path, "reference": null, "index": null }),
        },
        ImageLocation::Dir { path } => json!({ "path": path }),
        _ => json!({}),
    };
    if let (Some(out), Value::Object(fields)) = (out.as_object_mut(), fields) {
        out.extend(fields);
    }
    out
}

fn with(input: &Value) -> Option<Value> {
    let mut r = match Reference::parse_name(input.get("name")?.as_str()?) {
        Ok(r) => r,
        Err(e) => return Some(output::<(), _>(Err(e))),
    };
    for op in input.get("ops")?.as_array()? {
        let step = if let Some(tag) = op.get("tag") {
            r.with_tag(tag.as_str()?)
        } else {
            match Digest::parse(op.get("digest")?.as_str()?) {
                Ok(d) => Ok(r.with_digest(d)),
                Err(e) => return Some(output::<(), _>(Err(e))),
            }
        };
        r = match step {
            Ok(r) => r,
            Err(e) => return Some(output::<(), _>(Err(e))),
        };
    }
    Some(json!({ "ok": r.as_str() }))
}

pub fn run(name: &str, input: &Value) -> Option<Value> {
    Some(match name {
        "parse" => described(reference::parse(input.as_str()?)),
        "parse_normalized" => described(reference::parse_normalized(input.as_str()?)),
        "parse_named" => described(reference::parse_named(input.as_str()?)),
        "parse_name" => described(Reference::parse_name(input.as_str()?)),
        "parse_docker_ref" => described(reference::parse_docker_ref(input.as_str()?)),
        "with" => with(input)?,
        "registries_conf" => output(conf(input)?.map(|c| describe_conf(&c))),
        "find_registry" => {
            let target = input.get("reference")?.as_str()?;
            output(conf(input)?.map(|c| {
                c.find_registry(target)
                    .map(|r| json!({ "prefix": r.prefix(), "location": r.location() }))
            }))
        }
        "pull_sources" => {
            let target = input.get("reference")?.as_str()?;
            output(conf(input)?.and_then(|c| {
                let r = reference::parse_normalized(target)?;
                c.pull_sources(&r).map(|sources| {
                    sources
                        .iter()
                        .map(|s| {
                            json!({
                                "location": s.endpoint.location(),
                                "insecure": s.endpoint.insecure(),
                                "reference": s.reference.as_str(),
                            })
                        })
                        .collect::<Vec<_>>()
                })
            }))
        }
        "short_names" => {
            let short = input.get("name")?.as_str()?;
            let mode = match input.get("mode") {
                None => None,
                Some(m) => Some(ShortNameMode::parse(m.as_str()?)?),
            };
            output(conf(input)?.and_then(|c| {
                let r = match mode {
                    Some(m) => c.short_name_candidates_with_mode(short, m),
                    None => c.short_name_candidates(short),
                }?;
                Ok(json!({
                    "origin": r.origin.as_str(),
                    "mode": r.mode.as_str(),
                    "candidates": r.candidates.iter().map(Reference::as_str).collect::<Vec<_>>(),
                }))
            }))
        }
        "candidates_to_try" => {
            let short = input.get("name")?.as_str()?;
            output(conf(input)?.and_then(|c| {
                c.candidates_to_try(short)
                    .map(|v| v.iter().map(|r| r.as_str().to_owned()).collect::<Vec<_>>())
            }))
        }
        "is_short_name" => output(is_short_name(input.as_str()?)),
        "image_location" => {
            output(ImageLocation::parse(input.as_str()?).map(|l| describe_location(&l)))
        }
        _ => return None,
    })
}
