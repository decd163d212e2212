//! A fault-injecting fake registry, for the hostile behaviour a real registry cannot
//! produce: wrong digests, lying headers, truncated, endless and stalled bodies, redirects
//! across origins, token realms that misbehave, 429 and 5xx storms.
//!
//! It speaks just enough of the distribution API (`/v2/`, manifests by tag and digest,
//! blobs with `Range`, a token endpoint, `/cdn/<digest>` on any origin as a redirect
//! target) over HTTP/1.1, one request per connection, on `127.0.0.1` and a free port —
//! plus extra listeners ([`FakeRegistry::add_origin`]) on other ports and on `127.0.0.2` /
//! `127.0.0.3` standing in for other origins (CDNs, token servers). Any listener may be
//! TLS, with a certificate from a CA the test generates ([`FakeRegistry::ca_pem_path`]).
//!
//! Faults are **rules**: closures tried in order on every request, the first to return a
//! [`Reply`] wins; otherwise the request is answered from [`Content`] (after the
//! configured [`Auth`]). Every request is logged ([`Seen`]: origin, TLS or not, method,
//! target, headers, whether `Authorization` was present) for the test to assert on.
//! Every thread stops when the registry is dropped.
//!
//! ```no_run
//! use hoist_testkit::fake::{FakeRegistry, ImageParts, Reply};
//! let fake = FakeRegistry::start("test/app").unwrap();
//! let parts = ImageParts::new(1, &[1000]);
//! fake.content(|c| { c.add_parts(&parts, "v1"); });
//! // The first blob request gets a 503, later ones the blob.
//! fake.times(1, |seen, _| seen.path().contains("/blobs/").then(|| Reply::status(503)));
//! ```

mod content;
mod reply;
mod server;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;

pub use content::{
    host_arch, index_over, seeded_bytes, truncated, Content, ImageParts, OCI_CONFIG, OCI_INDEX,
    OCI_LAYER, OCI_MANIFEST,
};
pub use reply::{Body, Reply, MAX_ENDLESS_BYTES, MAX_FAULT_TIME};

use crate::Result;

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The listener's `ip:port`.
    pub origin: String,
    /// Whether it came over TLS.
    pub tls: bool,
    /// The method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Header fields in arrival order.
    pub headers: Vec<(String, String)>,
    /// Whether an `Authorization` header was present.
    pub authorization: bool,
    /// The request body (token POSTs).
    pub body: Vec<u8>,
}

impl Seen {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is a request for a blob (`/blobs/` or `/cdn/`).
    pub fn is_blob(&self) -> bool {
        self.path().contains("/blobs/") || self.path().starts_with("/cdn/")
    }

    /// Whether this is a request for a manifest.
    pub fn is_manifest(&self) -> bool {
        self.path().contains("/manifests/")
    }
}

