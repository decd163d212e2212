//! `auth` interface: CRI `AuthConfig`, docker/containers auth files, the kubelet keyring,
//! `WWW-Authenticate` challenges, token requests and responses (see `hoist_core::auth`).

use hoist_core::auth::{self, AuthConfig, AuthError, Lookup, Secret, TokenFlow, TokenParams};
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;
use serde_json::{json, Value};

use crate::convert::{
    self, core, credentials, credentials_in, error, from_value, invalid, AuthFile, Result,
};

/// Decodes a CRI `AuthConfig` (snake_case fields, as in the CRI protobuf JSON form) for
/// the registry `registryHost`.
#[napi]
pub fn decode_auth_config(config: Value, registry_host: String) -> Result<Value> {
    let config: AuthConfig = from_value("config", config)?;
    core(auth::decode_auth_config(&config, &registry_host)).map(|c| credentials(&c))
}

/// A parsed docker `config.json` / containers `auth.json` (or legacy `.dockercfg`).
#[napi]
pub struct DockerConfig {
    inner: auth::DockerConfig,
}

#[napi]
impl DockerConfig {
    /// Parses an auth file; `legacy` reads the old `.dockercfg` format.
    #[napi(factory)]
    pub fn parse(bytes: Uint8Array, legacy: Option<bool>) -> Result<DockerConfig> {
        let inner = if legacy.unwrap_or(false) {
            auth::DockerConfig::parse_legacy(&bytes)
        } else {
            auth::DockerConfig::parse(&bytes)
        };
        core(inner).map(|inner| DockerConfig { inner })
    }

    /// The `auths` keys, in file order.
    #[napi]
    pub fn auth_keys(&self) -> Vec<String> {
        self.inner.auth_keys().map(str::to_owned).collect()
    }

    /// `credHelpers`: registry → helper name.
    #[napi]
    pub fn cred_helpers(&self) -> Value {
        Value::Object(
            self.inner
                .cred_helpers()
                .map(|(r, h)| (r.to_owned(), Value::from(h)))
                .collect(),
        )
    }

    /// `credsStore`, if set.
    #[napi]
    pub fn creds_store(&self) -> Option<String> {
        self.inner.creds_store().map(str::to_owned)
    }

    /// What the file says about `key` (`host`, `host/namespace`…):
    /// `{kind: "helper", helper}`, `{kind: "credentials", credentials}` or `{kind: "none"}`.
    #[napi]
    pub fn lookup_credentials(&self, key: String) -> Result<Value> {
        lookup_value(&self.inner, &key)
    }

    /// The file's text after `login` of `username`/`password` under `key`.
    #[napi]
    pub fn with_login(&self, key: String, username: String, password: String) -> Result<String> {
        core(
            self.inner
                .with_login(&key, &username, &Secret::new(password)),
        )
        .map(|s| s.expose().to_owned())
    }

    /// The file's text after `logout` of `key`.
    #[napi]
    pub fn without(&self, key: String) -> Result<String> {
        core(self.inner.without(&key)).map(|s| s.expose().to_owned())
    }
}

fn lookup_value(config: &auth::DockerConfig, key: &str) -> Result<Value> {
    core(config.lookup(key)).map(|l| match l {
        Lookup::Helper(h) => json!({ "kind": "helper", "helper": h }),
        Lookup::Credentials(c) => json!({ "kind": "credentials", "credentials": credentials(&c) }),
        _ => json!({ "kind": "none" }),
    })
}

/// Parses an auth file (see [`DockerConfig::parse`]).
#[napi]
pub fn parse_docker_config(bytes: Uint8Array, legacy: Option<bool>) -> Result<DockerConfig> {
    DockerConfig::parse(bytes, legacy)
}

/// The auth files to read, in containers/image's order (`getAuthFilePaths`); a host
/// opens each (skipping missing ones) and parses it with `parseDockerConfig`.
#[napi]
pub fn auth_file_paths(env: Value) -> Result<Vec<AuthFile>> {
    let env = convert::auth_file_env_in(env)?;
    Ok(auth::auth_file_paths(&env)
        .into_iter()
        .map(convert::auth_file_out)
        .collect())
}

/// The auth file `login` / `logout` edit (containers/image `getPathToAuth`).
#[napi]
pub fn auth_file_for_write(env: Value) -> Result<String> {
    core(auth::auth_file_for_write(&convert::auth_file_env_in(env)?))
}

/// The kubelet's credential keyring: auth files merged, looked up by image with
/// wildcard hosts.
#[napi]
#[derive(Default)]
pub struct Keyring {
    inner: auth::Keyring,
}

#[napi]
impl Keyring {
    /// An empty keyring.
    #[napi(constructor)]
    pub fn new() -> Self {
        Keyring::default()
    }

    /// Adds every entry of `config`.
    #[napi]
    pub fn add(&mut self, config: &DockerConfig) -> Result<()> {
        core(self.inner.add(&config.inner))
    }

    /// The credentials to try for `image`, best match first.
    #[napi]
    pub fn lookup(&self, image: String) -> Vec<Value> {
        self.inner.lookup(&image).iter().map(credentials).collect()
    }
}

/// Credentials from a `docker-credential-* get` output.
#[napi]
pub fn parse_helper_output(bytes: Uint8Array) -> Result<Value> {
    core(auth::parse_helper_output(&bytes)).map(|c| credentials(&c))
}

