//! `reference.*`.

use serde_json::{json, Map, Value};
use wasmtime::component::ResourceAny;

use super::{error, output, Cx, Out};
use crate::bindings::exports::hoist::image::reference::{
    ArchiveSelector, Location, OciSelector, PullFromMirror, Registry, ResolutionOrigin,
    ShortNameMode,
};
use crate::bindings::exports::hoist::image::types::{Error, ImageReference};

fn describe(r: ImageReference) -> Value {
    json!({
        "domain": r.domain,
        "path": r.path,
        "name": r.name,
        "tag": r.tag,
        "digest": r.digest,
        "string": r.text,
        "familiar": r.familiar,
        "canonical": r.canonical,
    })
}

fn mode_name(m: ShortNameMode) -> &'static str {
    match m {
        ShortNameMode::Disabled => "disabled",
        ShortNameMode::Permissive => "permissive",
        ShortNameMode::Enforcing => "enforcing",
    }
}

fn registry_json(r: Registry) -> Value {
    let mirrors: Vec<Value> = r
        .mirrors
        .into_iter()
        .map(|m| {
            json!({
                "location": m.location,
                "insecure": m.insecure,
                "pull_from_mirror": match m.pull_from_mirror {
                    PullFromMirror::All => "all",
                    PullFromMirror::DigestOnly => "digest-only",
                    PullFromMirror::TagOnly => "tag-only",
                },
            })
        })
        .collect();
    json!({
        "prefix": r.prefix,
        "location": r.location,
        "insecure": r.insecure,
        "blocked": r.blocked,
        "mirror_by_digest_only": r.mirror_by_digest_only,
        "mirrors": mirrors,
    })
}

fn with(cx: &mut Cx<'_>, input: &Value) -> Out {
    let r = cx.c.hoist_image_reference();
    let Some(name) = input.get("name").and_then(Value::as_str) else {
        return Ok(None);
    };
    let Some(ops) = input.get("ops").and_then(Value::as_array) else {
        return Ok(None);
    };
    let mut current = match r.call_parse_name(&mut *cx.s, name)? {
        Ok(c) => c,
        Err(e) => return Ok(Some(error(&e))),
    };
    for op in ops {
        let step = if let Some(tag) = op.get("tag") {
            let Some(tag) = tag.as_str() else {
                return Ok(None);
            };
            r.call_with_tag(&mut *cx.s, &current.text, tag)?
        } else {
            let Some(d) = op.get("digest").and_then(Value::as_str) else {
                return Ok(None);
            };
            r.call_with_digest(&mut *cx.s, &current.text, &d.to_owned())?
        };
        current = match step {
            Ok(c) => c,
            Err(e) => return Ok(Some(error(&e))),
        };
    }
    Ok(Some(json!({ "ok": current.text })))
}

