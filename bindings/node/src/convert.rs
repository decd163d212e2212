//! Every conversion between hoist-core types and JavaScript values, and nothing else.
//!
//! Rules (the design's binding table): a struct becomes a plain object, an enum with data
//! becomes `{ kind: "…", … }` (kinds in kebab-case, as the core's serde forms and the WIT
//! variants spell them), bytes are `Uint8Array`, times are numbers of milliseconds
//! (host-monotonic for the pull machine) or unix seconds where the core's records hold
//! seconds, and every core error becomes a thrown `Error` whose `.code` is the core's
//! stable code. Secrets cross into JavaScript only where the caller needs the value
//! (headers the host must send, credentials the caller decoded).

use std::fmt::Display;

use hoist_core::auth::{
    self, Challenge, Credentials, HeaderValue, Realm, Secret, Token, TokenRequest,
};
use hoist_core::config::{ImageConfig, ImageUser, Timestamp};
use hoist_core::descriptor::Descriptor;
use hoist_core::digest::{Digest, DigestError};
use hoist_core::manifest::Manifest;
use hoist_core::platform::Platform;
use hoist_core::pull::{
    BodyAction, Failure, Input, Output, RequestId, ResponseHead, StoreOp, StoreOpId, StoreResult,
    TransportFailure,
};
use hoist_core::reference::{
    ArchiveSelector, ImageLocation, OciSelector, Reference, RegistriesConf, ShortNameResolution,
};
use hoist_core::ErrorCode;
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The status of a thrown error: the core's stable code, which napi puts in `.code`.
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// What every exported function returns.
pub type Result<T> = std::result::Result<T, napi::Error<Code>>;

use Result as JsResult;

pub mod compact;

/// A core error as a JavaScript `Error` with `.code`.
pub fn error<E: ErrorCode + Display>(e: E) -> napi::Error<Code> {
    napi::Error::new(Code(e.code()), e.to_string())
}

/// An argument of the wrong shape (`invalid-argument`), naming the argument.
pub fn invalid(what: impl Display) -> napi::Error<Code> {
    napi::Error::new(
        Code("invalid-argument"),
        format!("invalid argument: {what}"),
    )
}

/// Maps a core result.
pub fn core<T, E: ErrorCode + Display>(r: std::result::Result<T, E>) -> JsResult<T> {
    r.map_err(error)
}

/// A serializable core value as a JSON value for JavaScript.
pub fn to_value<T: Serialize>(v: &T) -> JsResult<Value> {
    serde_json::to_value(v).map_err(invalid)
}

/// A JavaScript value as a core type through its serde form.
pub fn from_value<T: DeserializeOwned>(what: &str, v: Value) -> JsResult<T> {
    serde_json::from_value(v).map_err(|e| invalid(format!("{what}: {e}")))
}

/// A JavaScript number as a non-negative integer (ids, sizes, times in ms).
pub fn to_u64(what: &str, n: f64) -> JsResult<u64> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 {
        Ok(n as u64)
    } else {
        Err(invalid(format!("{what} must be a non-negative integer")))
    }
}

/// A `u64` as a JavaScript number.
pub fn num(n: u64) -> f64 {
    n as f64
}

/// A digest argument.
pub fn digest(s: &str) -> JsResult<Digest> {
    core(Digest::parse(s))
}

/// A list of digest arguments.
pub fn digests(list: &[String]) -> JsResult<Vec<Digest>> {
    list.iter().map(|s| digest(s)).collect()
}

// ---- reference ----