/// True when `a` and `b` name one registry: equal, or both Docker Hub (`docker.io`,
/// `index.docker.io`, `registry-1.docker.io`).
#[napi]
pub fn same_registry(a: String, b: String) -> bool {
    auth::same_registry(&a, &b)
}

/// The server URL a credential helper is asked about for registry `host`
/// (`https://index.docker.io/v1/` for Docker Hub).
#[napi]
pub fn helper_server_url(host: String) -> String {
    auth::helper_server_url(&host).to_owned()
}

/// True when a helper's output is docker-credential-helpers' "credentials not found":
/// no entry, which is anonymous access rather than an error.
#[napi]
pub fn is_helper_not_found(output: Uint8Array) -> bool {
    auth::is_helper_not_found(&output)
}

/// The largest credential helper output the core accepts (bytes); a host reads at most
/// one byte more.
#[napi]
pub fn max_helper_output_size() -> u32 {
    auth::MAX_HELPER_OUTPUT_SIZE as u32
}

/// The largest auth file the core accepts (bytes); a host reads at most one byte more.
#[napi]
pub fn max_docker_config_size() -> u32 {
    auth::MAX_DOCKER_CONFIG_SIZE as u32
}

/// The kubelet's keyring URL glob match (`*.example.com` against a host and path).
#[napi]
pub fn urls_match(glob: String, target: String) -> bool {
    auth::urls_match(&glob, &target)
}

/// Whether `image` is on Docker Hub as the kubelet keyring counts it.
#[napi]
pub fn is_default_registry_match(image: String) -> bool {
    auth::is_default_registry_match(&image)
}

/// Parses `WWW-Authenticate` header values (RFC 7235) into challenges.
#[napi]
pub fn parse_challenges(headers: Vec<String>) -> Result<Vec<Value>> {
    core(auth::parse_challenges(&headers)).map(|cs| cs.iter().map(convert::challenge).collect())
}

/// Options of [`token_request`].
#[napi(object)]
pub struct TokenRequestOptions {
    /// The `WWW-Authenticate` header value of the `401` (its first challenge is used).
    pub challenge: String,
    /// The credentials (`{kind: "anonymous"}` when absent).
    pub credentials: Option<Value>,
    /// `get` (distribution token GET) or `oauth-post` (OAuth2 POST).
    pub flow: String,
    /// Scopes to add to the challenge's (e.g. the repository's pull scope).
    pub extra_scopes: Option<Vec<String>>,
    /// Ask for a refresh token too.
    pub offline: Option<bool>,
    /// The registry is spoken to over plain HTTP (an `http` realm is then allowed).
    pub registry_is_http: Option<bool>,
}

/// The token request to send for a Bearer challenge (distribution `docs/spec/auth/token.md`
/// and `oauth.md`): `{method, url, headers: [[name, value]], body}`.
#[napi]
pub fn token_request(options: TokenRequestOptions) -> Result<Value> {
    let flow = match options.flow.as_str() {
        "get" => TokenFlow::Get,
        "oauth-post" => TokenFlow::OAuthPost,
        _ => return Err(invalid("flow must be \"get\" or \"oauth-post\"")),
    };
    let creds = match &options.credentials {
        Some(v) => credentials_in(v)?,
        None => auth::Credentials::Anonymous,
    };
    let challenges = core(auth::parse_challenges(&[options.challenge.as_str()]))?;
    let first = challenges
        .first()
        .ok_or_else(|| error(AuthError::RealmMissing))?;
    let mut params = core(TokenParams::from_challenge(
        first,
        options.registry_is_http.unwrap_or(false),
        &options.extra_scopes.unwrap_or_default(),
    ))?;
    params.offline = options.offline.unwrap_or(false);
    core(auth::token_request(&params, &creds, flow)).map(|r| convert::token_request(&r))
}

/// Parses a token server's response body.
#[napi]
pub fn parse_token_response(body: Uint8Array) -> Result<Value> {
    core(auth::parse_token_response(&body)).map(|t| convert::token(&t))
}

/// The `Authorization: Basic …` header value (RFC 7617).
#[napi]
pub fn basic_authorization(username: String, password: String) -> String {
    auth::basic_authorization(&username, &Secret::new(password))
        .expose()
        .to_owned()
}

/// How to ask the token server with `credentials`: `get`, `oauth-post`, or `null` when
/// no token request is needed (a registry token).
#[napi]
pub fn preferred_flow(credentials: Value) -> Result<Option<String>> {
    let c = credentials_in(&credentials)?;
    Ok(auth::preferred_flow(&c).map(|f| {
        match f {
            TokenFlow::Get => "get",
            _ => "oauth-post",
        }
        .to_owned()
    }))
}

/// Whether an OAuth POST answered with `status` falls back to GET (docker's rule).
#[napi]
pub fn fallback_to_get(status: u32, credentials: Value) -> Result<bool> {
    let c = credentials_in(&credentials)?;
    let status = u16::try_from(status).map_err(|_| invalid("status"))?;
    Ok(auth::fallback_to_get(status, &c))
}

/// Validates a token realm URL: `{host, port, https}`.
#[napi]
pub fn validate_realm(realm: String, registry_is_http: bool) -> Result<Value> {
    core(auth::validate_realm(&realm, registry_is_http)).map(|r| convert::realm(&r))
}
