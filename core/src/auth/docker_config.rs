//! Docker `config.json`, containers `auth.json` and legacy `.dockercfg` files, and the
//! output of `docker-credential-<helper> get`.
//!
//! The file format is docker/cli `cli/config/configfile` (`auths`, `credHelpers`,
//! `credsStore`); containers/image `pkg/docker/config` adds namespaced keys
//! (`quay.io/org`) to `auths`. Lookup order follows containers/image `GetCredentials`
//! for one file:
//!
//! 1. `credHelpers` for the registry (exact key, then keys that normalize to it, such as
//!    `https://index.docker.io/v1/` for `docker.io`): run that helper;
//! 2. `auths`, exact keys from the most specific (`host/ns/repo`) to the bare host; the
//!    first key present decides;
//! 3. `auths` keys in legacy URL form (`https://host/v1/`, `http://host/v2/`), normalized
//!    as docker's `ConvertToHostname`, with `docker.io`, `index.docker.io` and
//!    `registry-1.docker.io` as one registry; the first in file order decides;
//! 4. when that found nothing usable (no entry, or an empty `{}` marker as docker writes
//!    next to a credential store): `credsStore`.
//!
//! Step 4 is docker/cli's default store. docker itself asks `credsStore` before inline
//! `auths`; hoist prefers credentials written into the file for the registry, which only
//! differs when a file has both, and then the inline entry was written on purpose.
//!
//! Entries decode as docker/cli does: a non-empty `auth` (base64 `user:password`) wins
//! over `username`/`password`; `identitytoken` makes the entry an OAuth2 refresh token;
//! `registrytoken` a bearer token used as is. A broken `auth` is reported when its entry
//! is looked up, so one bad entry does not lock out every other registry. Wrong JSON
//! types fail the whole file, as Go's decoder does.

use serde::Serialize;
use serde_json::{Map, Value};

use super::credentials::{decode_auth, encode_auth};
use super::error::Document;
use super::{parse_json, AuthError, Credentials, Secret};
use crate::digest::excerpt;

/// Largest auth file accepted (4 MiB). Real files are a few KiB.
pub const MAX_DOCKER_CONFIG_SIZE: usize = 4 << 20;

/// Largest credential helper output accepted (1 MiB). Cloud tokens are a few KiB.
pub const MAX_HELPER_OUTPUT_SIZE: usize = 1 << 20;

/// The key docker/cli writes Docker Hub credentials under.
pub const DOCKER_HUB_LEGACY_KEY: &str = "https://index.docker.io/v1/";

/// What an auth file says about a registry or repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Run `docker-credential-<name> get` with the registry host on stdin and pass its
    /// stdout to [`parse_helper_output`]. Running it is the host's job.
    Helper(String),
    /// Credentials stored in the file itself.
    Credentials(Credentials),
    /// The file knows nothing about this registry.
    None,
}

/// One `auths` entry: its key and what it decodes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AuthEntry {
    pub(crate) key: String,
    /// `Ok(None)` for an entry without credentials (docker's `{}` marker).
    pub(crate) decoded: Result<Option<Credentials>, AuthError>,
}

/// A parsed docker `config.json`, containers `auth.json` or legacy `.dockercfg`.
///
/// The original text is kept (as a [`Secret`]) so [`DockerConfig::with_login`] and
/// [`DockerConfig::without`] can rewrite the file without losing fields hoist does not
/// know. `{:?}` shows keys and helper names, never credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerConfig {
    raw: Secret,
    legacy: bool,
    auths: Vec<AuthEntry>,
    cred_helpers: Vec<(String, String)>,
    creds_store: Option<String>,
}

impl Default for DockerConfig {
    fn default() -> Self {
        DockerConfig::empty()
    }
}

impl DockerConfig {
    /// An empty `config.json` (`{}`), for a first `docker login`.
    pub fn empty() -> Self {
        DockerConfig {
            raw: Secret::new("{}"),
            legacy: false,
            auths: Vec::new(),
            cred_helpers: Vec::new(),
            creds_store: None,
        }
    }

