//! `config.*` vectors.
//!
//! Shapes (success is `{"ok": …}`, failure `{"error": "<code>"}`):
//!
//! - `config.parse`: input the config document as text. ok:
//!   `{image_id, architecture, os, variant, os_version, os_features, author, created,
//!   created_unix, user, labels, env, entrypoint, cmd, working_dir, exposed_ports, volumes,
//!   stop_signal, diff_ids, history_len, history_non_empty, extra_keys, config_extra_keys}`;
//!   absent optional values are `null`; `user` is `null`, `{"uid": n}` or `{"name": s}`;
//!   `exposed_ports` / `volumes` are sorted key lists; `extra_keys` / `config_extra_keys`
//!   list unknown keys in document order.
//! - `config.check_layers`: input `{config: text, layers: n}`. ok: `null`.
//! - `config.timestamp`: input an RFC 3339 string. ok: `{unix_seconds, nanos, offset_seconds}`.
//! - `config.user`: input an image `User` value. ok: `null`, `{"uid": n}` or `{"name": s}`.
//! - `config.schema1`: input `{history: [{v1Compatibility, blobSum}], diff_ids: [..]}`
//!   (history newest first, diff_ids oldest first). ok: `{config: text, image_id, layers}`.

use hoist_core::config::{parse_user, schema1, ImageConfig, Timestamp};
use hoist_core::digest::Digest;
use serde_json::{json, Value};

use crate::output;

fn digests(v: &Value) -> Option<Result<Vec<Digest>, Value>> {
    let mut out = Vec::new();
    for item in v.as_array()? {
        match Digest::parse(item.as_str()?) {
            Ok(d) => out.push(d),
            Err(e) => return Some(Err(output::<(), _>(Err(e)))),
        }
    }
    Some(Ok(out))
}

fn summary(c: &ImageConfig) -> Value {
    let exec = c.config();
    json!({
        "image_id": c.id().to_string(),
        "architecture": c.architecture(),
        "os": c.os(),
        "variant": c.variant(),
        "os_version": c.os_version(),
        "os_features": c.os_features(),
        "author": c.author(),
        "created": c.created().map(Timestamp::as_str),
        "created_unix": c.created().map(Timestamp::unix_seconds),
        "user": c.user(),
        "labels": c.labels(),
        "env": exec.and_then(|e| e.env.as_ref()),
        "entrypoint": exec.and_then(|e| e.entrypoint.as_ref()),
        "cmd": exec.and_then(|e| e.cmd.as_ref()),
        "working_dir": exec.and_then(|e| e.working_dir.as_ref()),
        "exposed_ports": exec.and_then(|e| e.exposed_ports.as_ref()),
        "volumes": exec.and_then(|e| e.volumes.as_ref()),
        "stop_signal": exec.and_then(|e| e.stop_signal.as_ref()),
        "diff_ids": c.diff_ids().iter().map(Digest::to_string).collect::<Vec<_>>(),
        "history_len": c.history().len(),
        "history_non_empty": c.history().iter().filter(|h| !h.empty_layer).count(),
        "extra_keys": c.extra().keys().collect::<Vec<_>>(),
        "config_extra_keys": exec.map(|e| e.extra.keys().collect::<Vec<_>>()).unwrap_or_default(),
    })
}

pub fn run(name: &str, input: &Value) -> Option<Value> {
    Some(match name {
        "parse" => output(ImageConfig::parse(input.as_str()?.as_bytes()).map(|c| summary(&c))),
        "check_layers" => {
            let raw = input.get("config")?.as_str()?;
            let layers = usize::try_from(input.get("layers")?.as_u64()?).ok()?;
            output(ImageConfig::parse(raw.as_bytes()).and_then(|c| c.check_layers(layers)))
        }
        "timestamp" => output(Timestamp::parse(input.as_str()?).map(|t| {
            json!({
                "unix_seconds": t.unix_seconds(),
                "nanos": t.nanos(),
                "offset_seconds": t.offset_seconds(),
            })
        })),
        "user" => json!({ "ok": parse_user(input.as_str()?) }),
        "schema1" => {
            let mut history = Vec::new();
            for entry in input.get("history")?.as_array()? {
                let v1 = entry.get("v1Compatibility")?.as_str()?.to_owned();
                match Digest::parse(entry.get("blobSum")?.as_str()?) {
                    Ok(d) => history.push((v1, d)),
                    Err(e) => return Some(output::<(), _>(Err(e))),
                }
            }
            let diff_ids = match digests(input.get("diff_ids")?)? {
                Ok(d) => d,
                Err(e) => return Some(e),
            };
            output(schema1::to_config(&history, &diff_ids).map(|s| {
                json!({
                    "config": String::from_utf8_lossy(s.config.raw()),
                    "image_id": s.config.id().to_string(),
                    "layers": s.layers.iter().map(Digest::to_string).collect::<Vec<_>>(),
                })
            }))
        }
        _ => return None,
    })
}
