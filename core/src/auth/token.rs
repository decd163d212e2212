//! Registry token auth: build the token request, parse the response, cache tokens.
//!
//! Specs: distribution `docs/spec/auth/token.md` (GET with Basic auth) and
//! `docs/spec/auth/oauth.md` (POST `application/x-www-form-urlencoded` with
//! `grant_type=refresh_token` or `password`). The request is a plain value
//! ([`TokenRequest`]); the pull machine turns it into its own HTTP output.
//!
//! Which flow: docker (distribution's client) uses GET unless it holds a refresh token;
//! containerd POSTs whenever it has a secret and falls back to GET when the server answers
//! 400, 401, 404, or 405 with a user name ([`fallback_to_get`]). [`preferred_flow`] picks
//! docker's default; the pull machine may try [`TokenFlow::OAuthPost`] first instead.
//!
//! Query and form values are percent-encoded like Go's `url.QueryEscape` (letters,
//! digits and `-_.~` kept, space as `+`, all else `%XX`), which is what docker and
//! containerd send. Form fields come in Go's `url.Values.Encode` order (sorted by name).

use std::collections::BTreeMap;

use serde_json::Value;

use super::challenge::Challenge;
use super::credentials::basic_authorization;
use super::error::Document;
use super::realm::{validate_realm, Realm};
use super::{parse_json, AuthError, Credentials, Secret};

/// The OAuth2 `client_id` hoist sends (distribution `oauth.md`: "should be set to a
/// meaningful value in order to allow auditing").
pub const CLIENT_ID: &str = "hoist";

/// Largest token response accepted (1 MiB). Tokens are a few KiB.
pub const MAX_TOKEN_RESPONSE_SIZE: usize = 1 << 20;

/// Lifetime of a token whose response omits `expires_in`, and the minimum for any token
/// (`token.md`: "defaults to 60 seconds"; distribution's client raises shorter values to
/// 60 for compatibility with old clients).
pub const MIN_TOKEN_LIFETIME_SECS: u64 = 60;

/// A cached token is not handed out during its last 5 seconds, so a request built from
/// it does not arrive after it expired.
pub const EXPIRY_LEEWAY_MS: u64 = 5_000;

/// The scope for `actions` on a repository: `repository:NAME:pull,push`
/// (distribution `docs/spec/auth/scope.md`).
pub fn repository_scope(name: &str, actions: &[&str]) -> String {
    format!("repository:{name}:{}", actions.join(","))
}

/// The pull scope for a repository: `repository:NAME:pull`.
pub fn pull_scope(name: &str) -> String {
    repository_scope(name, &["pull"])
}

/// What a token request needs besides credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenParams {
    /// The validated token server URL.
    pub realm: Realm,
    /// The challenge's `service`, when it had one.
    pub service: Option<String>,
    /// Scopes to request, in order, without duplicates.
    pub scopes: Vec<String>,
    /// Ask for a refresh token too (`offline_token=true` / `access_type=offline`).
    pub offline: bool,
}

impl TokenParams {
    /// From a Bearer challenge: its realm (validated, see [`validate_realm`]), its
    /// service, and its scopes followed by `extra_scopes` (typically
    /// [`pull_scope`] of the repository), duplicates dropped.
    ///
    /// Errors: `realm-missing` and the realm errors.
    pub fn from_challenge(
        challenge: &Challenge,
        registry_is_http: bool,
        extra_scopes: &[String],
    ) -> Result<Self, AuthError> {
        let realm = challenge.realm().ok_or(AuthError::RealmMissing)?;
        let realm = validate_realm(realm, registry_is_http)?;
        let mut scopes: Vec<String> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for scope in challenge
            .scopes()
            .chain(extra_scopes.iter().map(String::as_str))
        {
            if !scope.is_empty() && seen.insert(scope) {
                scopes.push(scope.to_owned());
            }
        }
        Ok(TokenParams {
            realm,
            service: challenge.service().map(str::to_owned),
            scopes,
            offline: false,
        })
    }
}