    /// Parses a `config.json` / `auth.json`: a JSON object with optional `auths`,
    /// `credHelpers` and `credsStore`; other fields are kept but not read.
    ///
    /// Errors: `docker-config-too-large`, `docker-config-invalid-json` (not strict
    /// JSON, see [`crate::json`]), `docker-config-invalid` (a field of the wrong type).
    pub fn parse(bytes: &[u8]) -> Result<Self, AuthError> {
        Self::parse_document(bytes, false)
    }

    /// Parses a legacy `.dockercfg`: the top-level object is the `auths` map, and keys
    /// are always reduced to their host (containers/image `legacyFormat`). Such files are
    /// read, never written.
    pub fn parse_legacy(bytes: &[u8]) -> Result<Self, AuthError> {
        Self::parse_document(bytes, true)
    }

    fn parse_document(bytes: &[u8], legacy: bool) -> Result<Self, AuthError> {
        let Value::Object(root) =
            parse_json(bytes, Document::DockerConfig, MAX_DOCKER_CONFIG_SIZE)?
        else {
            return Err(AuthError::InvalidConfigField {
                field: "(root)".into(),
                expected: "an object",
            });
        };
        let mut config = DockerConfig {
            raw: Secret::new(String::from_utf8_lossy(bytes).into_owned()),
            legacy,
            auths: Vec::new(),
            cred_helpers: Vec::new(),
            creds_store: None,
        };
        let auths = if legacy {
            Some(&root)
        } else {
            object_field(&root, "auths")?
        };
        for (key, entry) in auths.into_iter().flatten() {
            let decoded = match entry {
                Value::Null => Ok(None),
                Value::Object(fields) => decode_entry(key, fields)?,
                _ => {
                    return Err(AuthError::InvalidConfigField {
                        field: format!("auths[{:?}]", excerpt(key)),
                        expected: "an object",
                    })
                }
            };
            config.auths.push(AuthEntry {
                key: key.clone(),
                decoded,
            });
        }
        if legacy {
            return Ok(config);
        }
        for (registry, helper) in object_field(&root, "credHelpers")?.into_iter().flatten() {
            match helper {
                Value::String(h) if !h.is_empty() => {
                    config.cred_helpers.push((registry.clone(), h.clone()));
                }
                Value::String(_) | Value::Null => {}
                _ => {
                    return Err(AuthError::InvalidConfigField {
                        field: format!("credHelpers[{:?}]", excerpt(registry)),
                        expected: "a string",
                    })
                }
            }
        }
        match root.get("credsStore") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                config.creds_store = Some(s.clone()).filter(|s| !s.is_empty());
            }
            Some(_) => {
                return Err(AuthError::InvalidConfigField {
                    field: "credsStore".into(),
                    expected: "a string",
                })
            }
        }
        Ok(config)
    }

    /// True for a legacy `.dockercfg`.
    pub fn is_legacy(&self) -> bool {
        self.legacy
    }

    /// The `auths` keys, in file order.
    pub fn auth_keys(&self) -> impl Iterator<Item = &str> {
        self.auths.iter().map(|e| e.key.as_str())
    }

    /// The `credHelpers` entries (registry, helper name), in file order.
    pub fn cred_helpers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cred_helpers
            .iter()
            .map(|(r, h)| (r.as_str(), h.as_str()))
    }

    /// The default credential store (`credsStore`), if any.
    pub fn creds_store(&self) -> Option<&str> {
        self.creds_store.as_deref()
    }

    pub(crate) fn entries(&self) -> &[AuthEntry] {
        &self.auths
    }

    /// The credential helper that owns `registry` (a host, no path): its `credHelpers`
    /// entry, else `credsStore`. A host doing `login` stores through this helper instead
    /// of calling [`DockerConfig::with_login`], as docker and podman do.
    pub fn helper_for(&self, registry: &str) -> Option<&str> {
        self.registry_helper(registry)
            .or(self.creds_store.as_deref())
    }

    fn registry_helper(&self, registry: &str) -> Option<&str> {
        if let Some((_, h)) = self.cred_helpers.iter().find(|(r, _)| r == registry) {
            return Some(h);
        }
        let wanted = normalize_registry(registry);
        self.cred_helpers
            .iter()
            .find(|(r, _)| normalize_auth_file_key(r, false) == wanted)
            .map(|(_, h)| h.as_str())
    }

    /// What the file says about `key`: a fully qualified repository name
    /// (`quay.io/org/app`), a namespace (`quay.io/org`) or a registry host (`quay.io`,
    /// `localhost:5000`). Pass names already normalized by the reference module:
    /// `docker.io/library/busybox`, not `busybox`. See the module docs for the order.
    ///
    /// Errors: `invalid-registry-key` (a URL, a tag or a digest in the key), and the
    /// decoding errors of the entry that decides (`auth-invalid-base64`,
    /// `auth-missing-colon`, `auth-invalid-utf8`).
    pub fn lookup(&self, key: &str) -> Result<Lookup, AuthError> {
        validate_key(key)?;
        let registry = key.split('/').next().unwrap_or(key);
        if let Some(helper) = self.registry_helper(registry) {
            return Ok(Lookup::Helper(helper.to_owned()));
        }
        let exact = if self.legacy {
            self.find_exact(registry)
        } else {
            auth_keys_for_key(key).find_map(|k| self.find_exact(k))
        };
        let wanted = normalize_registry(registry);
        let entry = exact.or_else(|| {
            self.auths
                .iter()
                .find(|e| normalize_auth_file_key(&e.key, self.legacy) == wanted)
        });
        match entry.map(|e| &e.decoded) {
            Some(Err(e)) => Err(e.clone()),
            Some(Ok(Some(credentials))) => Ok(Lookup::Credentials(credentials.clone())),
            Some(Ok(None)) | None => Ok(match &self.creds_store {
                Some(store) => Lookup::Helper(store.clone()),
                None => Lookup::None,
            }),
        }
    }

    fn find_exact(&self, key: &str) -> Option<&AuthEntry> {
        self.auths.iter().find(|e| e.key == key)
    }

    /// The file after `login`: `auths[key] = {"auth": base64(username:password)}`, every
    /// other field kept in place. `key` is a registry host or a namespace
    /// (containers auth.json); use [`DOCKER_HUB_LEGACY_KEY`] for Docker Hub in a file the
    /// docker CLI also reads. The text is tab-indented like Go's `json.MarshalIndent`; the
    /// host writes it with mode 0600.
    ///
    /// Errors: `legacy-config-read-only`, `invalid-registry-key`, `username-contains-colon`.
    pub fn with_login(
        &self,
        key: &str,
        username: &str,
        password: &Secret,
    ) -> Result<Secret, AuthError> {
        self.check_writable(key)?;
        if username.contains(':') {
            return Err(AuthError::UsernameContainsColon);
        }
        let mut root = self.root()?;
        let auths = root
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !auths.is_object() {
            *auths = Value::Object(Map::new());
        }
        let mut entry = Map::new();
        entry.insert(
            "auth".into(),
            Value::String(encode_auth(username, password).expose().to_owned()),
        );
        if let Value::Object(map) = auths {
            map.insert(key.to_owned(), Value::Object(entry));
        }
        Ok(render(&root))
    }

    /// The file after `logout`: the `auths` entry for `key` removed (for a bare host,
    /// also entries whose legacy URL keys normalize to it), every other field kept.
    ///
    /// Errors: `legacy-config-read-only`, `invalid-registry-key`, `not-logged-in` when no
    /// entry was removed (the host may still erase the key from a credential helper).
    pub fn without(&self, key: &str) -> Result<Secret, AuthError> {
        self.check_writable(key)?;
        let mut root = self.root()?;
        let mut removed = false;
        if let Some(Value::Object(auths)) = root.get_mut("auths") {
            removed = auths.shift_remove(key).is_some();
            if !removed && !key.contains('/') {
                let wanted = normalize_registry(key);
                let before = auths.len();
                auths.retain(|k, _| normalize_auth_file_key(k, false) != wanted);
                removed = auths.len() != before;
            }
        }
        if !removed {
            return Err(AuthError::NotLoggedIn { key: excerpt(key) });
        }
        Ok(render(&root))
    }

    fn check_writable(&self, key: &str) -> Result<(), AuthError> {
        if self.legacy {
            return Err(AuthError::LegacyConfigReadOnly);
        }
        if key == DOCKER_HUB_LEGACY_KEY {
            return Ok(());
        }
        validate_key(key)
    }

    fn root(&self) -> Result<Map<String, Value>, AuthError> {
        match parse_json(
            self.raw.expose().as_bytes(),
            Document::DockerConfig,
            MAX_DOCKER_CONFIG_SIZE,
        )? {
            Value::Object(map) => Ok(map),
            _ => Err(AuthError::InvalidConfigField {
                field: "(root)".into(),
                expected: "an object",
            }),
        }
    }
}

