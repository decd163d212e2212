//! An in-process token server implementing distribution's token authentication
//! (`docs/spec/auth/token.md`: `GET realm?service=..&scope=..&account=..`, and `oauth.md`:
//! `POST realm` with `grant_type=password|refresh_token`), signing ES256 JWTs that
//! distribution 2.8 accepts (`kid` = libtrust key ID of the signing key, whose self-signed
//! certificate is the registry's `rootcertbundle`).

use std::collections::HashMap;
use std::io::BufReader;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::json;

use crate::http::{self, Request};
use crate::pki::TokenSigningKey;
use crate::Result;

/// What the token server grants to a request without (valid) credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnonymousAccess {
    /// Anonymous requests get a token granting `pull` (and only `pull`) of what they asked for:
    /// public repositories.
    Pull,
    /// Anonymous requests get a token, but with an empty `access` list (Docker Hub's answer for a
    /// private repository); the registry then answers `401 insufficient_scope`.
    EmptyToken,
    /// Anonymous requests are refused by the token server itself with `401`.
    Unauthorized,
}

/// Configuration of a [`TokenServer`].
#[derive(Debug, Clone)]
pub struct TokenConfig {
    /// The one user that may authenticate (Basic on `GET`, `grant_type=password` on `POST`).
    pub user: String,
    /// That user's password.
    pub password: String,
    /// The policy for anonymous requests.
    pub anonymous: AnonymousAccess,
    /// The `service` (JWT `aud`) the registry is configured with.
    pub service: String,
    /// The JWT `iss` the registry is configured to trust.
    pub issuer: String,
    /// Token lifetime in seconds (`exp - iat`, and `expires_in` in the response).
    pub expires_in: u64,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            user: "hoist".to_string(),
            password: "hoist-token-password".to_string(),
            anonymous: AnonymousAccess::Pull,
            service: "hoist-test-registry".to_string(),
            issuer: "hoist-testkit-token-issuer".to_string(),
            expires_in: 300,
        }
    }
}

/// One granted (or requested) resource access, as in the JWT `access` claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// Resource type, e.g. `repository`.
    pub kind: String,
    /// Resource name, e.g. `library/busybox`.
    pub name: String,
    /// Actions, e.g. `["pull", "push"]`.
    pub actions: Vec<String>,
}