/// How to ask the token server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenFlow {
    /// `GET realm?service=…&scope=…`, Basic auth when there are credentials
    /// (`token.md`, "Requesting a Token").
    Get,
    /// `POST realm` with an OAuth2 form (`oauth.md`, "Getting a token").
    OAuthPost,
}

/// The flow docker uses for `credentials`: OAuth2 POST for a refresh token, GET
/// otherwise; `None` for a registry token, which is used as is.
pub fn preferred_flow(credentials: &Credentials) -> Option<TokenFlow> {
    match credentials {
        Credentials::Anonymous | Credentials::Basic { .. } => Some(TokenFlow::Get),
        Credentials::IdentityToken { .. } => Some(TokenFlow::OAuthPost),
        Credentials::RegistryToken(_) => None,
    }
}

/// containerd's rule for retrying a failed OAuth2 POST as GET: 400 (ACR), 401
/// (Artifactory), 404 (GCR), or 405 when there is a user name.
pub fn fallback_to_get(status: u16, credentials: &Credentials) -> bool {
    let has_username = credentials.username().is_some_and(|u| !u.is_empty());
    matches!(status, 400 | 401 | 404) || (status == 405 && has_username)
}

/// An HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

impl Method {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request header value; `Authorization` values are secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderValue {
    /// A value that may be logged.
    Plain(String),
    /// A value that must not be logged.
    Secret(Secret),
}

impl HeaderValue {
    /// The header text, to put on the wire.
    pub fn expose(&self) -> &str {
        match self {
            HeaderValue::Plain(v) => v,
            HeaderValue::Secret(s) => s.expose(),
        }
    }

    /// True for a secret value.
    pub fn is_secret(&self) -> bool {
        matches!(self, HeaderValue::Secret(_))
    }
}

/// A token request for the host to send. The URL never holds a secret; headers and the
/// body may.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    /// GET or POST.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// Headers to add, in order.
    pub headers: Vec<(String, HeaderValue)>,
    /// The form body of a POST.
    pub body: Option<Secret>,
}

/// Builds the token request for `params` and `credentials` with `flow`.
///
/// GET: `realm` plus `service`, each `scope`, and with `offline` `offline_token=true` and
/// `client_id`; an `Authorization: Basic` header when there is a secret (for an identity
/// token, user name and token, containerd's fallback).
/// POST: a form with `client_id`, `grant_type`, the grant's fields, `scope` (space-joined,
/// when any), `service`, and `access_type=offline` with `offline`.
///
/// Errors: `oauth-needs-credentials` (POST without credentials),
/// `token-request-not-needed` (a registry token).
pub fn token_request(
    params: &TokenParams,
    credentials: &Credentials,
    flow: TokenFlow,
) -> Result<TokenRequest, AuthError> {
    if let Credentials::RegistryToken(_) = credentials {
        return Err(AuthError::TokenRequestNotNeeded);
    }
    match flow {
        TokenFlow::Get => Ok(get_request(params, credentials)),
        TokenFlow::OAuthPost => post_request(params, credentials),
    }
}

fn get_request(params: &TokenParams, credentials: &Credentials) -> TokenRequest {
    let mut url = params.realm.as_str().to_owned();
    let mut first = !params.realm.has_query();
    let mut add = |name: &str, value: &str| {
        if first {
            url.push('?');
            first = false;
        } else if !url.ends_with('?') && !url.ends_with('&') {
            url.push('&');
        }
        url.push_str(name);
        url.push('=');
        query_escape(&mut url, value);
    };
    if let Some(service) = params.service.as_deref().filter(|s| !s.is_empty()) {
        add("service", service);
    }
    for scope in &params.scopes {
        add("scope", scope);
    }
    if params.offline {
        add("offline_token", "true");
        add("client_id", CLIENT_ID);
    }
    let mut headers = Vec::new();
    let basic = match credentials {
        Credentials::Basic { username, password } if !password.is_empty() => {
            Some(basic_authorization(username, password))
        }
        Credentials::IdentityToken { username, token } if !token.is_empty() => {
            Some(basic_authorization(username, token))
        }
        _ => None,
    };
    if let Some(value) = basic {
        headers.push(("Authorization".to_owned(), HeaderValue::Secret(value)));
    }
    TokenRequest {
        method: Method::Get,
        url,
        headers,
        body: None,
    }
}

