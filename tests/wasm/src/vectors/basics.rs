//! `digest.*`, `platform.*`, `manifest.*`, `config.*`, `id.*`.

use serde_json::{json, Value};

use super::{error, output, strings, Cx, Out};
use crate::bindings::exports::hoist::image::config::{ImageConfig, ImageUser};
use crate::bindings::exports::hoist::image::digest::Algorithm;
use crate::bindings::exports::hoist::image::ids::Schema1Entry;
use crate::bindings::exports::hoist::image::types::{Descriptor, Error, Platform};

pub fn run(cx: &mut Cx<'_>, family: &str, name: &str, input: &Value) -> Out {
    match family {
        "digest" => digest(cx, name, input),
        "platform" => platform(cx, name, input),
        "manifest" => manifest(cx, name, input),
        "config" => config(cx, name, input),
        "id" => id(cx, name, input),
        _ => Ok(None),
    }
}

fn digest(cx: &mut Cx<'_>, name: &str, input: &Value) -> Out {
    let d = cx.c.hoist_image_digest();
    Ok(Some(match name {
        "parse" => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            output(
                d.call_parse_digest(&mut *cx.s, text)?,
                |p| json!({ "algorithm": p.algorithm, "encoded": p.encoded }),
            )
        }
        "of" => {
            let alg = match input.get("algorithm").and_then(Value::as_str) {
                Some("sha256") => Algorithm::Sha256,
                Some("sha512") => Algorithm::Sha512,
                _ => return Ok(None),
            };
            let Some(data) = input.get("data").and_then(Value::as_str) else {
                return Ok(None);
            };
            json!({ "ok": d.call_digest_of(&mut *cx.s, alg, data.as_bytes())? })
        }
        "verify" => {
            let Some(expected) = input.get("expected").and_then(Value::as_str) else {
                return Ok(None);
            };
            let Some(chunks) = input.get("chunks").and_then(strings) else {
                return Ok(None);
            };
            let size = input.get("size").and_then(Value::as_u64);
            let v = d.verifier();
            let verifier = match v.call_create(&mut *cx.s, &expected.to_owned(), size)? {
                Ok(r) => r,
                Err(e) => return Ok(Some(error(&e))),
            };
            let mut result = None;
            for chunk in &chunks {
                if let Err(e) = v.call_update(&mut *cx.s, verifier, chunk.as_bytes())? {
                    result = Some(error(&e));
                    break;
                }
            }
            let result = match result {
                Some(r) => r,
                None => output(v.call_finish(&mut *cx.s, verifier)?, Value::from),
            };
            verifier.resource_drop(&mut *cx.s)?;
            result
        }
        _ => return Ok(None),
    }))
}

fn host() -> Platform {
    Platform {
        architecture: "amd64".into(),
        os: "linux".into(),
        os_version: String::new(),
        os_features: Vec::new(),
        variant: String::new(),
    }
}

/// A platform input: a specifier string (host linux/amd64) or an image-spec object.
fn platform_in(cx: &mut Cx<'_>, v: &Value) -> anyhow::Result<Option<Result<Platform, Error>>> {
    let p = cx.c.hoist_image_platform();
    Ok(Some(match v {
        Value::String(s) => p.call_parse(&mut *cx.s, s, &host())?,
        Value::Object(_) => p.call_from_json(&mut *cx.s, &v.to_string())?,
        _ => return Ok(None),
    }))
}

macro_rules! try_some {
    ($e:expr) => {
        match $e {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Ok(Some(error(&e))),
            None => return Ok(None),
        }
    };
}

fn platform_json(cx: &mut Cx<'_>, p: &Platform) -> anyhow::Result<Value> {
    let text = cx.c.hoist_image_platform().call_to_json(&mut *cx.s, p)?;
    Ok(serde_json::from_str(&text)?)
}

fn platform(cx: &mut Cx<'_>, name: &str, input: &Value) -> Out {
    let pl = cx.c.hoist_image_platform();
    Ok(Some(match name {
        "parse" => {
            let host = match input.get("host") {
                Some(h) => try_some!(platform_in(cx, h)?),
                None => host(),
            };
            let Some(spec) = input.get("specifier").and_then(Value::as_str) else {
                return Ok(None);
            };
            match pl.call_parse(&mut *cx.s, spec, &host)? {
                Ok(p) => json!({ "ok": platform_json(cx, &p)? }),
                Err(e) => error(&e),
            }
        }
        "normalize" => match pl.call_from_json(&mut *cx.s, &input.to_string())? {
            Ok(p) => {
                let n = pl.call_normalize(&mut *cx.s, &p)?;
                json!({ "ok": platform_json(cx, &n)? })
            }
            Err(e) => error(&e),
        },
        "matches" => {
            let Some(want) = input.get("want") else {
                return Ok(None);
            };
            let Some(candidate) = input.get("candidate") else {
                return Ok(None);
            };
            let want = try_some!(platform_in(cx, want)?);
            let candidate = try_some!(platform_in(cx, candidate)?);
            let strict = input
                .get("strict")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            json!({ "ok": pl.call_matches(&mut *cx.s, &want, &candidate, strict)? })
        }
        "select" => {
            let Some(want) = input.get("want") else {
                return Ok(None);
            };
            let want = try_some!(platform_in(cx, want)?);
            let Some(available) = input.get("available").and_then(Value::as_array) else {
                return Ok(None);
            };
            let mut children = Vec::new();
            for (i, p) in available.iter().enumerate() {
                let digest = cx.c.hoist_image_digest().call_digest_of(
                    &mut *cx.s,
                    Algorithm::Sha256,
                    i.to_string().as_bytes(),
                )?;
                let platform = if p.is_null() {
                    None
                } else {
                    Some(try_some!(platform_in(cx, p)?))
                };
                children.push(Descriptor {
                    media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                    digest,
                    size: 1,
                    urls: Vec::new(),
                    annotations: Vec::new(),
                    data: None,
                    platform,
                    artifact_type: None,
                });
            }
            output(
                cx.c.hoist_image_manifest()
                    .call_select_platform(&mut *cx.s, &children, &want)?,
                Value::from,
            )
        }
        _ => return Ok(None),
    }))
}