/// How the fake's `/v2/` paths want to be authenticated.
#[derive(Clone, Debug, Default)]
pub enum Auth {
    /// Anonymous access.
    #[default]
    None,
    /// HTTP Basic with this user and password.
    Basic {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// Bearer tokens from `realm` (a `/token` URL on any of the fake's origins), which
    /// issues `token` to requests carrying Basic `user:password`.
    Bearer {
        /// The realm URL put in the challenge.
        realm: String,
        /// The user.
        user: String,
        /// The password.
        password: String,
        /// The token issued and then required.
        token: String,
    },
}

type Rule = Box<dyn FnMut(&Seen, &Content) -> Option<Reply> + Send>;

struct State {
    repo: String,
    content: Content,
    rules: Vec<Rule>,
    log: Vec<Seen>,
    auth: Auth,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) stop: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Logs `seen` and decides the reply: rules, then the token endpoint, auth, content.
    pub(crate) fn answer(&self, seen: &Seen) -> Reply {
        let mut st = self.lock();
        st.log.push(seen.clone());
        let State {
            rules,
            content,
            auth,
            repo,
            ..
        } = &mut *st;
        for rule in rules.iter_mut() {
            if let Some(r) = rule(seen, content) {
                return r;
            }
        }
        let path = seen.path();
        if path == "/token" {
            return token(auth, seen);
        }
        if let Some(digest) = path.strip_prefix("/cdn/") {
            return content.blob(digest, seen.header("range"));
        }
        if !path.starts_with("/v2/") {
            return Reply::status(404);
        }
        if let Some(r) = check_auth(auth, seen) {
            return r;
        }
        if path == "/v2/" {
            return Reply::new(200, "{}").header("Content-Type", "application/json");
        }
        let prefix = format!("/v2/{repo}/");
        let Some(rest) = path.strip_prefix(&prefix) else {
            return Reply::error(404, "NAME_UNKNOWN");
        };
        if let Some(r) = rest.strip_prefix("manifests/") {
            return content.manifest(r);
        }
        if let Some(d) = rest.strip_prefix("blobs/") {
            return content.blob(d, seen.header("range"));
        }
        Reply::status(404)
    }
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

fn check_auth(auth: &Auth, seen: &Seen) -> Option<Reply> {
    let got = seen.header("authorization");
    match auth {
        Auth::None => None,
        Auth::Basic { user, password } => {
            (got != Some(basic(user, password).as_str())).then(|| {
                Reply::error(401, "UNAUTHORIZED").header("WWW-Authenticate", "Basic realm=\"fake\"")
            })
        }
        Auth::Bearer { realm, token, .. } => (got != Some(format!("Bearer {token}").as_str()))
            .then(|| {
                Reply::error(401, "UNAUTHORIZED").header(
                    "WWW-Authenticate",
                    format!("Bearer realm=\"{realm}\",service=\"fake\""),
                )
            }),
    }
}

fn token(auth: &Auth, seen: &Seen) -> Reply {
    match auth {
        Auth::Bearer {
            user,
            password,
            token,
            ..
        } if seen.header("authorization") == Some(basic(user, password).as_str()) => Reply::new(
            200,
            serde_json::json!({"token": token, "expires_in": 300}).to_string(),
        )
        .header("Content-Type", "application/json"),
        _ => Reply::error(401, "UNAUTHORIZED"),
    }
}

/// The fake registry. See the module docs.
pub struct FakeRegistry {
    shared: Arc<Shared>,
    listeners: Vec<server::Listener>,
    ca: crate::pki::TestCa,
    ca_dir: tempfile::TempDir,
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl FakeRegistry {
    /// A plain-http fake for repository `repo` on `127.0.0.1`.
    pub fn start(repo: &str) -> Result<FakeRegistry> {
        Self::start_on(repo, false)
    }

    /// A TLS fake for repository `repo` on `127.0.0.1` (trust [`FakeRegistry::ca_pem_path`]).
    pub fn start_tls(repo: &str) -> Result<FakeRegistry> {
        Self::start_on(repo, true)
    }

    fn start_on(repo: &str, tls: bool) -> Result<FakeRegistry> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                repo: repo.to_owned(),
                content: Content::default(),
                rules: Vec::new(),
                log: Vec::new(),
                auth: Auth::None,
            }),
            stop: AtomicBool::new(false),
        });
        let ca = crate::pki::TestCa::generate("hoist fake registry CA")?;
        let ca_dir = tempfile::tempdir()?;
        std::fs::write(ca_dir.path().join("ca.pem"), ca.cert_pem())?;
        let mut fake = FakeRegistry {
            shared,
            listeners: Vec::new(),
            ca,
            ca_dir,
            tls: None,
        };
        fake.add_origin("127.0.0.1", tls)?;
        Ok(fake)
    }

    /// Opens another listener on `ip` (a loopback address: `127.0.0.1` for another port,
    /// `127.0.0.2` / `127.0.0.3` for another host), sharing content, rules and log.
    /// Returns its base URL (`http://127.0.0.2:PORT`). TLS listeners are only possible on
    /// `127.0.0.1` (the certificate names that address).
    pub fn add_origin(&mut self, ip: &str, tls: bool) -> Result<String> {
        assert!(
            ip.starts_with("127."),
            "the fake listens on loopback only, not {ip}"
        );
        let config = if tls {
            if self.tls.is_none() {
                self.tls = Some(server::tls_config(&self.ca)?);
            }
            self.tls.clone()
        } else {
            None
        };
        let l = server::listen(&self.shared, ip, config)?;
        let url = format!("{}://{}", if l.tls { "https" } else { "http" }, l.addr);
        self.listeners.push(l);
        Ok(url)
    }

    /// The primary origin's `ip:port` (what goes in a reference).
    pub fn host(&self) -> String {
        self.listeners[0].addr.to_string()
    }

    /// The primary origin's base URL.
    pub fn url(&self) -> String {
        let scheme = if self.listeners[0].tls {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.host())
    }

    /// The CA certificate (PEM file) TLS listeners are signed by.
    pub fn ca_pem_path(&self) -> PathBuf {
        self.ca_dir.path().join("ca.pem")
    }

    /// Changes the served content.
    pub fn content<T>(&self, f: impl FnOnce(&mut Content) -> T) -> T {
        f(&mut self.shared.lock().content)
    }

    /// Sets how `/v2/` paths authenticate.
    pub fn set_auth(&self, auth: Auth) {
        self.shared.lock().auth = auth;
    }

    /// Adds a rule, tried on every request after the rules added before it.
    pub fn rule(&self, f: impl FnMut(&Seen, &Content) -> Option<Reply> + Send + 'static) {
        self.shared.lock().rules.push(Box::new(f));
    }

    /// Adds a rule that answers at most `n` times.
    pub fn times(
        &self,
        n: usize,
        mut f: impl FnMut(&Seen, &Content) -> Option<Reply> + Send + 'static,
    ) {
        let mut left = n;
        self.rule(move |seen, content| {
            if left == 0 {
                return None;
            }
            let r = f(seen, content)?;
            left -= 1;
            Some(r)
        });
    }

    /// At most `times` times, answers requests for blob `digest` (its registry path or a
    /// `/cdn/` path, `Range` honoured) as usual but with the body replaced by `f(bytes)`:
    /// truncate it, stall it, trickle it.
    pub fn mangle_blob(
        &self,
        digest: &str,
        times: usize,
        f: impl Fn(&[u8]) -> Body + Send + 'static,
    ) {
        let digest = digest.to_owned();
        self.times(times, move |seen, content| {
            if !(seen.is_blob() && seen.path().ends_with(&digest)) {
                return None;
            }
            let r = content.blob(&digest, seen.header("range"));
            let body = f(r.bytes()?);
            Some(r.body(body))
        });
    }

    /// Like [`FakeRegistry::mangle_blob`] for `GET` of the manifest tagged `tag`.
    pub fn mangle_manifest(
        &self,
        tag: &str,
        times: usize,
        f: impl Fn(&[u8]) -> Body + Send + 'static,
    ) {
        let tag = tag.to_owned();
        self.times(times, move |seen, content| {
            if !(seen.is_manifest() && seen.method == "GET") {
                return None;
            }
            let r = content.manifest(&tag);
            let body = f(r.bytes()?);
            Some(r.body(body))
        });
    }

    /// Removes every rule.
    pub fn clear_rules(&self) {
        self.shared.lock().rules.clear();
    }

    /// Every request so far, in arrival order.
    pub fn log(&self) -> Vec<Seen> {
        self.shared.lock().log.clone()
    }

    /// Empties the log.
    pub fn clear_log(&self) {
        self.shared.lock().log.clear();
    }

    /// The CA's directory (for tools that want a cert dir).
    pub fn ca_dir(&self) -> &Path {
        self.ca_dir.path()
    }
}

impl Drop for FakeRegistry {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for l in &mut self.listeners {
            if let Some(t) = l.thread.take() {
                let _ = t.join();
            }
        }
    }
}

impl std::fmt::Debug for FakeRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeRegistry")
            .field(
                "origins",
                &self.listeners.iter().map(|l| l.addr).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}
