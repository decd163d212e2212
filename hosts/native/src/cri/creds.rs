//! Credentials of a `PullImage` call: the request's `AuthConfig`, decoded by the core for
//! each registry host the pull asks about (`hoist_core::auth::cri::decode_auth_config`), so
//! credentials whose `server_address` names another host are never sent.

use hoist_core::auth::{decode_auth_config, AuthConfig};
use hoist_core::auth::{Credentials, Secret};
use hoist_core::digest::Digest;
use hoist_core::ErrorCode;

use super::proto;
use crate::drive::{BoxFuture, CredentialLookup, DriveError};

/// The core's `AuthConfig` of a request's (secrets wrapped in [`Secret`] at once).
pub fn auth_config(auth: Option<&proto::AuthConfig>) -> AuthConfig {
    let Some(a) = auth else {
        return AuthConfig::default();
    };
    AuthConfig {
        username: a.username.clone(),
        password: Secret::new(&a.password),
        auth: Secret::new(&a.auth),
        server_address: a.server_address.clone(),
        identity_token: Secret::new(&a.identity_token),
        registry_token: Secret::new(&a.registry_token),
    }
}

/// A fingerprint of the credentials, for the in-process dedupe key: pulls with different
/// credentials must not share a result. In memory only; never logged.
pub fn fingerprint(config: &AuthConfig) -> String {
    let mut bytes = Vec::new();
    for part in [
        config.username.as_str(),
        config.password.expose(),
        config.auth.expose(),
        config.server_address.as_str(),
        config.identity_token.expose(),
        config.registry_token.expose(),
    ] {
        bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
        bytes.extend_from_slice(part.as_bytes());
    }
    Digest::sha256_of(&bytes)
        .encoded()
        .chars()
        .take(16)
        .collect()
}

/// [`CredentialLookup`] over one request's `AuthConfig`.
pub struct CriCredentials(pub AuthConfig);

impl CredentialLookup for CriCredentials {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        _repository: &'a str,
    ) -> BoxFuture<'a, Result<Credentials, DriveError>> {
        Box::pin(async move {
            decode_auth_config(&self.0, host).map_err(|e| DriveError::Credentials {
                code: e.code(),
                message: e.to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoping_and_debug() {
        let req = proto::AuthConfig {
            username: "u".into(),
            password: "s3cr3t".into(),
            server_address: "127.0.0.1:5000".into(),
            ..Default::default()
        };
        assert!(!format!("{req:?}").contains("s3cr3t"));
        let config = auth_config(Some(&req));
        assert!(!format!("{config:?}").contains("s3cr3t"));
        let creds = CriCredentials(config.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("rt");
        let other = rt
            .block_on(creds.lookup("127.0.0.1:5001", "x"))
            .expect("ok");
        assert_eq!(other, Credentials::Anonymous);
        let same = rt
            .block_on(creds.lookup("127.0.0.1:5000", "x"))
            .expect("ok");
        assert!(matches!(same, Credentials::Basic { .. }));
        assert_ne!(fingerprint(&config), fingerprint(&AuthConfig::default()));
    }
}