fn opt_str<'a>(input: &'a Value, key: &str) -> Option<Option<&'a str>> {
    match input.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(v) => Some(Some(v.as_str()?)),
    }
}

fn manifest(cx: &mut Cx<'_>, name: &str, input: &Value) -> Out {
    let m = cx.c.hoist_image_manifest();
    if name == "descriptor" {
        return Ok(Some(
            match m.call_descriptor_from_json(&mut *cx.s, &input.to_string())? {
                Ok(d) => match m.call_descriptor_to_json(&mut *cx.s, &d)? {
                    Ok(text) => json!({ "ok": serde_json::from_str::<Value>(&text)? }),
                    Err(e) => error(&e),
                },
                Err(e) => error(&e),
            },
        ));
    }
    let Some(body) = input.get("body").and_then(Value::as_str) else {
        return Ok(None);
    };
    let (Some(content_type), Some(parent)) = (
        opt_str(input, "contentType"),
        opt_str(input, "parentMediaType"),
    ) else {
        return Ok(None);
    };
    Ok(Some(match name {
        "parse" => {
            let mut limits = m.call_default_limits(&mut *cx.s)?;
            if let Some(l) = input.get("limits") {
                let get = |k: &str| l.get(k).and_then(Value::as_u64);
                if let Some(v) = get("maxBytes") {
                    limits.max_bytes = v;
                }
                if let Some(v) = get("maxLayers") {
                    limits.max_layers = u32::try_from(v)?;
                }
                if let Some(v) = get("maxIndexEntries") {
                    limits.max_index_entries = u32::try_from(v)?;
                }
            }
            match m.call_parse_manifest(
                &mut *cx.s,
                body.as_bytes(),
                content_type,
                parent,
                limits,
            )? {
                Ok(info) => {
                    let mut children = Vec::new();
                    for c in &info.children {
                        let platform = match &c.platform {
                            Some(p) => {
                                Value::from(cx.c.hoist_image_platform().call_format(&mut *cx.s, p)?)
                            }
                            None => Value::Null,
                        };
                        children.push(json!({ "mediaType": c.media_type, "digest": c.digest, "platform": platform }));
                    }
                    json!({ "ok": {
                        "kind": kind_name(info.kind),
                        "mediaType": info.media_type,
                        "digest": info.digest,
                        "config": info.config.map(|c| c.digest),
                        "layers": info.layers.into_iter().map(|l| l.digest).collect::<Vec<_>>(),
                        "children": children,
                    } })
                }
                Err(e) => error(&e),
            }
        }
        "verify" => {
            let Some(expected) = input.get("expected").and_then(Value::as_str) else {
                return Ok(None);
            };
            output(
                m.call_verify_manifest(
                    &mut *cx.s,
                    body.as_bytes(),
                    content_type,
                    &expected.to_owned(),
                )?,
                |()| json!(true),
            )
        }
        _ => return Ok(None),
    }))
}

fn kind_name(k: crate::bindings::exports::hoist::image::manifest::ManifestKind) -> &'static str {
    use crate::bindings::exports::hoist::image::manifest::ManifestKind as K;
    match k {
        K::OciImage => "oci-image",
        K::OciIndex => "oci-index",
        K::DockerV2 => "docker-v2",
        K::DockerList => "docker-list",
        K::DockerSchema1 => "docker-schema1",
    }
}

fn user_json(u: Option<ImageUser>) -> Value {
    match u {
        Some(ImageUser::Uid(n)) => json!({ "uid": n }),
        Some(ImageUser::Name(s)) => json!({ "name": s }),
        None => Value::Null,
    }
}