/// Decodes one `auths` entry. The outer error (wrong JSON types) fails the whole file;
/// the inner one is reported when the entry is used.
fn decode_entry(
    key: &str,
    fields: &Map<String, Value>,
) -> Result<Result<Option<Credentials>, AuthError>, AuthError> {
    const STRING_FIELDS: [&str; 7] = [
        "auth",
        "username",
        "password",
        "email",
        "identitytoken",
        "registrytoken",
        "serveraddress",
    ];
    for name in STRING_FIELDS {
        if !matches!(
            fields.get(name),
            None | Some(Value::Null | Value::String(_))
        ) {
            return Err(AuthError::InvalidConfigField {
                field: format!("auths[{:?}].{name}", excerpt(key)),
                expected: "a string",
            });
        }
    }
    let text = |name: &str| fields.get(name).and_then(Value::as_str).unwrap_or("");
    if !text("registrytoken").is_empty() {
        return Ok(Ok(Some(Credentials::RegistryToken(Secret::new(text(
            "registrytoken",
        ))))));
    }
    let (username, password) = if text("auth").is_empty() {
        (text("username").to_owned(), Secret::new(text("password")))
    } else {
        match decode_auth(text("auth"), || format!("auths[{:?}].auth", excerpt(key))) {
            Ok(pair) => pair,
            Err(e) => return Ok(Err(e)),
        }
    };
    if !text("identitytoken").is_empty() {
        return Ok(Ok(Some(Credentials::IdentityToken {
            username,
            token: Secret::new(text("identitytoken")),
        })));
    }
    if username.is_empty() && password.is_empty() {
        return Ok(Ok(None));
    }
    Ok(Ok(Some(Credentials::Basic { username, password })))
}