fn post_request(
    params: &TokenParams,
    credentials: &Credentials,
) -> Result<TokenRequest, AuthError> {
    let mut form: BTreeMap<&str, &str> = BTreeMap::new();
    match credentials {
        Credentials::IdentityToken { token, .. } => {
            form.insert("grant_type", "refresh_token");
            form.insert("refresh_token", token.expose());
        }
        Credentials::Basic { username, password } => {
            form.insert("grant_type", "password");
            form.insert("username", username);
            form.insert("password", password.expose());
        }
        Credentials::Anonymous => return Err(AuthError::OAuthNeedsCredentials),
        Credentials::RegistryToken(_) => return Err(AuthError::TokenRequestNotNeeded),
    }
    let joined = params.scopes.join(" ");
    if !joined.is_empty() {
        form.insert("scope", &joined);
    }
    form.insert("service", params.service.as_deref().unwrap_or(""));
    form.insert("client_id", CLIENT_ID);
    if params.offline {
        form.insert("access_type", "offline");
    }
    let mut body = String::new();
    for (name, value) in &form {
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(name);
        body.push('=');
        query_escape(&mut body, value);
    }
    Ok(TokenRequest {
        method: Method::Post,
        url: params.realm.as_str().to_owned(),
        headers: vec![(
            "Content-Type".to_owned(),
            HeaderValue::Plain("application/x-www-form-urlencoded; charset=utf-8".to_owned()),
        )],
        body: Some(Secret::new(body)),
    })
}

/// Go `url.QueryEscape`.
fn query_escape(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
}

/// A token server's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    token: Secret,
    expires_in: u64,
    issued_at: Option<String>,
    refresh_token: Option<Secret>,
}

impl Token {
    /// The bearer token.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// Lifetime in seconds, at least [`MIN_TOKEN_LIFETIME_SECS`].
    pub fn expires_in(&self) -> u64 {
        self.expires_in
    }

    /// `issued_at` as sent (RFC 3339), kept for information: hoist measures the lifetime
    /// from when the response arrived, on the host's monotonic clock.
    pub fn issued_at(&self) -> Option<&str> {
        self.issued_at.as_deref()
    }

    /// A refresh token, when the server sent one (only with `offline`).
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh_token.as_ref()
    }

    /// When the token expires, in host-monotonic milliseconds, given when its response
    /// arrived. Saturates instead of overflowing.
    pub fn expires_at(&self, received_at_ms: u64) -> u64 {
        received_at_ms.saturating_add(self.expires_in.saturating_mul(1000))
    }

    /// `Bearer <token>`, for the registry request.
    pub fn authorization(&self) -> Secret {
        super::bearer_authorization(&self.token)
    }
}

/// Parses a token response body (`token.md` "Token Response Fields", `oauth.md`).
///
/// `token` and `access_token` are synonyms; when both are non-empty `access_token` wins,
/// as in distribution's and containerd's clients (the spec leaves the choice undefined).
/// `expires_in` below [`MIN_TOKEN_LIFETIME_SECS`], absent or null becomes that minimum.
/// Unknown fields (`scope`, …) are ignored.
///
/// Errors: `token-too-large` (over [`MAX_TOKEN_RESPONSE_SIZE`]), `token-invalid-json`,
/// `token-invalid` (a field of the wrong type, a fractional `expires_in`, an `issued_at`
/// that is not RFC 3339), `token-missing`.
pub fn parse_token_response(body: &[u8]) -> Result<Token, AuthError> {
    let Value::Object(root) = parse_json(body, Document::Token, MAX_TOKEN_RESPONSE_SIZE)? else {
        return Err(AuthError::InvalidTokenField { field: "(root)" });
    };
    let string = |field: &'static str| match root.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(AuthError::InvalidTokenField { field }),
    };
    let token = string("token")?;
    let access_token = string("access_token")?;
    let refresh_token = string("refresh_token")?.map(Secret::new);
    let issued_at = match string("issued_at")? {
        Some(t) if is_rfc3339(t) => Some(t.to_owned()),
        Some(_) => return Err(AuthError::InvalidTokenField { field: "issued_at" }),
        None => None,
    };
    let expires_in = match root.get("expires_in") {
        None | Some(Value::Null) => MIN_TOKEN_LIFETIME_SECS,
        Some(Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                u.max(MIN_TOKEN_LIFETIME_SECS)
            } else if n.as_i64().is_some() {
                MIN_TOKEN_LIFETIME_SECS
            } else {
                return Err(AuthError::InvalidTokenField {
                    field: "expires_in",
                });
            }
        }
        Some(_) => {
            return Err(AuthError::InvalidTokenField {
                field: "expires_in",
            })
        }
    };
    let Some(token) = access_token.or(token) else {
        return Err(AuthError::TokenMissing);
    };
    Ok(Token {
        token: Secret::new(token),
        expires_in,
        issued_at,
        refresh_token,
    })
}

