//! `auth.*` vectors.
//!
//! Shared shapes:
//!
//! - **credentials** (output): `{"kind": "anonymous"}`,
//!   `{"kind": "basic", "username": U, "password": P}`,
//!   `{"kind": "identity-token", "username": U, "token": T}`,
//!   `{"kind": "registry-token", "token": T}`. Secret values print as `"<redacted>"`
//!   unless the case input has `"expose": true` (only cases about decoding a secret do,
//!   and they use obviously fake values).
//! - **credentials** (input): the same shape with plain values; `password`/`token`
//!   default to `""`.
//! - **config**: an auth file given as a JSON value (`"config"`) or as raw text
//!   (`"config_text"`, for cases JSON cannot express, such as duplicate keys); absent
//!   means an empty file `{}`. `"legacy": true` parses it as a `.dockercfg`.
//!
//! Functions:
//!
//! - `decode_auth_config`: `{config: CRI AuthConfig (snake_case), registry_host}` →
//!   credentials.
//! - `auth_file_paths`: `{op: "read" | "write", env}` (see [`super::auth_files`]).
//! - `docker_config`: `{op, …}` with op `parse` (→ `{auths: [keys], cred_helpers: {…},
//!   creds_store}`), `lookup` (`key` → `{kind: "helper", helper}` |
//!   `{kind: "credentials", credentials}` | `{kind: "none"}`), `helper_output` (`output`
//!   text → credentials), `login` (`key, username, password` → the new file as JSON),
//!   `logout` (`key` → the new file as JSON).
//! - `keyring`: `{op, …}` with op `lookup` (`configs: [config…], image` → [credentials]),
//!   `urls_match` (`glob, target` → bool), `is_default_registry_match` (`image` → bool).
//! - `parse_challenges`: `{headers: [text]}` → `[{scheme, params: {name: value},
//!   token68?}]`.
//! - `token`: `{op, …}` with op `request` (`challenge` header text, `credentials`,
//!   `flow` "get" | "oauth_post", optional `extra_scopes`, `offline`,
//!   `registry_is_http` → `{method, url, headers: [[name, value]], body}`), `response`
//!   (`body` text, or `{prefix, repeat, times, suffix}` for a large body →
//!   `{token, expires_in, issued_at, refresh_token}`),
//!   `basic_authorization` (`username, password` → header text), `preferred_flow`
//!   (`credentials` → "get" | "oauth_post" | null), `fallback_to_get` (`status,
//!   credentials` → bool).
//! - `validate_realm`: `{realm, registry_is_http}` → `{host, port, https}`.

use hoist_core::auth::{
    basic_authorization, decode_auth_config, is_default_registry_match, parse_challenges,
    parse_helper_output, parse_token_response, preferred_flow, token_request, urls_match,
    validate_realm, AuthConfig, AuthError, Credentials, DockerConfig, HeaderValue, Keyring, Lookup,
    Secret, TokenFlow, TokenParams,
};
use hoist_core::ErrorCode;
use serde_json::{json, Map, Value};

pub fn run(name: &str, input: &Value) -> Option<Value> {
    let expose = input
        .get("expose")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let shown = |s: &Secret| show(s, expose);
    Some(match name {
        "decode_auth_config" => {
            let config: AuthConfig = serde_json::from_value(input.get("config")?.clone()).ok()?;
            let host = input.get("registry_host")?.as_str()?;
            result(decode_auth_config(&config, host).map(|c| credentials_json(&c, &shown)))
        }
        "auth_file_paths" => super::auth_files::run(input)?,
        "docker_config" => docker_config(input, &shown)?,
        "keyring" => keyring(input, &shown)?,
        "parse_challenges" => {
            let headers: Vec<&str> = input
                .get("headers")?
                .as_array()?
                .iter()
                .map(Value::as_str)
                .collect::<Option<_>>()?;
            result(parse_challenges(&headers).map(|cs| {
                Value::Array(
                    cs.iter()
                        .map(|c| {
                            let mut out = Map::new();
                            out.insert("scheme".into(), c.scheme().as_str().into());
                            let params: Map<String, Value> = c
                                .params()
                                .iter()
                                .map(|(n, v)| (n.clone(), Value::from(v.as_str())))
                                .collect();
                            out.insert("params".into(), Value::Object(params));
                            if let Some(t) = c.token68() {
                                out.insert("token68".into(), t.into());
                            }
                            Value::Object(out)
                        })
                        .collect(),
                )
            }))
        }
        "token" => token(input, &shown)?,
        "validate_realm" => {
            let realm = input.get("realm")?.as_str()?;
            let http = input.get("registry_is_http")?.as_bool()?;
            result(
                validate_realm(realm, http)
                    .map(|r| json!({ "host": r.host(), "port": r.port(), "https": r.is_https() })),
            )
        }
        _ => return None,
    })
}