/// containers/image `validateKey`: a host, `host/namespace…` or repository name; no
/// scheme, tag or digest.
fn validate_key(key: &str) -> Result<(), AuthError> {
    let bad = |reason: &'static str| {
        Err(AuthError::InvalidRegistryKey {
            key: excerpt(key),
            reason,
        })
    };
    if key.is_empty() {
        return bad("empty");
    }
    if key.starts_with("http://") || key.starts_with("https://") {
        return bad("has an http(s):// prefix");
    }
    if key.bytes().any(|b| !b.is_ascii_graphic()) {
        return bad("contains whitespace, control or non-ascii characters");
    }
    if key.contains('@') {
        return bad("contains '@'");
    }
    if let Some((_, path)) = key.split_once('/') {
        if path.contains(':') {
            return bad("contains ':' after host[:port]");
        }
    }
    if key.split('/').any(str::is_empty) {
        return bad("has an empty path component");
    }
    Ok(())
}

/// containers/image `authKeysForKey`: `a/b/c`, `a/b`, `a`.
fn auth_keys_for_key(key: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(key);
    std::iter::from_fn(move || {
        let current = next?;
        next = current.rfind('/').map(|i| &current[..i]);
        Some(current)
    })
}

/// containers/image `normalizeRegistry`: Docker Hub aliases to `index.docker.io`.
fn normalize_registry(registry: &str) -> &str {
    match registry {
        "registry-1.docker.io" | "docker.io" => "index.docker.io",
        _ => registry,
    }
}

/// containers/image `normalizeAuthFileKey`: URL keys to their host (docker's
/// `ConvertToHostname`), then [`normalize_registry`].
fn normalize_auth_file_key(key: &str, legacy: bool) -> &str {
    let stripped = key.strip_prefix("http://").unwrap_or(key);
    let stripped = stripped.strip_prefix("https://").unwrap_or(stripped);
    let stripped = if legacy || stripped.len() != key.len() {
        stripped.split('/').next().unwrap_or(stripped)
    } else {
        stripped
    };
    normalize_registry(stripped)
}