fn config_summary(c: ImageConfig) -> Value {
    let exec = c.config.as_ref();
    let labels: serde_json::Map<String, Value> = c
        .labels
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect();
    json!({
        "image_id": c.id,
        "architecture": c.architecture,
        "os": c.os,
        "variant": c.variant,
        "os_version": c.os_version,
        "os_features": c.os_features,
        "author": c.author,
        "created": c.created.as_ref().map(|t| t.text.clone()),
        "created_unix": c.created.as_ref().map(|t| t.unix_seconds),
        "user": user_json(c.user),
        "labels": labels,
        "env": exec.and_then(|e| e.env.clone()),
        "entrypoint": exec.and_then(|e| e.entrypoint.clone()),
        "cmd": exec.and_then(|e| e.cmd.clone()),
        "working_dir": exec.and_then(|e| e.working_dir.clone()),
        "exposed_ports": exec.and_then(|e| e.exposed_ports.clone()),
        "volumes": exec.and_then(|e| e.volumes.clone()),
        "stop_signal": exec.and_then(|e| e.stop_signal.clone()),
        "diff_ids": c.diff_ids,
        "history_len": c.history.len(),
        "history_non_empty": c.history.iter().filter(|h| !h.empty_layer).count(),
        "extra_keys": c.extra_keys,
        "config_extra_keys": exec.map(|e| e.extra_keys.clone()).unwrap_or_default(),
    })
}

fn config(cx: &mut Cx<'_>, name: &str, input: &Value) -> Out {
    let c = cx.c.hoist_image_config();
    Ok(Some(match name {
        "parse" => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            output(
                c.call_parse_config(&mut *cx.s, text.as_bytes())?,
                config_summary,
            )
        }
        "check_layers" => {
            let Some(raw) = input.get("config").and_then(Value::as_str) else {
                return Ok(None);
            };
            let Some(layers) = input.get("layers").and_then(Value::as_u64) else {
                return Ok(None);
            };
            output(
                c.call_check_layers(&mut *cx.s, raw.as_bytes(), u32::try_from(layers)?)?,
                |()| Value::Null,
            )
        }
        "timestamp" => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            output(
                c.call_parse_timestamp(&mut *cx.s, text)?,
                |t| json!({ "unix_seconds": t.unix_seconds, "nanos": t.nanos, "offset_seconds": t.offset_seconds }),
            )
        }
        "user" => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            json!({ "ok": user_json(c.call_parse_user(&mut *cx.s, text)?) })
        }
        "schema1" => {
            let Some(history) = input.get("history").and_then(Value::as_array) else {
                return Ok(None);
            };
            let mut entries = Vec::new();
            for e in history {
                let (Some(v1), Some(blob)) = (
                    e.get("v1Compatibility").and_then(Value::as_str),
                    e.get("blobSum").and_then(Value::as_str),
                ) else {
                    return Ok(None);
                };
                entries.push(Schema1Entry {
                    v1_compatibility: v1.to_owned(),
                    blob_sum: blob.to_owned(),
                });
            }
            let Some(diff_ids) = input.get("diff_ids").and_then(strings) else {
                return Ok(None);
            };
            output(
                cx.c.hoist_image_ids()
                    .call_schema1_to_config(&mut *cx.s, &entries, &diff_ids)?,
                |s| json!({ "config": s.config, "image_id": s.image_id, "layers": s.layers }),
            )
        }
        _ => return Ok(None),
    }))
}

fn id(cx: &mut Cx<'_>, name: &str, input: &Value) -> Out {
    let ids = cx.c.hoist_image_ids();
    Ok(Some(match name {
        "image_id" => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            json!({ "ok": ids.call_image_id(&mut *cx.s, text.as_bytes())? })
        }
        "chain_ids" => {
            let Some(list) = strings(input) else {
                return Ok(None);
            };
            output(ids.call_chain_ids(&mut *cx.s, &list)?, Value::from)
        }
        "chain_id" => {
            let Some(list) = strings(input) else {
                return Ok(None);
            };
            output(ids.call_chain_id(&mut *cx.s, &list)?, Value::from)
        }
        "prefix" => {
            let (Some(prefix), Some(id)) = (
                input.get("prefix").and_then(Value::as_str),
                input.get("id").and_then(Value::as_str),
            ) else {
                return Ok(None);
            };
            match ids.call_id_prefix_matches(&mut *cx.s, prefix, &id.to_owned())? {
                Ok(matches) => output(
                    ids.call_parse_id_prefix(&mut *cx.s, prefix)?,
                    |p| json!({ "hex": p.hex, "full": p.full, "matches": matches }),
                ),
                Err(e) => error(&e),
            }
        }
        "short_id" => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            output(
                ids.call_short_id(&mut *cx.s, &text.to_owned())?,
                Value::from,
            )
        }
        "looks_like_id" => {
            let Some(text) = input.as_str() else {
                return Ok(None);
            };
            json!({ "ok": ids.call_looks_like_id(&mut *cx.s, text)? })
        }
        "repo_digest" => {
            let (Some(name), Some(digest)) = (
                input.get("name").and_then(Value::as_str),
                input.get("digest").and_then(Value::as_str),
            ) else {
                return Ok(None);
            };
            output(
                ids.call_repo_digest(&mut *cx.s, name, &digest.to_owned())?,
                Value::from,
            )
        }
        _ => return Ok(None),
    }))
}
