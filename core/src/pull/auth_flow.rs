//! The pull machine's side of registry auth: which challenge an origin answered with,
//! which credentials belong to which registry, and which bearer tokens are cached until
//! when (distribution `docs/spec/auth/token.md`, `oauth.md`).
//!
//! Credentials are asked for lazily, once per registry name, only after a `401`: an
//! anonymous pull never runs a credential helper. Tokens live in [`TokenCache`], keyed by
//! realm, service and scopes, and expire against the host-monotonic time the machine is
//! given. A `401` that carries `error="insufficient_scope"` replaces the origin's token
//! parameters with the new challenge's scopes, so the next attempt asks for a new token.

use std::collections::HashMap;

use super::io::{CredentialId, Method};
use super::PullError;
use crate::auth::{
    self, Credentials, HeaderValue, Secret, TokenCache, TokenFlow, TokenKey, TokenParams,
};
use crate::url::{Scheme, Url};

/// What a fetch that met a challenge must do next.
#[derive(Debug)]
pub(super) enum AuthNext {
    /// Resend now: the flow can produce an `Authorization` value.
    Ready,
    /// Ask the host for credentials for `host`, then come back.
    NeedCredentials { id: CredentialId, host: String },
    /// Send token request `key`.
    FetchToken { key: u64 },
    /// Another fetch already waits for the same credentials or token.
    Waiting,
    /// Nothing can satisfy the challenge (no usable credentials, unsupported scheme).
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

#[derive(Clone, Debug)]
enum OriginAuth {
    Basic {
        cred_host: String,
    },
    Bearer {
        cred_host: String,
        params: TokenParams,
    },
}

impl OriginAuth {
    fn cred_host(&self) -> &str {
        match self {
            OriginAuth::Basic { cred_host } | OriginAuth::Bearer { cred_host, .. } => cred_host,
        }
    }
}

#[derive(Debug)]
enum CredState {
    Pending,
    Known(Credentials),
}

#[derive(Debug)]
struct PendingToken {
    key: TokenKey,
    params: TokenParams,
    flow: TokenFlow,
    cred_host: String,
    waiters: Vec<u64>,
}

#[derive(Debug)]
pub(super) struct AuthFlow {
    next_id: u64,
    origins: HashMap<String, OriginAuth>,
    creds: HashMap<String, CredState>,
    cred_ids: HashMap<CredentialId, String>,
    cred_waiters: HashMap<String, Vec<u64>>,
    tokens: TokenCache,
    pending: HashMap<u64, PendingToken>,
}

impl Default for AuthFlow {
    fn default() -> Self {
        AuthFlow {
            next_id: 0,
            origins: HashMap::new(),
            creds: HashMap::new(),
            cred_ids: HashMap::new(),
            cred_waiters: HashMap::new(),
            tokens: TokenCache::new(64),
            pending: HashMap::new(),
        }
    }
}

fn origin_key(origin: &Url) -> String {
    format!(
        "{}://{}:{}",
        origin.scheme().as_str(),
        origin.host(),
        origin.port()
    )
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
        let challenges = auth::parse_challenges(headers)?;
        let refused = || PullError::Unauthorized {
            host: origin.authority(),
        };
        let chosen = auth::preferred_challenge(&challenges).ok_or_else(refused)?;
        let state = match chosen.scheme() {
            auth::Scheme::Bearer => OriginAuth::Bearer {
                cred_host: cred_host.to_owned(),
                params: TokenParams::from_challenge(
                    chosen,
                    origin.scheme() == Scheme::Http,
                    &[scope.to_owned()],
                )?,
            },
            auth::Scheme::Basic => OriginAuth::Basic {
                cred_host: cred_host.to_owned(),
            },
            auth::Scheme::Other(_) => return Err(refused()),
        };
        self.origins.insert(origin_key(origin), state);
        Ok(())
    }

    fn known_credentials(&self, host: &str) -> Option<&Credentials> {
        match self.creds.get(host)? {
            CredState::Known(c) => Some(c),
            CredState::Pending => None,
        }
    }

