//! `auth.*`.

use serde_json::{json, Map, Value};
use wasmtime::component::ResourceAny;

use super::{error, output, strings, Cx, Out};
use crate::bindings::exports::hoist::image::auth::{
    AuthConfig, AuthFileEnv, Lookup, TokenFlow, TokenOptions,
};
use crate::bindings::exports::hoist::image::types::{Credentials, Error, UserSecret};

/// Secrets print as `<redacted>` unless the case exposes them (as the native runner does).
struct Shown(bool);

impl Shown {
    fn s(&self, secret: &str) -> Value {
        if self.0 {
            secret.into()
        } else {
            "<redacted>".into()
        }
    }

    fn credentials(&self, c: &Credentials) -> Value {
        match c {
            Credentials::Basic(u) => {
                json!({ "kind": "basic", "username": u.username, "password": self.s(&u.secret) })
            }
            Credentials::IdentityToken(u) => {
                json!({ "kind": "identity-token", "username": u.username, "token": self.s(&u.secret) })
            }
            Credentials::RegistryToken(t) => {
                json!({ "kind": "registry-token", "token": self.s(t) })
            }
            Credentials::Anonymous => json!({ "kind": "anonymous" }),
        }
    }
}

fn credentials_in(v: &Value) -> Option<Credentials> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Some(match v.get("kind")?.as_str()? {
        "anonymous" => Credentials::Anonymous,
        "basic" => Credentials::Basic(UserSecret {
            username: text("username"),
            secret: text("password"),
        }),
        "identity-token" => Credentials::IdentityToken(UserSecret {
            username: text("username"),
            secret: text("token"),
        }),
        "registry-token" => Credentials::RegistryToken(text("token")),
        _ => return None,
    })
}

/// CRI `AuthConfig` from snake_case JSON (serde `default`: absent is empty; a non-string
/// value makes the case unusable, as in the native runner).
fn auth_config_in(v: &Value) -> Option<AuthConfig> {
    let obj = v.as_object()?;
    let field = |k: &str| match obj.get(k) {
        None => Some(String::new()),
        Some(v) => v.as_str().map(str::to_owned),
    };
    Some(AuthConfig {
        username: field("username")?,
        password: field("password")?,
        auth: field("auth")?,
        server_address: field("server_address")?,
        identity_token: field("identity_token")?,
        registry_token: field("registry_token")?,
    })
}

/// The case's auth file parsed in the component: `config_text`, else `config`, else `{}`.
fn config_in(cx: &mut Cx<'_>, v: &Value) -> anyhow::Result<Option<Result<ResourceAny, Error>>> {
    let bytes = match (v.get("config_text"), v.get("config")) {
        (Some(text), _) => match text.as_str() {
            Some(t) => t.as_bytes().to_vec(),
            None => return Ok(None),
        },
        (None, Some(value)) => serde_json::to_vec(value)?,
        (None, None) => b"{}".to_vec(),
    };
    let legacy = v.get("legacy").and_then(Value::as_bool).unwrap_or(false);
    Ok(Some(
        cx.c.hoist_image_auth()
            .docker_config()
            .call_parse(&mut *cx.s, &bytes, legacy)?,
    ))
}

pub fn run(cx: &mut Cx<'_>, name: &str, input: &Value) -> Out {
    let shown = Shown(
        input
            .get("expose")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    );
    let a = cx.c.hoist_image_auth();
    Ok(Some(match name {
        "decode_auth_config" => {
            let Some(config) = input.get("config").and_then(auth_config_in) else {
                return Ok(None);
            };
            let Some(host) = input.get("registry_host").and_then(Value::as_str) else {
                return Ok(None);
            };
            output(a.call_decode_auth_config(&mut *cx.s, &config, host)?, |c| {
                shown.credentials(&c)
            })
        }
        "auth_file_paths" => return auth_file_paths(cx, input),
        "docker_config" => return docker_config(cx, input, &shown),
        "keyring" => return keyring(cx, input, &shown),
        "parse_challenges" => {
            let Some(headers) = input.get("headers").and_then(strings) else {
                return Ok(None);
            };
            output(a.call_parse_challenges(&mut *cx.s, &headers)?, |list| {
                list.into_iter()
                    .map(|c| {
                        let mut out = Map::new();
                        out.insert("scheme".into(), c.scheme.into());
                        let params: Map<String, Value> = c
                            .params
                            .into_iter()
                            .map(|(k, v)| (k, Value::from(v)))
                            .collect();
                        out.insert("params".into(), Value::Object(params));
                        if let Some(t) = c.token68 {
                            out.insert("token68".into(), t.into());
                        }
                        Value::Object(out)
                    })
                    .collect::<Vec<_>>()
                    .into()
            })
        }
        "token" => return token(cx, input, &shown),
        "validate_realm" => {
            let (Some(realm), Some(http)) = (
                input.get("realm").and_then(Value::as_str),
                input.get("registry_is_http").and_then(Value::as_bool),
            ) else {
                return Ok(None);
            };
            output(
                a.call_validate_realm(&mut *cx.s, realm, http)?,
                |r| json!({ "host": r.host, "port": r.port, "https": r.https }),
            )
        }
        _ => return Ok(None),
    }))
}