/// `registries.conf` as an object.
pub fn registries_conf(c: &RegistriesConf) -> Value {
    let registries: Vec<Value> = c
        .registries()
        .iter()
        .map(|r| {
            json!({
                "prefix": r.prefix(),
                "location": r.location(),
                "insecure": r.insecure(),
                "blocked": r.blocked(),
                "mirrorByDigestOnly": r.mirror_by_digest_only(),
                "mirrors": r.mirrors().iter().map(|m| json!({
                    "location": m.location(),
                    "insecure": m.insecure(),
                    "pullFromMirror": m.pull_from_mirror().as_str(),
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
                v.as_ref().map_or(Value::Null, |r| r.as_str().into()),
            )
        })
        .collect();
    json!({
        "registries": registries,
        "unqualifiedSearchRegistries": c.unqualified_search_registries(),
        "shortNameMode": c.configured_short_name_mode().map(|m| m.as_str()),
        "aliases": aliases,
    })
}

/// A short-name resolution.
pub fn short_names(r: &ShortNameResolution) -> Value {
    json!({
        "origin": r.origin.as_str(),
        "mode": r.mode.as_str(),
        "candidates": r.candidates.iter().map(Reference::as_str).collect::<Vec<_>>(),
    })
}

/// A transport-qualified image location (`docker://…`, `oci:…`).
pub fn image_location(l: &ImageLocation) -> Value {
    let mut out = Map::new();
    out.insert("transport".into(), l.transport().into());
    out.insert("string".into(), l.to_string().into());
    let mut put = |k: &str, v: Value| {
        out.insert(k.into(), v);
    };
    match l {
        ImageLocation::Docker {
            reference,
            explicit,
        } => {
            put("reference", reference.as_str().into());
            put("explicit", (*explicit).into());
        }
        ImageLocation::Oci { path, selector } | ImageLocation::OciArchive { path, selector } => {
            put("path", path.as_str().into());
            let (name, index) = match selector {
                OciSelector::Name(n) => (json!(n), Value::Null),
                OciSelector::Index(i) => (Value::Null, json!(i)),
                _ => (Value::Null, Value::Null),
            };
            put("name", name);
            put("index", index);
        }
        ImageLocation::DockerArchive { path, selector } => {
            put("path", path.as_str().into());
            let (reference, index) = match selector {
                ArchiveSelector::Reference(r) => (json!(r.as_str()), Value::Null),
                ArchiveSelector::Index(i) => (Value::Null, json!(i)),
                _ => (Value::Null, Value::Null),
            };
            put("reference", reference);
            put("index", index);
        }
        ImageLocation::Dir { path } => put("path", path.as_str().into()),
        _ => {}
    }
    Value::Object(out)
}

// ---- auth ----

/// Credentials as `{kind, …}` with their values (the caller owns them).
pub fn credentials(c: &Credentials) -> Value {
    match c {
        Credentials::Basic { username, password } => {
            json!({ "kind": "basic", "username": username, "password": password.expose() })
        }
        Credentials::IdentityToken { username, token } => {
            json!({ "kind": "identity-token", "username": username, "token": token.expose() })
        }
        Credentials::RegistryToken(token) => {
            json!({ "kind": "registry-token", "token": token.expose() })
        }
        _ => json!({ "kind": "anonymous" }),
    }
}

/// `{kind, username?, password?, token?}` as core credentials; absent values are `""`.
pub fn credentials_in(v: &Value) -> JsResult<Credentials> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Ok(match v.get("kind").and_then(Value::as_str) {
        Some("anonymous") => Credentials::Anonymous,
        Some("basic") => Credentials::Basic {
            username: text("username"),
            password: Secret::new(text("password")),
        },
        Some("identity-token") => Credentials::IdentityToken {
            username: text("username"),
            token: Secret::new(text("token")),
        },
        Some("registry-token") => Credentials::RegistryToken(Secret::new(text("token"))),
        _ => return Err(invalid("credentials.kind")),
    })
}

/// One `WWW-Authenticate` challenge.
pub fn challenge(c: &Challenge) -> Value {
    let params: Map<String, Value> = c
        .params()
        .iter()
        .map(|(n, v)| (n.clone(), Value::from(v.as_str())))
        .collect();
    let mut out = json!({ "scheme": c.scheme().as_str(), "params": params });
    if let (Some(t), Some(o)) = (c.token68(), out.as_object_mut()) {
        o.insert("token68".into(), t.into());
    }
    out
}

/// A token request the host sends as is; `headers` are `{name, value, secret}` so that a
/// caller can keep secret values out of its logs.
pub fn token_request(r: &TokenRequest) -> Value {
    let headers: Vec<Value> = r
        .headers
        .iter()
        .map(|(n, v): &(String, HeaderValue)| {
            json!({ "name": n, "value": v.expose(), "secret": v.is_secret() })
        })
        .collect();
    json!({
        "method": r.method.as_str(),
        "url": r.url,
        "headers": headers,
        "body": r.body.as_ref().map(Secret::expose),
    })
}

/// A token response.
pub fn token(t: &Token) -> Value {
    json!({
        "token": t.token().expose(),
        "expiresIn": t.expires_in(),
        "issuedAt": t.issued_at(),
        "refreshToken": t.refresh_token().map(Secret::expose),
    })
}

/// A validated token realm.
pub fn realm(r: &Realm) -> Value {
    json!({ "host": r.host(), "port": r.port(), "https": r.is_https() })
}

// ---- config and ids ----

/// What a parsed image config holds.
pub fn image_config(c: &ImageConfig) -> Value {
    let exec = c.config();
    json!({
        "id": c.id().to_string(),
        "architecture": c.architecture(),
        "os": c.os(),
        "variant": c.variant(),
        "osVersion": c.os_version(),
        "osFeatures": c.os_features(),
        "author": c.author(),
        "created": c.created().map(Timestamp::as_str),
        "createdUnix": c.created().map(Timestamp::unix_seconds),
        "user": c.user().map(|u| user(&u)),
        "labels": c.labels(),
        "env": exec.and_then(|e| e.env.as_ref()),
        "entrypoint": exec.and_then(|e| e.entrypoint.as_ref()),
        "cmd": exec.and_then(|e| e.cmd.as_ref()),
        "workingDir": exec.and_then(|e| e.working_dir.as_ref()),
        "exposedPorts": exec.and_then(|e| e.exposed_ports.as_ref()),
        "volumes": exec.and_then(|e| e.volumes.as_ref()),
        "stopSignal": exec.and_then(|e| e.stop_signal.as_ref()),
        "diffIds": c.diff_ids().iter().map(Digest::to_string).collect::<Vec<_>>(),
        "history": c.history().iter().map(|h| json!({ "emptyLayer": h.empty_layer })).collect::<Vec<_>>(),
        "extraKeys": c.extra().keys().collect::<Vec<_>>(),
        "configExtraKeys": exec.map(|e| e.extra.keys().collect::<Vec<_>>()).unwrap_or_default(),
    })
}

/// An image `User` split as cri-containerd splits it.
pub fn user(u: &ImageUser) -> Value {
    match u {
        ImageUser::Uid(n) => json!({ "uid": n }),
        ImageUser::Name(s) => json!({ "name": s }),
    }
}

/// An RFC 3339 timestamp.
pub fn timestamp(t: &Timestamp) -> Value {
    json!({
        "unixSeconds": t.unix_seconds(),
        "nanos": t.nanos(),
        "offsetSeconds": t.offset_seconds(),
    })
}

/// A schema 1 manifest converted to an image config.
#[napi(object)]
pub struct Schema1Config {
    /// The config bytes, byte-identical to containers/image's conversion.
    pub config: Uint8Array,
    /// Its image ID.
    pub image_id: String,
    /// The layer blobs, base first.
    pub layers: Vec<String>,
}

/// The JavaScript form of `hoist_core::auth::AuthFileEnv` (camelCase). Read through
/// serde rather than `#[napi(object)]` so that `null` counts as unset like an absent
/// property, other properties are ignored, and a wrong type is `invalid-argument`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthFileEnvJs {
    registry_auth_file: Option<String>,
    xdg_runtime_dir: Option<String>,
    xdg_runtime_dir_missing: Option<bool>,
    xdg_config_home: Option<String>,
    home: Option<String>,
    docker_config: Option<String>,
    uid: Option<u32>,
}

/// A JavaScript `AuthFileEnv` → core.
pub fn auth_file_env_in(env: Value) -> JsResult<auth::AuthFileEnv> {
    let e: AuthFileEnvJs = from_value("env", env)?;
    Ok(auth::AuthFileEnv {
        registry_auth_file: e.registry_auth_file,
        xdg_runtime_dir: e.xdg_runtime_dir,
        xdg_runtime_dir_missing: e.xdg_runtime_dir_missing.unwrap_or(false),
        xdg_config_home: e.xdg_config_home,
        home: e.home,
        docker_config: e.docker_config,
        uid: e.uid,
    })
}

/// One auth file to read; `legacy` is the old `.dockercfg` form.
#[napi(object)]
pub struct AuthFile {
    /// The file (it may not exist).
    pub path: String,
    /// Parse it with `parseDockerConfig(bytes, true)`.
    pub legacy: bool,
}

/// Core → [`AuthFile`].
pub fn auth_file_out(p: auth::AuthFilePath) -> AuthFile {
    AuthFile {
        path: p.path,
        legacy: p.legacy,
    }
}

/// A stream that outgrew its declared size, as the transport failure a pull host reports
/// (`{kind: "size-mismatch", actual}`).
#[napi(object)]
pub struct SizeMismatch {
    /// Always `size-mismatch`.
    pub kind: String,
    /// Bytes received so far.
    pub actual: f64,
}

/// [`SizeMismatch`] for `actual` bytes.
pub fn size_mismatch(actual: u64) -> SizeMismatch {
    SizeMismatch {
        kind: "size-mismatch".to_owned(),
        actual: num(actual),
    }
}

/// A verifier's end as `{digest}` or `{failure}` (the pull machine's transport failure
/// shape, see [`PullInput::failure`]).
pub fn verify_outcome(r: std::result::Result<Digest, DigestError>) -> Value {
    match r {
        Ok(d) => json!({ "digest": d.as_str() }),
        Err(DigestError::Mismatch { actual, .. }) => {
            json!({ "failure": { "kind": "digest-mismatch", "actual": actual.as_str() } })
        }
        Err(DigestError::SizeMismatch { actual, .. }) => {
            json!({ "failure": { "kind": "size-mismatch", "actual": actual } })
        }
        Err(e) => json!({ "failure": { "kind": "store", "message": e.to_string() } }),
    }
}

// ---- manifests, descriptors, platforms ----

/// A parsed manifest or index.
pub fn manifest(m: &Manifest) -> JsResult<Value> {
    Ok(json!({
        "kind": m.kind().as_str(),
        "mediaType": m.media_type().as_str(),
        "digest": m.digest().as_str(),
        "config": m.config().map(to_value).transpose()?,
        "layers": m.layers().iter().map(|l| json!({
            "digest": l.digest.as_str(),
            "mediaType": l.media_type,
            "size": l.size,
            "urls": l.urls,
            "empty": l.empty,
        })).collect::<Vec<_>>(),
        "children": m.children().iter().map(to_value).collect::<JsResult<Vec<_>>>()?,
    }))
}

/// A descriptor from its image-spec JSON object.
pub fn descriptor_in(v: &Value) -> JsResult<Descriptor> {
    core(Descriptor::from_value(v))
}

/// A platform from a specifier string or an image-spec object.
pub fn platform_in(v: &Value, host: &Platform) -> JsResult<Platform> {
    match v {
        Value::String(s) => core(Platform::parse(s, host)),
        Value::Object(_) => core(Platform::from_value(v)),
        _ => Err(invalid("platform must be a string or an object")),
    }
}

// ---- pull machine ----

/// One thing the pull machine asks for (`Puller.pollOutput`).
#[napi(object)]
pub struct PullOutput {
    /// `http`, `body`, `store`, `need-credentials`, `event`, `wait` or `done`.
    pub kind: String,
    /// The request, store operation or credential lookup this is about.
    pub id: Option<f64>,
    /// `http`: the method.
    pub method: Option<String>,
    /// `http`: the absolute URL.
    pub url: Option<String>,
    /// `http`: headers in order, `[name, value]`.
    pub headers: Option<Vec<Vec<String>>>,
    /// `http`: the request body (token POSTs).
    pub body: Option<String>,
    /// `http`: the body will be streamed to the store (a blob).
    pub is_blob: Option<bool>,
    /// `body`: `{kind: "buffer", limit}`, `{kind: "stream-to-store", digest, size, offset}`
    /// or `{kind: "discard"}`; `store`: `{kind: "stat", digest}`,
    /// `{kind: "put-blob", digest}` (bytes in `bytes`) or
    /// `{kind: "commit", blobs, manifest, record}`.
    pub action: Option<Value>,
    /// `store` `put-blob`: the verified bytes to stage.
    pub bytes: Option<Uint8Array>,
    /// `need-credentials`: the registry host.
    pub host: Option<String>,
    /// `event`: the event (`{kind: "blob-started", …}`).
    pub event: Option<Value>,
    /// `wait`: wake-up time (host-monotonic ms), if any.
    pub until: Option<f64>,
    /// `done`: the outcome.
    pub outcome: Option<Value>,
}

impl PullOutput {
    fn new(kind: &str) -> Self {
        PullOutput {
            kind: kind.to_owned(),
            id: None,
            method: None,
            url: None,
            headers: None,
            body: None,
            is_blob: None,
            action: None,
            bytes: None,
            host: None,
            event: None,
            until: None,
            outcome: None,
        }
    }
}

/// A machine output as [`PullOutput`].
pub fn pull_output(o: Output) -> JsResult<PullOutput> {
    Ok(match o {
        Output::Http(req) => PullOutput {
            id: Some(num(req.id.0)),
            method: Some(req.method.as_str().to_owned()),
            url: Some(req.url.to_string()),
            headers: Some(
                req.headers
                    .iter()
                    .map(|(n, v)| vec![n.clone(), v.expose().to_owned()])
                    .collect(),
            ),
            body: req.body.as_ref().map(|b| b.expose().to_owned()),
            is_blob: Some(req.is_blob),
            ..PullOutput::new("http")
        },
        Output::Body { id, action } => PullOutput {
            id: Some(num(id.0)),
            action: Some(match action {
                BodyAction::Buffer { limit } => json!({ "kind": "buffer", "limit": limit }),
                BodyAction::StreamToStore {
                    digest,
                    size,
                    offset,
                } => json!({
                    "kind": "stream-to-store", "digest": digest.as_str(), "size": size, "offset": offset,
                }),
                _ => json!({ "kind": "discard" }),
            }),
            ..PullOutput::new("body")
        },
        Output::Store { id, op } => {
            let mut out = PullOutput {
                id: Some(num(id.0)),
                ..PullOutput::new("store")
            };
            out.action = Some(match op {
                StoreOp::Stat { digest } => json!({ "kind": "stat", "digest": digest.as_str() }),
                StoreOp::PutBlob { digest, bytes } => {
                    out.bytes = Some(Uint8Array::from(bytes));
                    json!({ "kind": "put-blob", "digest": digest.as_str() })
                }
                StoreOp::Commit {
                    blobs,
                    manifest,
                    record,
                } => json!({
                    "kind": "commit",
                    "blobs": blobs.iter().map(Digest::as_str).collect::<Vec<_>>(),
                    "manifest": to_value(&manifest)?,
                    "record": to_value(&record)?,
                }),
            });
            out
        }
        Output::NeedCredentials { id, host } => PullOutput {
            id: Some(num(id.0)),
            host: Some(host),
            ..PullOutput::new("need-credentials")
        },
        Output::Event(e) => PullOutput {
            event: Some(to_value(&e)?),
            ..PullOutput::new("event")
        },
        Output::Wait { until } => PullOutput {
            until: until.map(num),
            ..PullOutput::new("wait")
        },
        Output::Done(outcome) => PullOutput {
            outcome: Some(to_value(&*outcome)?),
            ..PullOutput::new("done")
        },
    })
}

/// One answer from the host (`Puller.handleInput`).
#[napi(object)]
pub struct PullInput {
    /// `http-response`, `http-body`, `blob-staged`, `progress`, `http-failed`, `store`,
    /// `credentials` or `timeout`.
    pub kind: String,
    /// The request, store operation or lookup answered.
    pub id: Option<f64>,
    /// Host-monotonic ms (every kind but `progress`, `store` and `credentials`).
    pub now: Option<f64>,
    /// `http-response`: the status.
    pub status: Option<u32>,
    /// `http-response`: headers in received order, `[name, value]`.
    pub headers: Option<Vec<Vec<String>>>,
    /// `http-body`: the bytes read (at most `limit + 1`).
    pub bytes: Option<Uint8Array>,
    /// `progress`: bytes streamed so far; `http-failed`: bytes safely staged.
    pub staged: Option<f64>,
    /// `http-failed`: `{kind: "connect" | "tls" | "reset" | "timeout" | "cancelled"}`,
    /// `{kind: "digest-mismatch", actual}`, `{kind: "size-mismatch", actual}` or
    /// `{kind: "store", message}`.
    pub failure: Option<Value>,
    /// `store`: `{kind: "stat", size: number | null}`, `{kind: "done"}`,
    /// `{kind: "committed", record}` or `{kind: "failed", message}`.
    pub result: Option<Value>,
    /// `credentials`: `{kind: "anonymous" | "basic" | …}`.
    pub credentials: Option<Value>,
}

fn transport_failure(v: &Value) -> JsResult<TransportFailure> {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    Ok(match s("kind") {
        Some("connect") => TransportFailure::Connect,
        Some("tls") => TransportFailure::Tls,
        Some("reset") => TransportFailure::Reset,
        Some("timeout") => TransportFailure::Timeout,
        Some("cancelled") => TransportFailure::Cancelled,
        Some("digest-mismatch") => TransportFailure::DigestMismatch {
            actual: digest(s("actual").ok_or_else(|| invalid("failure.actual"))?)?,
        },
        Some("size-mismatch") => TransportFailure::SizeMismatch {
            actual: v
                .get("actual")
                .and_then(Value::as_u64)
                .ok_or_else(|| invalid("failure.actual"))?,
        },
        Some("store") => TransportFailure::Store {
            message: s("message").unwrap_or("store failure").to_owned(),
        },
        _ => return Err(invalid("failure.kind")),
    })
}

fn store_result(v: &Value) -> JsResult<StoreResult> {
    Ok(match v.get("kind").and_then(Value::as_str) {
        Some("stat") => StoreResult::Stat(match v.get("size") {
            None | Some(Value::Null) => None,
            Some(n) => Some(n.as_u64().ok_or_else(|| invalid("result.size"))?),
        }),
        Some("done") => StoreResult::Done,
        Some("committed") => StoreResult::Committed(from_value(
            "result.record",
            v.get("record").cloned().unwrap_or(Value::Null),
        )?),
        Some("failed") => StoreResult::Failed(
            v.get("message")
                .and_then(Value::as_str)
                .unwrap_or("store failure")
                .to_owned(),
        ),
        _ => return Err(invalid("result.kind")),
    })
}

/// A [`PullInput`] as a machine input.
pub fn pull_input(i: PullInput) -> JsResult<Input> {
    let id = || {
        i.id.ok_or_else(|| invalid("id"))
            .and_then(|n| to_u64("id", n))
    };
    let now = || {
        i.now
            .ok_or_else(|| invalid("now"))
            .and_then(|n| to_u64("now", n))
    };
    Ok(match i.kind.as_str() {
        "http-response" => Input::HttpResponse {
            id: RequestId(id()?),
            head: ResponseHead {
                status: i
                    .status
                    .and_then(|s| u16::try_from(s).ok())
                    .ok_or_else(|| invalid("status"))?,
                headers: i
                    .headers
                    .unwrap_or_default()
                    .into_iter()
                    .map(|mut p| {
                        if p.len() != 2 {
                            return Err(invalid("headers must be [name, value] pairs"));
                        }
                        let v = p.pop().unwrap_or_default();
                        let n = p.pop().unwrap_or_default();
                        Ok((n, v))
                    })
                    .collect::<JsResult<_>>()?,
            },
            now: now()?,
        },
        "http-body" => Input::HttpBody {
            id: RequestId(id()?),
            bytes: i.bytes.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
            now: now()?,
        },
        "blob-staged" => Input::BlobStaged {
            id: RequestId(id()?),
            now: now()?,
        },
        "progress" => Input::Progress {
            id: RequestId(id()?),
            bytes: to_u64("staged", i.staged.unwrap_or(0.0))?,
        },
        "http-failed" => Input::HttpFailed {
            id: RequestId(id()?),
            failure: Failure {
                kind: transport_failure(i.failure.as_ref().ok_or_else(|| invalid("failure"))?)?,
                staged_bytes: to_u64("staged", i.staged.unwrap_or(0.0))?,
            },
            now: now()?,
        },
        "store" => Input::Store {
            id: StoreOpId(id()?),
            result: store_result(i.result.as_ref().ok_or_else(|| invalid("result"))?)?,
        },
        "credentials" => Input::Credentials {
            id: hoist_core::pull::CredentialId(id()?),
            credentials: credentials_in(
                i.credentials
                    .as_ref()
                    .ok_or_else(|| invalid("credentials"))?,
            )?,
        },
        "timeout" => Input::Timeout(now()?),
        other => return Err(invalid(format!("input kind {other:?}"))),
    })
}