/// RFC 3339 §5.6 `date-time`: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `T` and `Z` in
/// either case.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>, max: u32| -> bool {
        b.get(range.clone()).is_some_and(|d| {
            d.iter().all(u8::is_ascii_digit)
                && d.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0')) <= max
        })
    };
    let at = |i: usize, set: &[u8]| b.get(i).is_some_and(|c| set.contains(c));
    let nonzero = |i: usize| b.get(i..i + 2) != Some(b"00".as_slice());
    let date_time = num(0..4, 9999)
        && at(4, b"-")
        && num(5..7, 12)
        && nonzero(5)
        && at(7, b"-")
        && num(8..10, 31)
        && nonzero(8)
        && at(10, b"Tt")
        && num(11..13, 23)
        && at(13, b":")
        && num(14..16, 59)
        && at(16, b":")
        && num(17..19, 60);
    if !date_time {
        return false;
    }
    let mut i = 19;
    if at(i, b".") {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            num(i + 1..i + 3, 23) && at(i + 3, b":") && num(i + 4..i + 6, 59) && i + 6 == b.len()
        }
        _ => false,
    }
}

/// What a token was issued for: realm, service and the scope set (order-free).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenKey {
    realm: String,
    service: String,
    scopes: Vec<String>,
}

impl TokenKey {
    /// A key; scopes are sorted and deduplicated, so the same set in another order is
    /// the same key.
    pub fn new(realm: &str, service: Option<&str>, scopes: &[String]) -> Self {
        let mut scopes = scopes.to_vec();
        scopes.sort_unstable();
        scopes.dedup();
        TokenKey {
            realm: realm.to_owned(),
            service: service.unwrap_or("").to_owned(),
            scopes,
        }
    }

    /// The key for a token requested with `params`.
    pub fn for_params(params: &TokenParams) -> Self {
        TokenKey::new(
            params.realm.as_str(),
            params.service.as_deref(),
            &params.scopes,
        )
    }
}

/// A bounded cache of bearer tokens, pure: time is passed in (host-monotonic ms).
///
/// The pull machine owns one; a token is handed out until [`EXPIRY_LEEWAY_MS`] before
/// it expires. When full, an insert first drops expired tokens, then the one that
/// expires soonest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenCache {
    entries: BTreeMap<TokenKey, (Secret, u64)>,
    capacity: usize,
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache::new(TokenCache::DEFAULT_CAPACITY)
    }
}

impl TokenCache {
    /// Default capacity: plenty for one pull (one scope set per repository and mirror).
    pub const DEFAULT_CAPACITY: usize = 64;