/// A text input: a string, or `{prefix, repeat, times, suffix}` for large inputs that
/// would bloat the vector file.
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

fn result(r: Result<Value, AuthError>) -> Value {
    match r {
        Ok(v) => json!({ "ok": v }),
        Err(e) => json!({ "error": e.code() }),
    }
}

fn show(s: &Secret, expose: bool) -> Value {
    if expose {
        s.expose().into()
    } else {
        "<redacted>".into()
    }
}

fn credentials_json(c: &Credentials, shown: &dyn Fn(&Secret) -> Value) -> Value {
    match c {
        Credentials::Basic { username, password } => {
            json!({ "kind": "basic", "username": username, "password": shown(password) })
        }
        Credentials::IdentityToken { username, token } => {
            json!({ "kind": "identity-token", "username": username, "token": shown(token) })
        }
        Credentials::RegistryToken(token) => {
            json!({ "kind": "registry-token", "token": shown(token) })
        }
        _ => json!({ "kind": "anonymous" }),
    }
}

fn credentials_input(v: &Value) -> Option<Credentials> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Some(match v.get("kind")?.as_str()? {
        "anonymous" => Credentials::Anonymous,
        "basic" => Credentials::Basic {
            username: text("username"),
            password: Secret::new(text("password")),
        },
        "identity-token" => Credentials::IdentityToken {
            username: text("username"),
            token: Secret::new(text("token")),
        },
        "registry-token" => Credentials::RegistryToken(Secret::new(text("token"))),
        _ => return None,
    })
}

/// The config of a case: `config_text`, else `config` serialized, else `{}`.
fn config_input(v: &Value) -> Option<Result<DockerConfig, AuthError>> {
    let bytes = match (v.get("config_text"), v.get("config")) {
        (Some(text), _) => text.as_str()?.as_bytes().to_vec(),
        (None, Some(value)) => serde_json::to_vec(value).ok()?,
        (None, None) => b"{}".to_vec(),
    };
    let legacy = v.get("legacy").and_then(Value::as_bool).unwrap_or(false);
    Some(if legacy {
        DockerConfig::parse_legacy(&bytes)
    } else {
        DockerConfig::parse(&bytes)
    })
}

fn docker_config(input: &Value, shown: &dyn Fn(&Secret) -> Value) -> Option<Value> {
    let op = input.get("op")?.as_str()?;
    if op == "helper_output" {
        let output = input.get("output")?.as_str()?;
        return Some(result(
            parse_helper_output(output.as_bytes()).map(|c| credentials_json(&c, shown)),
        ));
    }
    let config = match config_input(input)? {
        Ok(c) => c,
        Err(e) => return Some(result(Err(e))),
    };
    let reparse = |s: Secret| serde_json::from_str::<Value>(s.expose()).unwrap_or(Value::Null);
    Some(match op {
        "parse" => {
            let helpers: Map<String, Value> = config
                .cred_helpers()
                .map(|(r, h)| (r.to_owned(), Value::from(h)))
                .collect();
            result(Ok(json!({
                "auths": config.auth_keys().collect::<Vec<_>>(),
                "cred_helpers": helpers,
                "creds_store": config.creds_store(),
            })))
        }
        "lookup" => {
            let key = input.get("key")?.as_str()?;
            result(config.lookup(key).map(|l| match l {
                Lookup::Helper(h) => json!({ "kind": "helper", "helper": h }),
                Lookup::Credentials(c) => {
                    json!({ "kind": "credentials", "credentials": credentials_json(&c, shown) })
                }
                _ => json!({ "kind": "none" }),
            }))
        }
        "login" => {
            let key = input.get("key")?.as_str()?;
            let username = input.get("username")?.as_str()?;
            let password = Secret::new(input.get("password")?.as_str()?);
            result(config.with_login(key, username, &password).map(reparse))
        }
        "logout" => {
            let key = input.get("key")?.as_str()?;
            result(config.without(key).map(reparse))
        }
        _ => return None,
    })
}

