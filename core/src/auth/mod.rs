//! Registry authentication, sans IO: credentials from CRI and auth files, the kubelet
//! keyring, `WWW-Authenticate` challenges, token requests and responses, realm checks.
//!
//! The pieces, in the order a pull uses them:
//!
//! 1. **Credentials** ([`Credentials`]) come from a CRI `AuthConfig`
//!    ([`decode_auth_config`]), an auth file ([`auth_file_paths`] gives the files in
//!    containers/image's order, [`auth_file_for_write`] the one `login` edits;
//!    [`DockerConfig::lookup`] reads one, possibly naming a
//!    credential helper whose output [`parse_helper_output`] reads), or image pull
//!    secrets ([`Keyring`]). Every secret is a [`Secret`], which never prints.
//! 2. A 401 response's `WWW-Authenticate` headers become [`Challenge`]s
//!    ([`parse_challenges`]); [`preferred_challenge`] picks Bearer over Basic.
//! 3. For Bearer, [`TokenParams::from_challenge`] validates the realm
//!    ([`validate_realm`]) and gathers service and scopes; [`token_request`] builds the
//!    GET or OAuth2 POST; [`parse_token_response`] reads the answer; [`TokenCache`] keeps
//!    tokens until they expire. For Basic, [`basic_authorization`] is the header.
//!
//! Nothing here performs I/O or reads a clock: running credential helpers, reading files
//! and sending requests are host jobs, and time is an argument.

mod challenge;
mod credentials;
mod cri;
mod docker_config;
mod error;
mod hub;
mod keyring;
mod locations;
mod realm;
mod secret;
mod token;

pub use challenge::{
    parse_challenges, preferred_challenge, Challenge, Scheme, MAX_CHALLENGE_BYTES,
};
pub use credentials::{basic_authorization, bearer_authorization, Credentials};
pub use cri::{decode_auth_config, AuthConfig};
pub use docker_config::{
    is_helper_not_found, parse_helper_output, DockerConfig, Lookup, DOCKER_HUB_LEGACY_KEY,
    MAX_DOCKER_CONFIG_SIZE, MAX_HELPER_OUTPUT_SIZE,
};
pub use error::{AuthError, Document};
pub use hub::{helper_server_url, is_docker_hub, same_registry};
pub use keyring::{is_default_registry_match, urls_match, Keyring};
pub use locations::{auth_file_for_write, auth_file_paths, AuthFileEnv, AuthFilePath};
pub use realm::{validate_realm, Realm};
pub use secret::Secret;
pub use token::{
    fallback_to_get, parse_token_response, preferred_flow, pull_scope, repository_scope,
    token_request, HeaderValue, Method, Token, TokenCache, TokenFlow, TokenKey, TokenParams,
    TokenRequest, CLIENT_ID, EXPIRY_LEEWAY_MS, MAX_TOKEN_RESPONSE_SIZE, MIN_TOKEN_LIFETIME_SECS,
};

use serde_json::Value;

