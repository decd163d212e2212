//! The CRI `AuthConfig` of a `PullImageRequest` (k8s.io/cri-api `api.proto`).
//!
//! Decoding follows cri-containerd's `ParseAuth` (`internal/cri/server/images/
//! image_pull.go`, tested by `TestParseAuth`), with two deliberate differences:
//!
//! - `registry_token` is honoured (containerd leaves it as a TODO): it is a bearer token
//!   for the registry, and docker's daemon also puts it before everything else;
//! - `server_address` is compared by host after normalization: the scheme (if any) and
//!   path are dropped, case is folded, and `docker.io`, `index.docker.io` and
//!   `registry-1.docker.io` are one host. containerd compares `url.Parse(addr).Host`
//!   verbatim, so a scheme-less address never matches there.

use serde::Deserialize;

use super::credentials::decode_auth;
use super::realm::split_host_port;
use super::{AuthError, Credentials, Secret};
use crate::digest::excerpt;

/// CRI `AuthConfig` (api.proto): the credentials kubelet sends with a pull.
///
/// Every secret field is a [`Secret`]. Field names match the protobuf JSON mapping in
/// snake_case; all fields are optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// User name.
    pub username: String,
    /// Password.
    pub password: Secret,
    /// `base64(username ":" password)`.
    pub auth: Secret,
    /// The registry these credentials belong to, as a host or URL.
    pub server_address: String,
    /// An OAuth2 refresh token.
    pub identity_token: Secret,
    /// A bearer token for the registry, used as is.
    pub registry_token: Secret,
}

/// Turns a CRI `AuthConfig` into [`Credentials`] for pulling from `registry_host`.
///
/// Order: a `server_address` for another host gives [`Credentials::Anonymous`]; then
/// `registry_token`; then `username` (with `password`, even empty); then
/// `identity_token`; then `auth`. An empty config is anonymous.
///
/// Errors: `auth-invalid-base64`, `auth-missing-colon`, `auth-invalid-utf8`,
/// `invalid-server-address`.
pub fn decode_auth_config(
    config: &AuthConfig,
    registry_host: &str,
) -> Result<Credentials, AuthError> {
    if !config.server_address.is_empty() {
        let Some(host) = server_address_host(&config.server_address) else {
            return Err(AuthError::InvalidServerAddress {
                address: excerpt(&config.server_address),
            });
        };
        if normalize_host(&host) != normalize_host(registry_host) {
            return Ok(Credentials::Anonymous);
        }
    }
    if !config.registry_token.is_empty() {
        return Ok(Credentials::RegistryToken(config.registry_token.clone()));
    }
    if !config.username.is_empty() {
        return Ok(Credentials::Basic {
            username: config.username.clone(),
            password: config.password.clone(),
        });
    }
    if !config.identity_token.is_empty() {
        return Ok(Credentials::IdentityToken {
            username: String::new(),
            token: config.identity_token.clone(),
        });
    }
    if !config.auth.is_empty() {
        let (username, password) = decode_auth(config.auth.expose(), || "auth".into())?;
        if username.is_empty() && password.is_empty() {
            return Ok(Credentials::Anonymous);
        }
        return Ok(Credentials::Basic { username, password });
    }
    Ok(Credentials::Anonymous)
}

/// The `host[:port]` of a server address given as a URL or a bare host, lower-cased.
fn server_address_host(address: &str) -> Option<String> {
    let after_scheme = match address.split_once("://") {
        Some((_, rest)) => rest,
        None => address,
    };
    let end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let hostport = &after_scheme[..end];
    if hostport.is_empty()
        || hostport.contains('@')
        || hostport.bytes().any(|b| !b.is_ascii_graphic())
    {
        return None;
    }
    let (host, port) = split_host_port(hostport)?;
    if host.is_empty() || port.is_some_and(str::is_empty) {
        return None;
    }
    Some(hostport.to_ascii_lowercase())
}