fn keyring(input: &Value, shown: &dyn Fn(&Secret) -> Value) -> Option<Value> {
    Some(match input.get("op")?.as_str()? {
        "lookup" => {
            let legacy = input.get("legacy").cloned().unwrap_or(Value::Bool(false));
            let mut ring = Keyring::new();
            for config in input.get("configs")?.as_array()? {
                let case = json!({ "config": config, "legacy": legacy });
                let added = config_input(&case)?.and_then(|c| ring.add(&c));
                if let Err(e) = added {
                    return Some(result(Err(e)));
                }
            }
            let image = input.get("image")?.as_str()?;
            let found: Vec<Value> = ring
                .lookup(image)
                .iter()
                .map(|c| credentials_json(c, shown))
                .collect();
            result(Ok(Value::Array(found)))
        }
        "urls_match" => {
            let glob = input.get("glob")?.as_str()?;
            let target = input.get("target")?.as_str()?;
            result(Ok(urls_match(glob, target).into()))
        }
        "is_default_registry_match" => {
            let image = input.get("image")?.as_str()?;
            result(Ok(is_default_registry_match(image).into()))
        }
        _ => return None,
    })
}

fn token(input: &Value, shown: &dyn Fn(&Secret) -> Value) -> Option<Value> {
    let credentials = || match input.get("credentials") {
        Some(v) => credentials_input(v),
        None => Some(Credentials::Anonymous),
    };
    Some(match input.get("op")?.as_str()? {
        "request" => {
            let header = input.get("challenge")?.as_str()?;
            let http = input
                .get("registry_is_http")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let extra: Vec<String> = match input.get("extra_scopes") {
                Some(v) => v
                    .as_array()?
                    .iter()
                    .map(|s| s.as_str().map(str::to_owned))
                    .collect::<Option<_>>()?,
                None => Vec::new(),
            };
            let flow = match input.get("flow")?.as_str()? {
                "get" => TokenFlow::Get,
                "oauth_post" => TokenFlow::OAuthPost,
                _ => return None,
            };
            let credentials = credentials()?;
            let challenges = match parse_challenges(&[header]) {
                Ok(c) => c,
                Err(e) => return Some(result(Err(e))),
            };
            let built = challenges
                .first()
                .ok_or(AuthError::RealmMissing)
                .and_then(|c| TokenParams::from_challenge(c, http, &extra))
                .and_then(|mut params| {
                    params.offline = input
                        .get("offline")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    token_request(&params, &credentials, flow)
                });
            result(built.map(|r| {
                let headers: Vec<Value> = r
                    .headers
                    .iter()
                    .map(|(n, v)| {
                        let value = match v {
                            HeaderValue::Secret(s) => shown(s),
                            _ => v.expose().into(),
                        };
                        json!([n, value])
                    })
                    .collect();
                json!({
                    "method": r.method.as_str(),
                    "url": r.url,
                    "headers": headers,
                    "body": r.body.as_ref().map(shown),
                })
            }))
        }
        "response" => {
            let body = text_input(input.get("body")?)?;
            result(parse_token_response(body.as_bytes()).map(|t| {
                json!({
                    "token": shown(t.token()),
                    "expires_in": t.expires_in(),
                    "issued_at": t.issued_at(),
                    "refresh_token": t.refresh_token().map(shown),
                })
            }))
        }
        "basic_authorization" => {
            let username = input.get("username")?.as_str()?;
            let password = Secret::new(input.get("password")?.as_str()?);
            result(Ok(basic_authorization(username, &password).expose().into()))
        }
        "preferred_flow" => {
            let flow = preferred_flow(&credentials()?).map(|f| match f {
                TokenFlow::Get => "get",
                _ => "oauth_post",
            });
            result(Ok(json!(flow)))
        }
        "fallback_to_get" => {
            let status = u16::try_from(input.get("status")?.as_u64()?).ok()?;
            result(Ok(hoist_core::auth::fallback_to_get(
                status,
                &credentials()?,
            )
            .into()))
        }
        _ => return None,
    })
}