    /// Decides how fetch `fetch` gets past the challenge of `origin`.
    pub fn next(&mut self, origin: &Url, fetch: u64, now: u64) -> Result<AuthNext, PullError> {
        let Some(o) = self.origins.get(&origin_key(origin)).cloned() else {
            return Ok(AuthNext::Refused);
        };
        let host = o.cred_host().to_owned();
        let creds = match self.creds.get(&host) {
            None => {
                self.next_id += 1;
                let id = CredentialId(self.next_id);
                self.creds.insert(host.clone(), CredState::Pending);
                self.cred_ids.insert(id, host.clone());
                self.cred_waiters
                    .entry(host.clone())
                    .or_default()
                    .push(fetch);
                return Ok(AuthNext::NeedCredentials { id, host });
            }
            Some(CredState::Pending) => {
                self.cred_waiters.entry(host).or_default().push(fetch);
                return Ok(AuthNext::Waiting);
            }
            Some(CredState::Known(c)) => c.clone(),
        };
        let params = match (&o, &creds) {
            (_, Credentials::RegistryToken(_)) => return Ok(AuthNext::Ready),
            (OriginAuth::Basic { .. }, Credentials::Basic { .. }) => return Ok(AuthNext::Ready),
            (OriginAuth::Basic { .. }, _) => return Ok(AuthNext::Refused),
            (OriginAuth::Bearer { params, .. }, _) => params.clone(),
        };
        let key = TokenKey::for_params(&params);
        if self.tokens.get(&key, now).is_some() {
            return Ok(AuthNext::Ready);
        }
        if let Some(p) = self.pending.values_mut().find(|p| p.key == key) {
            p.waiters.push(fetch);
            return Ok(AuthNext::Waiting);
        }
        let Some(flow) = auth::preferred_flow(&creds) else {
            return Ok(AuthNext::Ready);
        };
        self.next_id += 1;
        let k = self.next_id;
        self.pending.insert(
            k,
            PendingToken {
                key,
                params,
                flow,
                cred_host: host,
                waiters: vec![fetch],
            },
        );
        Ok(AuthNext::FetchToken { key: k })
    }

    /// The `Authorization` value for a request to `origin`, if the flow has one that is
    /// still valid at `now`.
    pub fn authorization(&self, origin: &Url, now: u64) -> Option<Secret> {
        let o = self.origins.get(&origin_key(origin))?;
        let creds = self.known_credentials(o.cred_host())?;
        match (o, creds) {
            (_, Credentials::RegistryToken(t)) => Some(auth::bearer_authorization(t)),
            (OriginAuth::Basic { .. }, c) => c.authorization_for_registry(),
            (OriginAuth::Bearer { params, .. }, _) => self
                .tokens
                .get(&TokenKey::for_params(params), now)
                .map(auth::bearer_authorization),
        }
    }

    /// Stores credentials from the host; returns the fetches waiting for them.
    pub fn credentials_arrived(
        &mut self,
        id: CredentialId,
        creds: Credentials,
    ) -> Result<Vec<u64>, PullError> {
        let Some(host) = self.cred_ids.remove(&id) else {
            return Err(PullError::HostContract {
                what: "credentials for a lookup that was never asked",
            });
        };
        self.creds.insert(host.clone(), CredState::Known(creds));
        Ok(self.cred_waiters.remove(&host).unwrap_or_default())
    }

    /// The HTTP request for pending token `key`.
    pub fn token_request(&self, key: u64) -> Result<TokenHttp, PullError> {
        let p = self.pending.get(&key).ok_or(PullError::HostContract {
            what: "unknown token request",
        })?;
        let creds = self.credentials_for_pending(p).unwrap_or_default();
        let req = auth::token_request(&p.params, &creds, p.flow)?;
        Ok(TokenHttp {
            method: match req.method {
                auth::Method::Get => Method::Get,
                auth::Method::Post => Method::Post,
            },
            url: Url::parse(&req.url)?,
            headers: req
                .headers
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            body: req.body,
        })
    }

    fn credentials_for_pending(&self, p: &PendingToken) -> Option<Credentials> {
        self.known_credentials(&p.cred_host).cloned()
    }

    /// A token request failed with `status`: switch an OAuth2 POST to GET where containerd
    /// would (`true`: resend the token fetch), or give up (`false`).
    pub fn token_failed(&mut self, key: u64, status: u16) -> bool {
        let creds = self
            .pending
            .get(&key)
            .and_then(|p| self.credentials_for_pending(p))
            .unwrap_or_default();
        match self.pending.get_mut(&key) {
            Some(p) if p.flow == TokenFlow::OAuthPost && auth::fallback_to_get(status, &creds) => {
                p.flow = TokenFlow::Get;
                true
            }
            _ => false,
        }
    }

    /// Parses a token response; caches it; returns the fetches waiting for it.
    pub fn token_arrived(
        &mut self,
        key: u64,
        body: &[u8],
        now: u64,
    ) -> Result<Vec<u64>, PullError> {
        let Some(p) = self.pending.remove(&key) else {
            return Ok(Vec::new());
        };
        let token = auth::parse_token_response(body)?;
        self.tokens.insert(p.key, &token, now);
        Ok(p.waiters)
    }
}