/// Size check, strict JSON check ([`crate::json::check`]), then the value.
fn parse_json(bytes: &[u8], what: Document, limit: usize) -> Result<Value, AuthError> {
    if bytes.len() > limit {
        return Err(AuthError::TooLarge {
            what,
            size: bytes.len(),
            limit,
        });
    }
    crate::json::check(bytes).map_err(|e| AuthError::InvalidJson {
        what,
        detail: e.to_string(),
    })?;
    serde_json::from_slice(bytes).map_err(|e| AuthError::InvalidJson {
        what,
        detail: format!("invalid json at line {} column {}", e.line(), e.column()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type that holds a secret prints without it, in `{:?}`, `{:#?}` and, where
    /// implemented, `{}`.
    #[test]
    fn no_secret_in_debug() {
        const S: &str = "S3CR3T-MARKER";
        let b64 = credentials::encode_auth("user", &Secret::new(S));
        let b64 = b64.expose();
        let mut texts: Vec<String> = Vec::new();
        let mut add = |t: String| texts.push(t);

        let secret = Secret::new(S);
        add(format!("{secret:?} {secret:#?} {secret}"));
        let all = [
            Credentials::Basic {
                username: "user".into(),
                password: Secret::new(S),
            },
            Credentials::IdentityToken {
                username: "<token>".into(),
                token: Secret::new(S),
            },
            Credentials::RegistryToken(Secret::new(S)),
        ];
        for c in &all {
            add(format!("{c:?} {c:#?}"));
            add(format!("{:?}", c.authorization_for_registry()));
            add(format!("{:?}", Lookup::Credentials(c.clone())));
        }
        add(format!("{:?}", basic_authorization("user", &secret)));
        add(format!("{:?}", bearer_authorization(&secret)));

        let cri = AuthConfig {
            username: "user".into(),
            password: Secret::new(S),
            auth: Secret::new(b64),
            server_address: "r.example.com".into(),
            identity_token: Secret::new(S),
            registry_token: Secret::new(S),
        };
        add(format!("{cri:?} {cri:#?}"));
        add(format!("{:?}", decode_auth_config(&cri, "r.example.com")));

        let file = format!(
            r#"{{"auths":{{"a.io":{{"auth":"{b64}"}},"b.io":{{"username":"u","password":"{S}"}},"c.io":{{"identitytoken":"{S}"}},"d.io":{{"registrytoken":"{S}"}},"e.io":{{"auth":"{S}"}}}}}}"#
        );
        let config = DockerConfig::parse(file.as_bytes()).expect("valid");
        add(format!("{config:?} {config:#?}"));
        for key in ["a.io", "b.io", "c.io", "d.io", "e.io"] {
            add(format!("{:?}", config.lookup(key)));
        }
        let login = config.with_login("f.io", "u", &secret).expect("login");
        add(format!("{login:?} {login}"));
        let mut ring = Keyring::new();
        ring.add(
            &DockerConfig::parse(
                br#"{"auths":{"a.io":{"username":"u","password":"S3CR3T-MARKER"}}}"#,
            )
            .expect("valid"),
        )
        .expect("valid");
        add(format!("{ring:?} {:?}", ring.lookup("a.io/x")));
        add(format!(
            "{:?}",
            parse_helper_output(format!(r#"{{"Username":"u","Secret":"{S}"}}"#).as_bytes())
        ));

        let challenges =
            parse_challenges(&[r#"Bearer realm="https://auth.example.com/t",service="s""#])
                .expect("valid");
        let mut params = TokenParams::from_challenge(&challenges[0], false, &[]).expect("valid");
        params.offline = true;
        for c in &all[..2] {
            for flow in [TokenFlow::Get, TokenFlow::OAuthPost] {
                let request = token_request(&params, c, flow).expect("request");
                add(format!("{request:?} {request:#?}"));
            }
        }
        let token =
            parse_token_response(format!(r#"{{"token":"{S}","refresh_token":"{S}"}}"#).as_bytes())
                .expect("valid");
        add(format!("{token:?} {:?}", token.authorization()));
        let mut cache = TokenCache::default();
        cache.insert(TokenKey::for_params(&params), &token, 0);
        add(format!("{cache:?}"));
        add(format!(
            "{:?}",
            cache.get(&TokenKey::for_params(&params), 0)
        ));
        add(format!("{:?}", HeaderValue::Secret(Secret::new(S))));
        let realm_error = validate_realm(&format!("https://u:{S}@a.io/t"), false);
        add(format!(
            "{realm_error:?} {}",
            realm_error
                .clone()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        ));

        for text in &texts {
            assert!(!text.contains(S), "secret in {text}");
            assert!(!text.contains(b64), "encoded secret in {text}");
        }
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// No parser panics on arbitrary input, and a parser's errors carry codes.
        #[test]
        fn parsers_never_panic(s in ".{0,200}", t in "[ -~]{0,80}") {
            let _ = parse_challenges(&[s.as_str(), t.as_str()]);
            let _ = validate_realm(&s, false);
            let _ = validate_realm(&t, true);
            let _ = parse_token_response(s.as_bytes());
            let _ = parse_helper_output(s.as_bytes());
            if let Ok(c) = DockerConfig::parse(s.as_bytes()) {
                let _ = c.lookup(&t);
                let _ = c.with_login(&t, "u", &Secret::new("p"));
                let _ = c.without(&t);
            }
            let _ = urls_match(&s, &t);
            let _ = urls_match(&t, &s);
            let config = AuthConfig {
                auth: Secret::new(t.clone()),
                server_address: s.clone(),
                ..AuthConfig::default()
            };
            let _ = decode_auth_config(&config, &t);
        }

        /// Challenge-shaped input: tokens, quotes, escapes, commas and spaces.
        #[test]
        fn challenge_grammar_never_panics(s in r#"[A-Za-z=", \\\t]{0,120}"#) {
            let _ = parse_challenges(&[s.as_str()]);
        }

        /// Glob-shaped keys against host-shaped names.
        #[test]
        fn globs_never_panic(g in r"[a-c*?\[\]\\^.:/-]{0,40}", n in r"[a-c.:/]{0,40}") {
            let _ = urls_match(&g, &n);
        }
    }
}
