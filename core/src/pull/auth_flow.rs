//! The pull machine's side of registry auth: which challenge an origin answered with,
//! which credentials belong to which registry, and which bearer tokens are cached until
//! when (distribution `docs/spec/auth/token.md`).
//!
//! Credentials are asked for lazily, once per registry name, only after a `401`: an
//! anonymous pull never runs a credential helper. Tokens are keyed by realm, service and
//! scope and expire at `issued + expires_in` of host-monotonic time; an expired or
//! `insufficient_scope` token is replaced by a new token request, never retried as is.

use std::collections::HashMap;

use super::io::{CredentialId, HeaderValue, Method};
use super::PullError;
use crate::auth::{self, Credentials, Secret};
use crate::url::{Scheme, Url};

/// What a fetch that met a challenge must do next.
#[derive(Debug)]
pub(super) enum AuthNext {
    /// Resend now: the auth flow can produce an `Authorization` value.
    Ready,
    /// Ask the host for credentials for `host`, then come back.
    NeedCredentials { id: CredentialId, host: String },
    /// Fetch token `key` (a new token request).
    FetchToken { key: u64 },
    /// Another fetch already waits for the same credentials or token.
    Waiting,
    /// Nothing can satisfy the challenge (no credentials, unsupported scheme).
    Refused,
}

/// A token request, ready to send.
#[derive(Clone, Debug)]
pub(super) struct TokenHttp {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, HeaderValue)>,
    pub body: Option<Secret>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Scheme_ {
    Basic,
    Bearer { realm: String, service: Option<String>, extra_scope: Option<String> },
}

#[derive(Clone, Debug)]
struct OriginAuth {
    scheme: Scheme_,
    cred_host: String,
    registry_scheme: Scheme,
}

#[derive(Debug)]
enum CredState {
    Pending(CredentialId),
    Known(Credentials),
}

type TokenKey = (String, Option<String>, Vec<String>);

#[derive(Debug)]
struct PendingToken {
    key: TokenKey,
    request: TokenHttp,
    waiters: Vec<u64>,
}

#[derive(Debug, Default)]
pub(super) struct AuthFlow {
    next_id: u64,
    origins: HashMap<String, OriginAuth>,
    creds: HashMap<String, CredState>,
    cred_ids: HashMap<CredentialId, String>,
    cred_waiters: HashMap<String, Vec<u64>>,
    tokens: HashMap<TokenKey, (Secret, u64)>,
    pending: HashMap<u64, PendingToken>,
}

fn origin_key(origin: &Url) -> String {
    format!("{}://{}:{}", origin.scheme().as_str(), origin.host(), origin.port())
}

impl AuthFlow {
    /// Records the challenge(s) a registry origin answered `401` with.
    pub fn on_challenge(
        &mut self,
        origin: &Url,
        headers: &[&str],
        scope: &str,
        cred_host: &str,
    ) -> Result<(), PullError> {
        let mut chosen: Option<Scheme_> = None;
        for h in headers {
            for c in auth::parse_challenges(h)? {
                match c.scheme() {
                    auth::ChallengeScheme::Bearer => {
                        let realm = c.realm().ok_or(PullError::Unauthorized { host: origin.authority() })?.to_owned();
                        let extra_scope = c.scope().filter(|s| *s != scope).map(str::to_owned);
                        chosen = Some(Scheme_::Bearer {
                            realm,
                            service: c.service().map(str::to_owned),
                            extra_scope,
                        });
                    }
                    auth::ChallengeScheme::Basic if chosen.is_none() => chosen = Some(Scheme_::Basic),
                    _ => {}
                }
            }
        }
        let scheme = chosen.ok_or(PullError::Unauthorized { host: origin.authority() })?;
        self.origins.insert(
            origin_key(origin),
            OriginAuth { scheme, cred_host: cred_host.to_owned(), registry_scheme: origin.scheme() },
        );
        Ok(())
    }

    fn scopes(scope: &str, extra: &Option<String>) -> Vec<String> {
        let mut v = vec![scope.to_owned()];
        if let Some(e) = extra {
            for s in e.split(' ').filter(|s| !s.is_empty()) {
                if !v.iter().any(|x| x == s) {
                    v.push(s.to_owned());
                }
            }
        }
        v.sort();
        v
    }

