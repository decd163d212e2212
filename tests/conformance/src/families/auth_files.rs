//! `auth.auth_file_paths` vectors: where auth files are, from an environment snapshot.
//!
//! Input: `{op, env}`. `env` is an object with the optional string fields
//! `registry_auth_file`, `xdg_runtime_dir`, `xdg_config_home`, `home`, `docker_config`,
//! the optional number `uid` and the optional bool `xdg_runtime_dir_missing` (default
//! false); an absent field is unset. `op` is `read` (→ `[{path, legacy}]`, in order) or
//! `write` (→ the path text, or an error code).

use hoist_core::auth::{auth_file_for_write, auth_file_paths, AuthFileEnv};
use hoist_core::ErrorCode;
use serde_json::{json, Value};

/// Runs one case; `None` for an input of the wrong shape.
pub fn run(input: &Value) -> Option<Value> {
    let env = env_in(input.get("env")?)?;
    Some(match input.get("op")?.as_str()? {
        "read" => {
            let list: Vec<Value> = auth_file_paths(&env)
                .into_iter()
                .map(|p| json!({ "path": p.path, "legacy": p.legacy }))
                .collect();
            json!({ "ok": list })
        }
        "write" => match auth_file_for_write(&env) {
            Ok(path) => json!({ "ok": path }),
            Err(e) => json!({ "error": e.code() }),
        },
        _ => return None,
    })
}

/// The case's `env` as the core's snapshot; `None` when a field has the wrong type.
/// The wasm runner converts this same value to the WIT record, so both runners read the
/// input alike.
pub fn env_in(v: &Value) -> Option<AuthFileEnv> {
    let obj = v.as_object()?;
    let text = |k: &str| match obj.get(k) {
        None => Some(None),
        Some(v) => v.as_str().map(|s| Some(s.to_owned())),
    };
    Some(AuthFileEnv {
        registry_auth_file: text("registry_auth_file")?,
        xdg_runtime_dir: text("xdg_runtime_dir")?,
        xdg_runtime_dir_missing: match obj.get("xdg_runtime_dir_missing") {
            None => false,
            Some(v) => v.as_bool()?,
        },
        xdg_config_home: text("xdg_config_home")?,
        home: text("home")?,
        docker_config: text("docker_config")?,
        uid: match obj.get("uid") {
            None => None,
            Some(v) => Some(u32::try_from(v.as_u64()?).ok()?),
        },
    })
}
