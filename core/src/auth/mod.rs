//! Registry authentication, sans IO: credentials from CRI and auth files, the kubelet
//! keyring, `WWW-Authenticate` challenges, token requests and responses, realm checks.
//!
//! The pieces, in the order a pull uses them:
//!
//! 1. **Credentials** ([`Credentials`]) come from a CRI `AuthConfig`
//!    ([`decode_auth_config`]), an auth file ([`DockerConfig::lookup`], possibly naming a
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
mod keyring;
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
pub use keyring::{is_default_registry_match, urls_match, Keyring};
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