    /// Decides how fetch `fetch` gets past the challenge of `origin`.
    pub fn next(&mut self, origin: &Url, scope: &str, fetch: u64, now: u64, _registry_scheme: Scheme) -> Result<AuthNext, PullError> {
        let Some(o) = self.origins.get(&origin_key(origin)).cloned() else {
            return Ok(AuthNext::Refused);
        };
        let creds = match self.creds.get(&o.cred_host) {
            None => {
                self.next_id += 1;
                let id = CredentialId(self.next_id);
                self.creds.insert(o.cred_host.clone(), CredState::Pending(id));
                self.cred_ids.insert(id, o.cred_host.clone());
                self.cred_waiters.entry(o.cred_host.clone()).or_default().push(fetch);
                return Ok(AuthNext::NeedCredentials { id, host: o.cred_host });
            }
            Some(CredState::Pending(_)) => {
                self.cred_waiters.entry(o.cred_host.clone()).or_default().push(fetch);
                return Ok(AuthNext::Waiting);
            }
            Some(CredState::Known(c)) => c.clone(),
        };
        match (&o.scheme, &creds) {
            (_, Credentials::RegistryToken(_)) => Ok(AuthNext::Ready),
            (Scheme_::Basic, Credentials::Basic { .. }) => Ok(AuthNext::Ready),
            (Scheme_::Basic, _) => Ok(AuthNext::Refused),
            (Scheme_::Bearer { realm, service, extra_scope }, _) => {
                let key: TokenKey = (realm.clone(), service.clone(), Self::scopes(scope, extra_scope));
                if self.tokens.get(&key).is_some_and(|(_, exp)| *exp > now) {
                    return Ok(AuthNext::Ready);
                }
                if let Some((k, p)) = self.pending.iter_mut().find(|(_, p)| p.key == key) {
                    let _ = k;
                    p.waiters.push(fetch);
                    return Ok(AuthNext::Waiting);
                }
                let request = build_token_request(realm, service.as_deref(), &key.2, &creds, o.registry_scheme)?;
                self.next_id += 1;
                let k = self.next_id;
                self.pending.insert(k, PendingToken { key, request, waiters: vec![fetch] });
                Ok(AuthNext::FetchToken { key: k })
            }
        }
    }

    /// The `Authorization` value for a request to `origin` needing `scope`, if the flow
    /// has one that is still valid at `now`.
    pub fn authorization(&self, origin: &Url, scope: &str, now: u64) -> Option<Secret> {
        let o = self.origins.get(&origin_key(origin))?;
        let creds = match self.creds.get(&o.cred_host)? {
            CredState::Known(c) => c,
            CredState::Pending(_) => return None,
        };
        match (&o.scheme, creds) {
            (_, Credentials::RegistryToken(t)) => Some(auth::bearer_authorization(t)),
            (Scheme_::Basic, c) => c.authorization_for_registry(),
            (Scheme_::Bearer { realm, service, extra_scope }, _) => {
                let key: TokenKey = (realm.clone(), service.clone(), Self::scopes(scope, extra_scope));
                let (token, exp) = self.tokens.get(&key)?;
                (*exp > now).then(|| auth::bearer_authorization(token))
            }
        }
    }

    /// Stores credentials from the host; returns the fetches waiting for them.
    pub fn credentials_arrived(&mut self, id: CredentialId, creds: Credentials) -> Result<Vec<u64>, PullError> {
        let Some(host) = self.cred_ids.remove(&id) else {
            return Err(PullError::HostContract { what: "credentials for a lookup that was never asked" });
        };
        self.creds.insert(host.clone(), CredState::Known(creds));
        Ok(self.cred_waiters.remove(&host).unwrap_or_default())
    }

    /// The request for pending token `key`.
    pub fn token_request(&self, key: u64) -> Result<TokenHttp, PullError> {
        self.pending
            .get(&key)
            .map(|p| p.request.clone())
            .ok_or(PullError::HostContract { what: "unknown token request" })
    }

    /// Parses a token response; caches it; returns the fetches waiting for it.
    pub fn token_arrived(&mut self, key: u64, body: &[u8], now: u64) -> Result<Vec<u64>, PullError> {
        let Some(p) = self.pending.remove(&key) else {
            return Ok(Vec::new());
        };
        let token = auth::TokenResponse::parse(body)?;
        let expires_at = now.saturating_add(token.expires_in_secs().saturating_mul(1000));
        self.tokens.insert(p.key, (token.token().clone(), expires_at));
        Ok(p.waiters)
    }
}

fn build_token_request(
    realm: &str,
    service: Option<&str>,
    scopes: &[String],
    creds: &Credentials,
    registry_scheme: Scheme,
) -> Result<TokenHttp, PullError> {
    let realm = auth::validate_realm(realm, registry_scheme == Scheme::Http)?;
    let req = auth::TokenRequest::new(&realm, service, scopes, creds)?;
    let url = Url::parse(req.url())?;
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), HeaderValue::Secret(v.clone())))
        .collect();
    Ok(TokenHttp {
        method: if req.is_post() { Method::Post } else { Method::Get },
        url,
        headers,
        body: req.body().cloned(),
    })
}