/// Folds case and the Docker Hub aliases into one host name.
pub(crate) fn normalize_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_owned(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn basic(u: &str, p: &str) -> Credentials {
        Credentials::Basic {
            username: u.into(),
            password: Secret::new(p),
        }
    }

    #[test]
    fn table() {
        // containerd TestParseAuth rows first, then hoist's additions.
        let auth = "dXNlcm5hbWU6cGFzc3dvcmQ="; // username:password
        let invalid = "dXNlcm5hbWVAcGFzc3dvcmQ="; // username@password
        let with = |f: &dyn Fn(&mut AuthConfig)| {
            let mut c = AuthConfig::default();
            f(&mut c);
            c
        };
        let cases: Vec<(AuthConfig, &str, Result<Credentials, &str>)> = vec![
            (AuthConfig::default(), "", Ok(Credentials::Anonymous)),
            (
                with(&|c| c.identity_token = Secret::new("abcd")),
                "",
                Ok(Credentials::IdentityToken {
                    username: String::new(),
                    token: Secret::new("abcd"),
                }),
            ),
            (
                with(&|c| {
                    c.username = "username".into();
                    c.password = Secret::new("password");
                }),
                "",
                Ok(basic("username", "password")),
            ),
            (
                with(&|c| c.auth = Secret::new(auth)),
                "",
                Ok(basic("username", "password")),
            ),
            (
                with(&|c| c.auth = Secret::new(invalid)),
                "",
                Err("auth-missing-colon"),
            ),
            (
                with(&|c| c.auth = Secret::new("%%%")),
                "",
                Err("auth-invalid-base64"),
            ),
            (
                with(&|c| {
                    c.username = "username".into();
                    c.password = Secret::new("password");
                    c.server_address = "https://registry-1.io".into();
                }),
                "registry-2.io",
                Ok(Credentials::Anonymous),
            ),
            (
                with(&|c| {
                    c.username = "username".into();
                    c.password = Secret::new("password");
                    c.server_address = "https://registry-1.io".into();
                }),
                "registry-1.io",
                Ok(basic("username", "password")),
            ),
            (
                with(&|c| {
                    c.username = "username".into();
                    c.password = Secret::new("password");
                }),
                "registry-1.io",
                Ok(basic("username", "password")),
            ),
            // hoist: scheme-less, path, case and Docker Hub aliases.
            (
                with(&|c| {
                    c.auth = Secret::new(auth);
                    c.server_address = "Registry-1.io:5000/v2/".into();
                }),
                "registry-1.io:5000",
                Ok(basic("username", "password")),
            ),
            (
                with(&|c| {
                    c.auth = Secret::new(auth);
                    c.server_address = "https://index.docker.io/v1/".into();
                }),
                "registry-1.docker.io",
                Ok(basic("username", "password")),
            ),
            (
                with(&|c| {
                    c.auth = Secret::new(auth);
                    c.server_address = "registry-1.io:5000".into();
                }),
                "registry-1.io",
                Ok(Credentials::Anonymous),
            ),
            (
                with(&|c| {
                    c.auth = Secret::new(auth);
                    c.server_address = "https://".into();
                }),
                "registry-1.io",
                Err("invalid-server-address"),
            ),
            (
                with(&|c| {
                    c.registry_token = Secret::new("rt");
                    c.username = "username".into();
                }),
                "",
                Ok(Credentials::RegistryToken(Secret::new("rt"))),
            ),
            (
                with(&|c| {
                    c.username = "username".into();
                    c.identity_token = Secret::new("abcd");
                }),
                "",
                Ok(basic("username", "")),
            ),
            (
                with(&|c| {
                    c.identity_token = Secret::new("abcd");
                    c.auth = Secret::new(invalid);
                }),
                "",
                Ok(Credentials::IdentityToken {
                    username: String::new(),
                    token: Secret::new("abcd"),
                }),
            ),
            (
                with(&|c| c.auth = Secret::new("dXNlcm5hbWU6cGFzc3dvcmQAAA==")),
                "",
                Ok(basic("username", "password")),
            ),
            (
                with(&|c| c.auth = Secret::new("Og==")),
                "",
                Ok(Credentials::Anonymous),
            ),
        ];
        for (i, (config, host, want)) in cases.iter().enumerate() {
            let got = decode_auth_config(config, host).map_err(|e| e.code());
            assert_eq!(got, want.clone(), "case {i}");
        }
    }

    #[test]
    fn deserialize_and_debug() {
        let c: AuthConfig = serde_json::from_str(
            r#"{"username":"u","password":"s3cr3t-1","auth":"s3cr3t-2","identity_token":"s3cr3t-3","registry_token":"s3cr3t-4","server_address":"r.io"}"#,
        )
        .expect("valid");
        let text = format!("{c:?} {:?}", decode_auth_config(&c, "r.io"));
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("r.io"));
    }
}