/// `root[name]` as an object; absent or null is `None`.
fn object_field<'a>(
    root: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a Map<String, Value>>, AuthError> {
    match root.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(AuthError::InvalidConfigField {
            field: name.to_owned(),
            expected: "an object",
        }),
    }
}

/// Tab-indented JSON, as Go's `json.MarshalIndent(v, "", "\t")` writes auth files.
fn render(root: &Map<String, Value>) -> Secret {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    if root.serialize(&mut ser).is_err() {
        // Serializing a JSON map into a Vec cannot fail; fall back to compact output.
        buf = serde_json::to_vec(root).unwrap_or_default();
    }
    Secret::new(String::from_utf8(buf).unwrap_or_default())
}

/// Parses the stdout of `docker-credential-<helper> get`: `{"ServerURL": …,
/// "Username": …, "Secret": …}` (docker/docker-credential-helpers `credentials.go`).
///
/// `Username` `<token>` means the secret is an identity token (containers/image
/// `getCredsFromCredHelper`). An empty user name and secret is [`Credentials::Anonymous`].
/// Unknown fields are ignored.
///
/// Errors: `helper-output-too-large` (over [`MAX_HELPER_OUTPUT_SIZE`]),
/// `helper-output-invalid-json`, `helper-output-invalid` (`Secret` missing, or a field
/// that is not a string).
pub fn parse_helper_output(bytes: &[u8]) -> Result<Credentials, AuthError> {
    let Value::Object(root) = parse_json(bytes, Document::HelperOutput, MAX_HELPER_OUTPUT_SIZE)?
    else {
        return Err(AuthError::InvalidHelperOutput { field: "(root)" });
    };
    let string = |name: &'static str, required: bool| match root.get(name) {
        Some(Value::String(s)) => Ok(s.as_str()),
        None | Some(Value::Null) if !required => Ok(""),
        _ => Err(AuthError::InvalidHelperOutput { field: name }),
    };
    let secret = Secret::new(string("Secret", true)?);
    let username = string("Username", false)?;
    string("ServerURL", false)?;
    Ok(match username {
        "" if secret.is_empty() => Credentials::Anonymous,
        "<token>" => Credentials::IdentityToken {
            username: username.to_owned(),
            token: secret,
        },
        _ => Credentials::Basic {
            username: username.to_owned(),
            password: secret,
        },
    })
}