fn text_input(v: &Value) -> Option<String> {
    if let Some(s) = v.as_str() {
        return Some(s.to_owned());
    }
    let times = usize::try_from(v.get("times")?.as_u64()?).ok()?;
    Some(format!(
        "{}{}{}",
        v.get("prefix")?.as_str()?,
        v.get("repeat")?.as_str()?.repeat(times),
        v.get("suffix")?.as_str()?
    ))
}

fn docker_config(cx: &mut Cx<'_>, input: &Value, shown: &Shown) -> Out {
    let a = cx.c.hoist_image_auth();
    let dc = a.docker_config();
    let Some(op) = input.get("op").and_then(Value::as_str) else {
        return Ok(None);
    };
    if op == "helper_output" {
        let Some(out) = input.get("output").and_then(Value::as_str) else {
            return Ok(None);
        };
        return Ok(Some(output(
            a.call_parse_helper_output(&mut *cx.s, out.as_bytes())?,
            |c| shown.credentials(&c),
        )));
    }
    let config = match config_in(cx, input)? {
        None => return Ok(None),
        Some(Err(e)) => return Ok(Some(error(&e))),
        Some(Ok(c)) => c,
    };
    let reparse = |s: String| serde_json::from_str::<Value>(&s).unwrap_or(Value::Null);
    let s = &mut *cx.s;
    let result = match op {
        "parse" => {
            let helpers: Map<String, Value> = dc
                .call_cred_helpers(&mut *s, config)?
                .into_iter()
                .map(|(r, h)| (r, h.into()))
                .collect();
            Some(json!({ "ok": {
                "auths": dc.call_auth_keys(&mut *s, config)?,
                "cred_helpers": helpers,
                "creds_store": dc.call_creds_store(&mut *s, config)?,
            } }))
        }
        "lookup" => match input.get("key").and_then(Value::as_str) {
            Some(key) => Some(output(
                dc.call_lookup_credentials(&mut *s, config, key)?,
                |l| match l {
                    Lookup::Helper(h) => json!({ "kind": "helper", "helper": h }),
                    Lookup::Credentials(c) => {
                        json!({ "kind": "credentials", "credentials": shown.credentials(&c) })
                    }
                    Lookup::None => json!({ "kind": "none" }),
                },
            )),
            None => None,
        },
        "login" => match (
            input.get("key").and_then(Value::as_str),
            input.get("username").and_then(Value::as_str),
            input.get("password").and_then(Value::as_str),
        ) {
            (Some(k), Some(u), Some(p)) => Some(output(
                dc.call_with_login(&mut *s, config, k, u, p)?,
                reparse,
            )),
            _ => None,
        },
        "logout" => match input.get("key").and_then(Value::as_str) {
            Some(k) => Some(output(dc.call_without(&mut *s, config, k)?, reparse)),
            None => None,
        },
        _ => None,
    };
    config.resource_drop(&mut *s)?;
    Ok(result)
}

fn keyring(cx: &mut Cx<'_>, input: &Value, shown: &Shown) -> Out {
    let a = cx.c.hoist_image_auth();
    Ok(Some(match input.get("op").and_then(Value::as_str) {
        Some("lookup") => {
            let legacy = input.get("legacy").cloned().unwrap_or(Value::Bool(false));
            let Some(configs) = input.get("configs").and_then(Value::as_array) else {
                return Ok(None);
            };
            let kr = a.keyring();
            let ring = kr.call_constructor(&mut *cx.s)?;
            let mut failed = None;
            for config in configs {
                let case = json!({ "config": config, "legacy": legacy });
                let parsed = match config_in(cx, &case)? {
                    Some(p) => p,
                    None => {
                        ring.resource_drop(&mut *cx.s)?;
                        return Ok(None);
                    }
                };
                let added = match parsed {
                    Ok(c) => {
                        let r = kr.call_add(&mut *cx.s, ring, c)?;
                        c.resource_drop(&mut *cx.s)?;
                        r
                    }
                    Err(e) => Err(e),
                };
                if let Err(e) = added {
                    failed = Some(error(&e));
                    break;
                }
            }
            let result = match (failed, input.get("image").and_then(Value::as_str)) {
                (Some(f), _) => Some(f),
                (None, Some(image)) => {
                    let found = kr.call_lookup(&mut *cx.s, ring, image)?;
                    Some(
                        json!({ "ok": found.iter().map(|c| shown.credentials(c)).collect::<Vec<_>>() }),
                    )
                }
                (None, None) => None,
            };
            ring.resource_drop(&mut *cx.s)?;
            return Ok(result);
        }
        Some("urls_match") => {
            let (Some(glob), Some(target)) = (
                input.get("glob").and_then(Value::as_str),
                input.get("target").and_then(Value::as_str),
            ) else {
                return Ok(None);
            };
            json!({ "ok": a.call_urls_match(&mut *cx.s, glob, target)? })
        }
        Some("is_default_registry_match") => {
            let Some(image) = input.get("image").and_then(Value::as_str) else {
                return Ok(None);
            };
            json!({ "ok": a.call_is_default_registry_match(&mut *cx.s, image)? })
        }
        _ => return Ok(None),
    }))
}