    /// An empty cache holding at most `capacity` tokens (at least one).
    pub fn new(capacity: usize) -> Self {
        TokenCache {
            entries: BTreeMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// The token for `key`, if it is still fresh at `now_ms`.
    pub fn get(&self, key: &TokenKey, now_ms: u64) -> Option<&Secret> {
        self.entries
            .get(key)
            .filter(|(_, expires_at)| now_ms.saturating_add(EXPIRY_LEEWAY_MS) < *expires_at)
            .map(|(token, _)| token)
    }

    /// Stores `token` for `key`; its response arrived at `received_at_ms`.
    pub fn insert(&mut self, key: TokenKey, token: &Token, received_at_ms: u64) {
        let expires_at = token.expires_at(received_at_ms);
        self.entries.insert(key, (token.token.clone(), expires_at));
        if self.entries.len() > self.capacity {
            self.entries
                .retain(|_, (_, at)| received_at_ms.saturating_add(EXPIRY_LEEWAY_MS) < *at);
        }
        while self.entries.len() > self.capacity {
            let soonest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone());
            match soonest {
                Some(k) => {
                    self.entries.remove(&k);
                }
                None => break,
            }
        }
    }

    /// Forgets the token for `key` (after the registry rejected it).
    pub fn remove(&mut self, key: &TokenKey) {
        self.entries.remove(key);
    }

    /// Number of tokens held, fresh or not.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no tokens are held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::parse_challenges;
    use crate::ErrorCode;

    fn params(header: &str, extra: &[&str]) -> TokenParams {
        let cs = parse_challenges(&[header]).expect("valid challenge");
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        TokenParams::from_challenge(&cs[0], false, &extra).expect("valid realm")
    }

    fn basic(u: &str, p: &str) -> Credentials {
        Credentials::Basic {
            username: u.into(),
            password: Secret::new(p),
        }
    }

    #[test]
    fn get_requests() {
        // token.md example challenge.
        let p = params(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
            &[
                "repository:samalba/my-app:pull,push",
                "repository:other:pull",
            ],
        );
        let r = token_request(&p, &Credentials::Anonymous, TokenFlow::Get).expect("get");
        assert_eq!(r.method, Method::Get);
        assert_eq!(
            r.url,
            "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Asamalba%2Fmy-app%3Apull%2Cpush&scope=repository%3Aother%3Apull"
        );
        assert!(r.headers.is_empty() && r.body.is_none());

        let r = token_request(&p, &basic("Aladdin", "open sesame"), TokenFlow::Get).expect("get");
        assert_eq!(r.headers.len(), 1);
        assert_eq!(r.headers[0].0, "Authorization");
        assert_eq!(
            r.headers[0].1.expose(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert!(r.headers[0].1.is_secret());
        assert!(!format!("{r:?}").contains("QWxhZGRpbj"));

        let mut p = params(r#"Bearer realm="https://a.io/t?x=1&""#, &[]);
        p.offline = true;
        let r = token_request(&p, &basic("u", ""), TokenFlow::Get).expect("get");
        assert_eq!(
            r.url,
            "https://a.io/t?x=1&offline_token=true&client_id=hoist"
        );
        assert!(r.headers.is_empty());
        let p = params(r#"Bearer realm="https://a.io/t?x=1""#, &["a b"]);
        let r = token_request(&p, &Credentials::Anonymous, TokenFlow::Get).expect("get");
        assert_eq!(r.url, "https://a.io/t?x=1&scope=a+b");
    }

    #[test]
    fn post_requests() {
        let mut p = params(
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com""#,
            &["repository:a/b:pull", "repository:c:pull"],
        );
        let r = token_request(
            &p,
            &Credentials::IdentityToken {
                username: String::new(),
                token: Secret::new("refresh/+="),
            },
            TokenFlow::OAuthPost,
        )
        .expect("post");
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.url, "https://auth.example.com/token");
        assert_eq!(
            r.body.as_ref().map(Secret::expose),
            Some("client_id=hoist&grant_type=refresh_token&refresh_token=refresh%2F%2B%3D&scope=repository%3Aa%2Fb%3Apull+repository%3Ac%3Apull&service=registry.example.com")
        );
        assert_eq!(
            r.headers[0].1.expose(),
            "application/x-www-form-urlencoded; charset=utf-8"
        );
        p.offline = true;
        p.scopes.clear();
        let r = token_request(&p, &basic("u", "p w"), TokenFlow::OAuthPost).expect("post");
        assert_eq!(
            r.body.as_ref().map(Secret::expose),
            Some("access_type=offline&client_id=hoist&grant_type=password&password=p+w&service=registry.example.com&username=u")
        );
        assert!(!format!("{r:?}").contains("p+w"));
        assert_eq!(
            token_request(&p, &Credentials::Anonymous, TokenFlow::OAuthPost).map_err(|e| e.code()),
            Err("oauth-needs-credentials")
        );
        assert_eq!(
            token_request(
                &p,
                &Credentials::RegistryToken(Secret::new("t")),
                TokenFlow::Get
            )
            .map_err(|e| e.code()),
            Err("token-request-not-needed")
        );
    }

    #[test]
    fn flows() {
        assert_eq!(
            preferred_flow(&Credentials::Anonymous),
            Some(TokenFlow::Get)
        );
        assert_eq!(preferred_flow(&basic("u", "p")), Some(TokenFlow::Get));
        assert_eq!(
            preferred_flow(&Credentials::IdentityToken {
                username: String::new(),
                token: Secret::new("t")
            }),
            Some(TokenFlow::OAuthPost)
        );
        assert_eq!(
            preferred_flow(&Credentials::RegistryToken(Secret::new("t"))),
            None
        );
        assert!(fallback_to_get(404, &basic("u", "p")));
        assert!(fallback_to_get(405, &basic("u", "p")));
        assert!(!fallback_to_get(405, &Credentials::Anonymous));
        assert!(!fallback_to_get(500, &basic("u", "p")));
        assert_eq!(
            pull_scope("library/busybox"),
            "repository:library/busybox:pull"
        );
    }

    #[test]
    fn challenge_errors() {
        let cs = parse_challenges(&[r#"Bearer service="x""#, r#"Bearer realm="http://a.io/t""#])
            .expect("valid");
        assert_eq!(
            TokenParams::from_challenge(&cs[0], false, &[]).map_err(|e| e.code()),
            Err("realm-missing")
        );
        assert_eq!(
            TokenParams::from_challenge(&cs[1], false, &[]).map_err(|e| e.code()),
            Err("realm-insecure-scheme")
        );
        assert!(TokenParams::from_challenge(&cs[1], true, &[]).is_ok());
    }

    #[test]
    fn responses() {
        type Want = Result<
            (
                &'static str,
                u64,
                Option<&'static str>,
                Option<&'static str>,
            ),
            &'static str,
        >;
        let cases: &[(&str, Want)] = &[
            (
                r#"{"token":"t1","expires_in":3600,"issued_at":"2009-11-10T23:00:00Z"}"#,
                Ok(("t1", 3600, Some("2009-11-10T23:00:00Z"), None)),
            ),
            (r#"{"access_token":"a1"}"#, Ok(("a1", 60, None, None))),
            (
                r#"{"token":"t1","access_token":"a1"}"#,
                Ok(("a1", 60, None, None)),
            ),
            (
                r#"{"token":"t1","access_token":""}"#,
                Ok(("t1", 60, None, None)),
            ),
            (
                r#"{"token":"t1","expires_in":10}"#,
                Ok(("t1", 60, None, None)),
            ),
            (
                r#"{"token":"t1","expires_in":-5}"#,
                Ok(("t1", 60, None, None)),
            ),
            (
                r#"{"token":"t1","expires_in":null,"issued_at":null,"refresh_token":null}"#,
                Ok(("t1", 60, None, None)),
            ),
            (
                r#"{"access_token":"a1","refresh_token":"r1","scope":"x","expires_in":900,"issued_at":"2024-02-29T12:30:45.123456+05:30"}"#,
                Ok((
                    "a1",
                    900,
                    Some("2024-02-29T12:30:45.123456+05:30"),
                    Some("r1"),
                )),
            ),
            (
                r#"{"token":"t1","expires_in":18446744073709551615}"#,
                Ok(("t1", u64::MAX, None, None)),
            ),
            (r#"{}"#, Err("token-missing")),
            (r#"{"token":"","access_token":""}"#, Err("token-missing")),
            (r#"{"token":5}"#, Err("token-invalid")),
            (r#"{"token":"t","expires_in":"60"}"#, Err("token-invalid")),
            (r#"{"token":"t","expires_in":60.5}"#, Err("token-invalid")),
            (
                r#"{"token":"t","issued_at":"yesterday"}"#,
                Err("token-invalid"),
            ),
            (
                r#"{"token":"t","issued_at":"2009-13-10T23:00:00Z"}"#,
                Err("token-invalid"),
            ),
            (
                r#"{"token":"t","issued_at":"2009-11-10T23:00:00"}"#,
                Err("token-invalid"),
            ),
            (r#"{"token":"t","issued_at":""}"#, Ok(("t", 60, None, None))),
            (r#"[]"#, Err("token-invalid")),
            (r#"{"token":"a","token":"b"}"#, Err("token-invalid-json")),
            ("", Err("token-invalid-json")),
        ];
        for (body, want) in cases {
            let got = parse_token_response(body.as_bytes()).map(|t| {
                (
                    t.token().expose().to_owned(),
                    t.expires_in(),
                    t.issued_at().map(str::to_owned),
                    t.refresh_token().map(|s| s.expose().to_owned()),
                )
            });
            let want = want
                .map(|(a, b, c, d)| (a.to_owned(), b, c.map(str::to_owned), d.map(str::to_owned)));
            assert_eq!(got.map_err(|e| e.code()), want, "{body}");
        }
        let mut big = br#"{"token":""#.to_vec();
        big.resize(MAX_TOKEN_RESPONSE_SIZE + 1, b'a');
        assert_eq!(
            parse_token_response(&big).map_err(|e| e.code()),
            Err("token-too-large")
        );
        let t =
            parse_token_response(br#"{"token":"s3cr3t","refresh_token":"s3cr3t"}"#).expect("ok");
        assert!(!format!("{t:?}").contains("s3cr3t"));
        assert_eq!(t.authorization().expose(), "Bearer s3cr3t");
        assert_eq!(t.expires_at(1_000), 61_000);
    }

    #[test]
    fn rfc3339() {
        for ok in [
            "2009-11-10T23:00:00Z",
            "1985-04-12t23:20:50.52z",
            "1996-12-19T16:39:57-08:00",
            "1990-12-31T23:59:60Z",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2009-11-10 23:00:00Z",
            "2009-00-10T23:00:00Z",
            "2009-11-00T23:00:00Z",
            "2009-11-10T24:00:00Z",
            "2009-11-10T23:00:00.Z",
            "2009-11-10T23:00:00+0800",
            "2009-11-10T23:00:00Zx",
            "٢٠٠٩-11-10T23:00:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn cache() {
        let token = |s: &str, secs: u64| {
            parse_token_response(format!(r#"{{"token":"{s}","expires_in":{secs}}}"#).as_bytes())
                .expect("ok")
        };
        let k1 = TokenKey::new("https://a/t", Some("s"), &["b".into(), "a".into()]);
        let k1_again = TokenKey::new(
            "https://a/t",
            Some("s"),
            &["a".into(), "b".into(), "a".into()],
        );
        assert_eq!(k1, k1_again);
        let mut cache = TokenCache::new(2);
        cache.insert(k1.clone(), &token("one", 60), 1_000);
        assert_eq!(cache.get(&k1_again, 1_000).map(Secret::expose), Some("one"));
        assert_eq!(cache.get(&k1, 55_999).map(Secret::expose), Some("one"));
        assert_eq!(cache.get(&k1, 56_000), None);
        let k2 = TokenKey::new("https://a/t", Some("s"), &["c".into()]);
        let k3 = TokenKey::new("https://b/t", None, &[]);
        cache.insert(k2.clone(), &token("two", 600), 1_000);
        cache.insert(k3.clone(), &token("three", 300), 2_000);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&k1, 2_000), None);
        assert_eq!(cache.get(&k2, 2_000).map(Secret::expose), Some("two"));
        cache.remove(&k2);
        assert_eq!(cache.get(&k2, 2_000), None);
        assert!(!format!("{cache:?}").contains("three"));
    }
}