impl Access {
    /// Parses one scope `type[(class)]:name:action,action`.
    pub fn parse_scope(scope: &str) -> Option<Access> {
        let (kind, rest) = scope.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        let kind = kind.split('(').next().unwrap_or(kind);
        if kind.is_empty() || name.is_empty() {
            return None;
        }
        Some(Access {
            kind: kind.to_string(),
            name: name.to_string(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

/// One request the token server received, as recorded in its log.
#[derive(Debug, Clone)]
pub struct TokenRequestLog {
    /// `GET` or `POST` (or whatever was sent).
    pub method: String,
    /// Path and query as sent.
    pub path_and_query: String,
    /// Whether an `Authorization` header was present.
    pub authorization: bool,
    /// The decoded form fields of a `POST` (values of `password` and `refresh_token` replaced
    /// by `<redacted>`).
    pub form: Vec<(String, String)>,
    /// The authenticated user, if any.
    pub user: Option<String>,
    /// The status the server answered with.
    pub status: u16,
    /// What the issued token granted (empty when none was issued).
    pub granted: Vec<Access>,
}

struct State {
    config: TokenConfig,
    key: TokenSigningKey,
    log: Mutex<Vec<TokenRequestLog>>,
    refresh_tokens: Mutex<HashMap<String, String>>,
    counter: AtomicU64,
}

/// A token server on `127.0.0.1`, running on its own thread until dropped.
pub struct TokenServer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TokenServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenServer")
            .field("addr", &self.addr)
            .field("config", &self.state.config)
            .finish_non_exhaustive()
    }
}

impl TokenServer {
    /// Generates a signing key and starts serving on a free port of `127.0.0.1`.
    pub fn start(config: TokenConfig) -> Result<TokenServer> {
        let key = TokenSigningKey::generate("hoist-testkit token signer")?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            config,
            key,
            log: Mutex::new(Vec::new()),
            refresh_tokens: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("hoist-token-server".to_string())
                .spawn(move || accept_loop(&listener, &state, &stop))?
        };
        Ok(TokenServer {
            addr,
            state,
            stop,
            thread: Some(thread),
        })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The realm URL (`http://127.0.0.1:PORT/token`).
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// The configuration.
    pub fn config(&self) -> &TokenConfig {
        &self.state.config
    }

    /// The libtrust key ID (`kid`) of the signing key.
    pub fn key_id(&self) -> &str {
        self.state.key.key_id()
    }

    /// The signing key's self-signed certificate (PEM): the registry's `rootcertbundle`.
    pub fn signing_cert_pem(&self) -> &str {
        self.state.key.cert_pem()
    }

    /// A copy of the request log, oldest first.
    pub fn log(&self) -> Vec<TokenRequestLog> {
        self.state
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        self.state
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Mints a token directly (no request, not logged) for `subject` with `access`.
    pub fn issue(&self, subject: &str, access: &[Access]) -> Result<String> {
        self.state.mint(subject, access)
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, state: &Arc<State>, stop: &AtomicBool) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else { continue };
        let state = Arc::clone(state);
        let _ = std::thread::Builder::new()
            .name("hoist-token-conn".to_string())
            .spawn(move || {
                let _ = handle_connection(&stream, &state);
            });
    }
}

fn handle_connection(stream: &TcpStream, state: &State) -> Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let request = match http::read_request(BufReader::new(stream)) {
        Ok(r) => r,
        Err(e) => {
            let _ = http::write_response(stream, 400, &[], e.to_string().as_bytes());
            return Err(e);
        }
    };
    let (status, headers, body, mut entry) = state.respond(&request);
    entry.status = status;
    state
        .log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(entry);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    http::write_response(stream, status, &headers, body.as_bytes())?;
    Ok(())
}

type Reply = (u16, Vec<(&'static str, String)>, String, TokenRequestLog);

enum Identity {
    Anonymous,
    User(String),
    Rejected,
}

impl State {
    fn respond(&self, request: &Request) -> Reply {
        let form = if request.method == "POST" {
            http::form_decode(&String::from_utf8_lossy(&request.body))
        } else {
            Vec::new()
        };
        let mut entry = TokenRequestLog {
            method: request.method.clone(),
            path_and_query: request.target.clone(),
            authorization: request.header("authorization").is_some(),
            form: form
                .iter()
                .map(|(k, v)| {
                    let v = if k == "password" || k == "refresh_token" {
                        "<redacted>".to_string()
                    } else {
                        v.clone()
                    };
                    (k.clone(), v)
                })
                .collect(),
            user: None,
            status: 0,
            granted: Vec::new(),
        };
        if request.path() != "/token" {
            return (404, Vec::new(), "not found\n".to_string(), entry);
        }
        let result = match request.method.as_str() {
            "GET" => self.get_flow(request, &mut entry),
            "POST" => self.post_flow(request, &form, &mut entry),
            _ => Err((405, "method not allowed".to_string())),
        };
        match result {
            Ok(body) => (
                200,
                vec![("Content-Type", "application/json".to_string())],
                body,
                entry,
            ),
            Err((status, message)) => {
                let mut headers = vec![("Content-Type", "application/json".to_string())];
                if status == 401 {
                    headers.push((
                        "WWW-Authenticate",
                        "Basic realm=\"hoist-testkit token server\"".to_string(),
                    ));
                }
                let body = json!({ "errors": [{ "code": "UNAUTHORIZED", "message": message }] })
                    .to_string();
                (status, headers, body, entry)
            }
        }
    }

    fn basic_identity(&self, request: &Request) -> Identity {
        let Some(value) = request.header("authorization") else {
            return Identity::Anonymous;
        };
        let Some(encoded) = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))
        else {
            return Identity::Rejected;
        };
        let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
            return Identity::Rejected;
        };
        let decoded = String::from_utf8_lossy(&decoded).into_owned();
        match decoded.split_once(':') {
            Some((user, password)) => self.check_password(user, password),
            None => Identity::Rejected,
        }
    }

    fn check_password(&self, user: &str, password: &str) -> Identity {
        if user == self.config.user && password == self.config.password {
            Identity::User(user.to_string())
        } else {
            Identity::Rejected
        }
    }

    fn get_flow(
        &self,
        request: &Request,
        entry: &mut TokenRequestLog,
    ) -> std::result::Result<String, (u16, String)> {
        let query = request.query();
        let service = first(&query, "service");
        self.check_service(service)?;
        let scopes: Vec<&str> = query
            .iter()
            .filter(|(k, _)| k == "scope")
            .flat_map(|(_, v)| v.split(' '))
            .collect();
        let identity = self.basic_identity(request);
        let user = self.authorize(identity)?;
        entry.user.clone_from(&user);
        let granted = self.grant(user.as_deref(), &scopes);
        entry.granted.clone_from(&granted);
        let token = self
            .mint(user.as_deref().unwrap_or(""), &granted)
            .map_err(|e| (500, e.to_string()))?;
        let mut body = json!({
            "token": token,
            "access_token": token,
            "expires_in": self.config.expires_in,
            "issued_at": rfc3339(unix_now()),
        });
        if first(&query, "offline_token") == Some("true") {
            if let Some(user) = &user {
                body["refresh_token"] = json!(self.new_refresh_token(user));
            }
        }
        Ok(body.to_string())
    }

    fn post_flow(
        &self,
        request: &Request,
        form: &[(String, String)],
        entry: &mut TokenRequestLog,
    ) -> std::result::Result<String, (u16, String)> {
        let service = first(form, "service");
        self.check_service(service)?;
        if first(form, "client_id").is_none() {
            return Err((400, "client_id is required".to_string()));
        }
        let identity = match first(form, "grant_type") {
            Some("password") => {
                let user = first(form, "username").unwrap_or("");
                let password = first(form, "password").unwrap_or("");
                self.check_password(user, password)
            }
            Some("refresh_token") => {
                let token = first(form, "refresh_token").unwrap_or("");
                let known = self
                    .refresh_tokens
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(token)
                    .cloned();
                match known {
                    Some(user) => Identity::User(user),
                    None => Identity::Rejected,
                }
            }
            Some(other) => return Err((400, format!("unsupported grant_type {other:?}"))),
            None => return Err((400, "grant_type is required".to_string())),
        };
        // A POST may also carry Basic credentials; they do not override the grant.
        let _ = request;
        let user = self.authorize(identity)?;
        entry.user.clone_from(&user);
        let scopes: Vec<&str> = form
            .iter()
            .filter(|(k, _)| k == "scope")
            .flat_map(|(_, v)| v.split(' '))
            .collect();
        let granted = self.grant(user.as_deref(), &scopes);
        entry.granted.clone_from(&granted);
        let token = self
            .mint(user.as_deref().unwrap_or(""), &granted)
            .map_err(|e| (500, e.to_string()))?;
        let scope_text = granted
            .iter()
            .map(|a| format!("{}:{}:{}", a.kind, a.name, a.actions.join(",")))
            .collect::<Vec<_>>()
            .join(" ");
        let mut body = json!({
            "access_token": token,
            "scope": scope_text,
            "expires_in": self.config.expires_in,
            "issued_at": rfc3339(unix_now()),
        });
        if let Some(user) = &user {
            if first(form, "grant_type") == Some("refresh_token") {
                // Hand the same refresh token back, as distribution's docs allow.
                body["refresh_token"] = json!(first(form, "refresh_token").unwrap_or(""));
            } else if first(form, "access_type") == Some("offline") {
                body["refresh_token"] = json!(self.new_refresh_token(user));
            }
        }
        Ok(body.to_string())
    }

    fn check_service(&self, service: Option<&str>) -> std::result::Result<(), (u16, String)> {
        match service {
            Some(s) if s == self.config.service => Ok(()),
            Some(s) => Err((400, format!("unknown service {s:?}"))),
            None => Err((400, "service is required".to_string())),
        }
    }

    fn authorize(&self, identity: Identity) -> std::result::Result<Option<String>, (u16, String)> {
        match identity {
            Identity::User(user) => Ok(Some(user)),
            Identity::Rejected => Err((401, "invalid credentials".to_string())),
            Identity::Anonymous => match self.config.anonymous {
                AnonymousAccess::Unauthorized => Err((401, "authentication required".to_string())),
                AnonymousAccess::Pull | AnonymousAccess::EmptyToken => Ok(None),
            },
        }
    }

    fn grant(&self, user: Option<&str>, scopes: &[&str]) -> Vec<Access> {
        let mut granted = Vec::new();
        for scope in scopes {
            let Some(mut access) = Access::parse_scope(scope) else {
                continue;
            };
            match user {
                Some(_) => {}
                None => match self.config.anonymous {
                    AnonymousAccess::Pull => access.actions.retain(|a| a == "pull"),
                    AnonymousAccess::EmptyToken | AnonymousAccess::Unauthorized => {
                        access.actions.clear();
                    }
                },
            }
            if !access.actions.is_empty() {
                granted.push(access);
            }
        }
        granted
    }

    fn new_refresh_token(&self, user: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let token = format!("hoist-refresh-{n}-{}", random_hex());
        self.refresh_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), user.to_string());
        token
    }

    fn mint(&self, subject: &str, access: &[Access]) -> Result<String> {
        let now = unix_now();
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let header = json!({ "typ": "JWT", "alg": "ES256", "kid": self.key.key_id() });
        let access: Vec<serde_json::Value> = access
            .iter()
            .map(|a| json!({ "type": a.kind, "name": a.name, "actions": a.actions }))
            .collect();
        let claims = json!({
            "iss": self.config.issuer,
            "sub": subject,
            "aud": self.config.service,
            "exp": now + self.config.expires_in,
            "nbf": now.saturating_sub(1),
            "iat": now,
            "jti": format!("hoist-{n}-{}", random_hex()),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.key.sign(signing_input.as_bytes())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn random_hex() -> String {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 12];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // Uniqueness within one process is all that matters here.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        return format!("{nanos:x}");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC (`2006-01-02T15:04:05Z`).
pub fn rfc3339(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let secs = unix_seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_values() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_577_836_800), "2020-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn scope_parsing() {
        assert_eq!(
            Access::parse_scope("repository:a/b:pull,push"),
            Some(Access {
                kind: "repository".into(),
                name: "a/b".into(),
                actions: vec!["pull".into(), "push".into()],
            })
        );
        assert_eq!(
            Access::parse_scope("repository(plugin):x:pull").map(|a| a.kind),
            Some("repository".into())
        );
        assert_eq!(
            Access::parse_scope("registry:catalog:*").map(|a| a.name),
            Some("catalog".into())
        );
        assert_eq!(Access::parse_scope("nonsense"), None);
    }
}