fn token(cx: &mut Cx<'_>, input: &Value, shown: &Shown) -> Out {
    let a = cx.c.hoist_image_auth();
    let credentials = || match input.get("credentials") {
        Some(v) => credentials_in(v),
        None => Some(Credentials::Anonymous),
    };
    Ok(Some(match input.get("op").and_then(Value::as_str) {
        Some("request") => {
            let Some(header) = input.get("challenge").and_then(Value::as_str) else {
                return Ok(None);
            };
            let http = input
                .get("registry_is_http")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let extra = match input.get("extra_scopes") {
                Some(v) => match strings(v) {
                    Some(s) => s,
                    None => return Ok(None),
                },
                None => Vec::new(),
            };
            let flow = match input.get("flow").and_then(Value::as_str) {
                Some("get") => TokenFlow::Get,
                Some("oauth_post") => TokenFlow::OauthPost,
                _ => return Ok(None),
            };
            let Some(credentials) = credentials() else {
                return Ok(None);
            };
            let options = TokenOptions {
                registry_is_http: http,
                extra_scopes: extra,
                offline: input
                    .get("offline")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            };
            output(
                a.call_token_request(&mut *cx.s, header, &credentials, flow, &options)?,
                |r| {
                    let headers: Vec<Value> = r
                        .headers
                        .iter()
                        .map(|h| {
                            let value = if h.secret {
                                shown.s(&h.value)
                            } else {
                                h.value.clone().into()
                            };
                            json!([h.name, value])
                        })
                        .collect();
                    json!({
                        "method": r.method,
                        "url": r.url,
                        "headers": headers,
                        "body": r.body.as_deref().map(|b| shown.s(b)),
                    })
                },
            )
        }
        Some("response") => {
            let Some(body) = input.get("body").and_then(text_input) else {
                return Ok(None);
            };
            output(
                a.call_parse_token_response(&mut *cx.s, body.as_bytes())?,
                |t| {
                    json!({
                        "token": shown.s(&t.token),
                        "expires_in": t.expires_in,
                        "issued_at": t.issued_at,
                        "refresh_token": t.refresh_token.as_deref().map(|r| shown.s(r)),
                    })
                },
            )
        }
        Some("basic_authorization") => {
            let (Some(u), Some(p)) = (
                input.get("username").and_then(Value::as_str),
                input.get("password").and_then(Value::as_str),
            ) else {
                return Ok(None);
            };
            json!({ "ok": a.call_basic_authorization(&mut *cx.s, u, p)? })
        }
        Some("preferred_flow") => {
            let Some(c) = credentials() else {
                return Ok(None);
            };
            let flow = a.call_preferred_flow(&mut *cx.s, &c)?.map(|f| match f {
                TokenFlow::Get => "get",
                TokenFlow::OauthPost => "oauth_post",
            });
            json!({ "ok": flow })
        }
        Some("fallback_to_get") => {
            let Some(status) = input
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
            else {
                return Ok(None);
            };
            let Some(c) = credentials() else {
                return Ok(None);
            };
            json!({ "ok": a.call_fallback_to_get(&mut *cx.s, status, &c)? })
        }
        _ => return Ok(None),
    }))
}

/// `auth_file_paths`: the input read by the native runner's own parser, then passed
/// through the WIT record.
fn auth_file_paths(cx: &mut Cx<'_>, input: &Value) -> Out {
    let Some(env) = input
        .get("env")
        .and_then(hoist_conformance::families::auth_files::env_in)
    else {
        return Ok(None);
    };
    let env = AuthFileEnv {
        registry_auth_file: env.registry_auth_file,
        xdg_runtime_dir: env.xdg_runtime_dir,
        xdg_runtime_dir_missing: env.xdg_runtime_dir_missing,
        xdg_config_home: env.xdg_config_home,
        home: env.home,
        docker_config: env.docker_config,
        uid: env.uid,
    };
    let a = cx.c.hoist_image_auth();
    Ok(Some(match input.get("op").and_then(Value::as_str) {
        Some("read") => {
            let list = a.call_auth_file_paths(&mut *cx.s, &env)?;
            let list: Vec<Value> = list
                .into_iter()
                .map(|p| json!({ "path": p.path, "legacy": p.legacy }))
                .collect();
            json!({ "ok": list })
        }
        Some("write") => output(a.call_auth_file_for_write(&mut *cx.s, &env)?, Value::from),
        _ => return Ok(None),
    }))
}