/// Parses the case's `conf`, runs `f` on the resource, drops it.
fn with_conf(
    cx: &mut Cx<'_>,
    input: &Value,
    f: impl FnOnce(&mut Cx<'_>, ResourceAny) -> anyhow::Result<Value>,
) -> Out {
    let Some(text) = input.get("conf").and_then(Value::as_str) else {
        return Ok(None);
    };
    let conf = match cx
        .c
        .hoist_image_reference()
        .registries_conf()
        .call_parse(&mut *cx.s, text)?
    {
        Ok(c) => c,
        Err(e) => return Ok(Some(error(&e))),
    };
    let out = f(cx, conf);
    conf.resource_drop(&mut *cx.s)?;
    out.map(Some)
}

fn location_json(l: crate::bindings::exports::hoist::image::reference::ImageLocation) -> Value {
    let mut out = json!({ "transport": l.transport, "string": l.text });
    let oci = |path: String, s: OciSelector| match s {
        OciSelector::Name(n) => json!({ "path": path, "name": n, "index": null }),
        OciSelector::Index(i) => json!({ "path": path, "name": null, "index": i }),
        OciSelector::Default => json!({ "path": path, "name": null, "index": null }),
    };
    let fields = match l.location {
        Location::Docker((reference, explicit)) => {
            json!({ "reference": reference, "explicit": explicit })
        }
        Location::Oci((path, s)) | Location::OciArchive((path, s)) => oci(path, s),
        Location::DockerArchive((path, s)) => match s {
            ArchiveSelector::Reference(r) => json!({ "path": path, "reference": r, "index": null }),
            ArchiveSelector::Index(i) => json!({ "path": path, "reference": null, "index": i }),
            ArchiveSelector::Default => json!({ "path": path, "reference": null, "index": null }),
        },
        Location::Dir(path) => json!({ "path": path }),
    };
    if let (Some(out), Value::Object(fields)) = (out.as_object_mut(), fields) {
        out.extend(fields);
    }
    out
}

fn list_output(r: Result<Vec<String>, Error>) -> Value {
    output(r, Value::from)
}

pub fn run(cx: &mut Cx<'_>, name: &str, input: &Value) -> Out {
    let r = cx.c.hoist_image_reference();
    let conf = r.registries_conf();
    let described = |res: Result<ImageReference, Error>| Some(output(res, describe));
    match name {
        "parse" | "parse_normalized" | "parse_named" | "parse_name" | "parse_docker_ref" => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            let s = &mut *cx.s;
            Ok(described(match name {
                "parse" => r.call_parse(s, text)?,
                "parse_normalized" => r.call_parse_normalized(s, text)?,
                "parse_named" => r.call_parse_named(s, text)?,
                "parse_name" => r.call_parse_name(s, text)?,
                _ => r.call_parse_docker_ref(s, text)?,
            }))
        }
        "with" => with(cx, input),
        "registries_conf" => with_conf(cx, input, |cx, c| {
            let s = &mut *cx.s;
            let registries: Vec<Value> = conf
                .call_registries(&mut *s, c)?
                .into_iter()
                .map(registry_json)
                .collect();
            let aliases: Map<String, Value> = conf
                .call_aliases(&mut *s, c)?
                .into_iter()
                .map(|(k, v)| (k, v.map_or(Value::Null, Value::from)))
                .collect();
            Ok(json!({ "ok": {
                "registries": registries,
                "unqualified_search_registries": conf.call_unqualified_search_registries(&mut *s, c)?,
                "short_name_mode": conf.call_short_name_mode(&mut *s, c)?.map(mode_name),
                "aliases": aliases,
            } }))
        }),
        "find_registry" => {
            let Some(target) = input.get("reference").and_then(Value::as_str) else {
                return Ok(None);
            };
            with_conf(cx, input, |cx, c| {
                let found = conf.call_find_registry(&mut *cx.s, c, target)?;
                Ok(
                    json!({ "ok": found.map(|r| json!({ "prefix": r.prefix, "location": r.location })) }),
                )
            })
        }
        "pull_sources" => {
            let Some(target) = input.get("reference").and_then(Value::as_str) else {
                return Ok(None);
            };
            with_conf(cx, input, |cx, c| {
                Ok(output(
                    conf.call_pull_sources(&mut *cx.s, c, target)?,
                    |list| {
                        list.into_iter()
                        .map(|s| json!({ "location": s.location, "insecure": s.insecure, "reference": s.reference }))
                        .collect::<Vec<_>>()
                        .into()
                    },
                ))
            })
        }
        "short_names" => {
            let Some(short) = input.get("name").and_then(Value::as_str) else {
                return Ok(None);
            };
            let mode = match input.get("mode") {
                None => None,
                Some(m) => Some(match m.as_str() {
                    Some("disabled") => ShortNameMode::Disabled,
                    Some("permissive") => ShortNameMode::Permissive,
                    Some("enforcing") => ShortNameMode::Enforcing,
                    _ => return Ok(None),
                }),
            };
            with_conf(cx, input, |cx, c| {
                Ok(output(
                    conf.call_short_name_candidates(&mut *cx.s, c, short, mode)?,
                    |r| {
                        json!({
                            "origin": match r.origin {
                                ResolutionOrigin::FullyQualified => "fully-qualified",
                                ResolutionOrigin::Alias => "alias",
                                ResolutionOrigin::SearchRegistries => "search-registries",
                            },
                            "mode": mode_name(r.mode),
                            "candidates": r.candidates,
                        })
                    },
                ))
            })
        }
        "candidates_to_try" => {
            let Some(short) = input.get("name").and_then(Value::as_str) else {
                return Ok(None);
            };
            with_conf(cx, input, |cx, c| {
                Ok(list_output(
                    conf.call_candidates_to_try(&mut *cx.s, c, short)?,
                ))
            })
        }
        "is_short_name" => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            Ok(Some(output(
                r.call_is_short_name(&mut *cx.s, text)?,
                Value::from,
            )))
        }
        "image_location" => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            Ok(Some(output(
                r.call_parse_image_location(&mut *cx.s, text)?,
                location_json,
            )))
        }
        _ => Ok(None),
    }
}