/// True when a helper's output is docker-credential-helpers' "not found" message
/// (`credentials not found in native keychain`): the registry simply has no entry, which
/// is anonymous access rather than an error.
pub fn is_helper_not_found(output: &[u8]) -> bool {
    output.trim_ascii() == b"credentials not found in native keychain"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn basic(u: &str, p: &str) -> Lookup {
        Lookup::Credentials(Credentials::Basic {
            username: u.into(),
            password: Secret::new(p),
        })
    }

    const FOO_BAR: &str = "Zm9vOmJhcg=="; // foo:bar

    #[test]
    fn lookup_order() {
        let cfg = DockerConfig::parse(
            format!(
                r#"{{
                "auths": {{
                    "quay.io/org/app": {{"auth": "YXBwOmFwcA=="}},
                    "quay.io/org": {{"auth": "b3JnOm9yZw=="}},
                    "quay.io": {{"auth": "{FOO_BAR}"}},
                    "https://index.docker.io/v1/": {{"auth": "aHViOmh1Yg=="}},
                    "http://legacy.example.com/v2/": {{"username": "l", "password": "p"}},
                    "empty.example.com": {{}},
                    "broken.example.com": {{"auth": "cGFudHM="}},
                    "token.example.com": {{"auth": "PHRva2VuPjo=", "identitytoken": "rt"}}
                }},
                "credHelpers": {{"gcr.io": "gcloud", "https://ecr.example.com": "ecr"}},
                "credsStore": "desktop",
                "psFormat": "table"
            }}"#
            )
            .as_bytes(),
        )
        .expect("valid");
        let cases: Vec<(&str, Result<Lookup, &str>)> = vec![
            ("quay.io/org/app", Ok(basic("app", "app"))),
            ("quay.io/org/other", Ok(basic("org", "org"))),
            ("quay.io/other/app", Ok(basic("foo", "bar"))),
            ("quay.io", Ok(basic("foo", "bar"))),
            ("docker.io/library/busybox", Ok(basic("hub", "hub"))),
            ("index.docker.io", Ok(basic("hub", "hub"))),
            ("registry-1.docker.io/x/y", Ok(basic("hub", "hub"))),
            ("legacy.example.com/a", Ok(basic("l", "p"))),
            ("gcr.io/project/image", Ok(Lookup::Helper("gcloud".into()))),
            ("ecr.example.com/a", Ok(Lookup::Helper("ecr".into()))),
            ("empty.example.com/a", Ok(Lookup::Helper("desktop".into()))),
            (
                "unknown.example.com/a",
                Ok(Lookup::Helper("desktop".into())),
            ),
            ("broken.example.com/a", Err("auth-missing-colon")),
            (
                "token.example.com",
                Ok(Lookup::Credentials(Credentials::IdentityToken {
                    username: "<token>".into(),
                    token: Secret::new("rt"),
                })),
            ),
            ("https://quay.io", Err("invalid-registry-key")),
            ("quay.io/org/app:latest", Err("invalid-registry-key")),
            ("quay.io/org/app@sha256:abc", Err("invalid-registry-key")),
            ("", Err("invalid-registry-key")),
            ("quay.io//app", Err("invalid-registry-key")),
            ("localhost:5000/app", Ok(Lookup::Helper("desktop".into()))),
        ];
        for (key, want) in cases {
            assert_eq!(cfg.lookup(key).map_err(|e| e.code()), want, "{key}");
        }
        assert_eq!(cfg.helper_for("gcr.io"), Some("gcloud"));
        assert_eq!(cfg.helper_for("quay.io"), Some("desktop"));
        let text = format!("{cfg:?}");
        for secret in ["YXBwOmFwcA", "\"p\"", "rt\"", "Zm9v"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }

    #[test]
    fn parse_errors() {
        let cases: &[(&str, &str)] = &[
            ("", "docker-config-invalid-json"),
            ("{", "docker-config-invalid-json"),
            (r#"{"auths":{},"auths":{}}"#, "docker-config-invalid-json"),
            ("{} x", "docker-config-invalid-json"),
            ("[]", "docker-config-invalid"),
            (r#"{"auths":[]}"#, "docker-config-invalid"),
            (r#"{"auths":{"a":"b"}}"#, "docker-config-invalid"),
            (r#"{"auths":{"a":{"auth":5}}}"#, "docker-config-invalid"),
            (
                r#"{"auths":{"a":{"email":false}}}"#,
                "docker-config-invalid",
            ),
            (r#"{"credHelpers":{"a":1}}"#, "docker-config-invalid"),
            (r#"{"credsStore":true}"#, "docker-config-invalid"),
        ];
        for (input, code) in cases {
            let got = DockerConfig::parse(input.as_bytes()).map(|_| ());
            assert_eq!(got.map_err(|e| e.code()), Err(*code), "{input}");
        }
        let big = vec![b' '; MAX_DOCKER_CONFIG_SIZE + 1];
        assert_eq!(
            DockerConfig::parse(&big).map(|_| ()).map_err(|e| e.code()),
            Err("docker-config-too-large")
        );
        assert!(
            DockerConfig::parse(br#"{"auths":null,"credHelpers":null,"credsStore":null}"#).is_ok()
        );
    }

    #[test]
    fn legacy_file() {
        let cfg = DockerConfig::parse_legacy(
            br#"{"https://quay.io/v1/": {"auth": "Zm9vOmJhcg==", "email": "e@x"}}"#,
        )
        .expect("valid");
        assert!(cfg.is_legacy());
        assert_eq!(cfg.lookup("quay.io/a/b"), Ok(basic("foo", "bar")));
        assert_eq!(
            cfg.with_login("quay.io", "u", &Secret::new("p"))
                .map(|_| ())
                .map_err(|e| e.code()),
            Err("legacy-config-read-only")
        );
    }

    #[test]
    fn login_logout() {
        let cfg = DockerConfig::parse(
            br#"{"auths":{"a.io":{"auth":"Zm9vOmJhcg=="},"https://b.io/v1/":{"auth":"Zm9vOmJhcg=="}},"credHelpers":{"c.io":"x"},"proxies":{"default":{}}}"#,
        )
        .expect("valid");
        let out = cfg
            .with_login("a.io", "new", &Secret::new("pw"))
            .expect("login");
        assert_eq!(
            out.expose(),
            "{\n\t\"auths\": {\n\t\t\"a.io\": {\n\t\t\t\"auth\": \"bmV3OnB3\"\n\t\t},\n\t\t\"https://b.io/v1/\": {\n\t\t\t\"auth\": \"Zm9vOmJhcg==\"\n\t\t}\n\t},\n\t\"credHelpers\": {\n\t\t\"c.io\": \"x\"\n\t},\n\t\"proxies\": {\n\t\t\"default\": {}\n\t}\n}"
        );
        let out = cfg.without("b.io").expect("logout by host");
        let again = DockerConfig::parse(out.expose().as_bytes()).expect("valid");
        assert_eq!(again.auth_keys().collect::<Vec<_>>(), ["a.io"]);
        assert_eq!(
            cfg.without("d.io").map(|_| ()).map_err(|e| e.code()),
            Err("not-logged-in")
        );
        let first = DockerConfig::empty()
            .with_login(DOCKER_HUB_LEGACY_KEY, "u", &Secret::new("p"))
            .expect("login");
        let parsed = DockerConfig::parse(first.expose().as_bytes()).expect("valid");
        assert_eq!(parsed.lookup("docker.io/library/x"), Ok(basic("u", "p")));
        assert_eq!(
            cfg.with_login("a.io", "a:b", &Secret::new("p"))
                .map(|_| ())
                .map_err(|e| e.code()),
            Err("username-contains-colon")
        );
        assert_eq!(
            cfg.with_login("https://a.io", "a", &Secret::new("p"))
                .map(|_| ())
                .map_err(|e| e.code()),
            Err("invalid-registry-key")
        );
        assert_eq!(format!("{out:?}"), "<redacted>");
    }

    #[test]
    fn helper_output() {
        let cases: &[(&str, Result<Credentials, &str>)] = &[
            (
                r#"{"ServerURL":"r.io","Username":"u","Secret":"p"}"#,
                Ok(Credentials::Basic {
                    username: "u".into(),
                    password: Secret::new("p"),
                }),
            ),
            (
                r#"{"ServerURL":"r.io","Username":"<token>","Secret":"t"}"#,
                Ok(Credentials::IdentityToken {
                    username: "<token>".into(),
                    token: Secret::new("t"),
                }),
            ),
            (r#"{"Username":"","Secret":""}"#, Ok(Credentials::Anonymous)),
            (r#"{"Username":"u"}"#, Err("helper-output-invalid")),
            (
                r#"{"Username":1,"Secret":"s"}"#,
                Err("helper-output-invalid"),
            ),
            (r#"[]"#, Err("helper-output-invalid")),
            (
                "credentials not found in native keychain",
                Err("helper-output-invalid-json"),
            ),
            (
                r#"{"Secret":"a","Secret":"b"}"#,
                Err("helper-output-invalid-json"),
            ),
        ];
        for (input, want) in cases {
            let got = parse_helper_output(input.as_bytes()).map_err(|e| e.code());
            assert_eq!(got, want.clone(), "{input}");
        }
        assert!(is_helper_not_found(
            b"credentials not found in native keychain\n"
        ));
        assert!(!is_helper_not_found(b"{}"));
    }

    #[test]
    fn linear_on_large_input() {
        let mut text = String::from("{\"auths\":{");
        for i in 0..20_000 {
            text.push_str(&format!("\"h{i}.example.com\":{{\"auth\":\"{FOO_BAR}\"}},"));
        }
        text.push_str("\"last.example.com\":{}}}");
        let cfg = DockerConfig::parse(text.as_bytes()).expect("valid");
        assert_eq!(
            cfg.lookup("h19999.example.com/a/b/c"),
            Ok(basic("foo", "bar"))
        );
    }
}
