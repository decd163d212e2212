//! Starting and stopping Debian's `docker-registry` (distribution 2.8) on `127.0.0.1`.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::pki::TestCa;
use crate::token::{TokenConfig, TokenRequestLog, TokenServer};
use crate::{Error, Result};

/// The registry binary; override with `HOIST_TEST_REGISTRY_BIN`.
pub const DEFAULT_REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// How long [`Registry::start`] waits for `/v2/` to answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How many fresh ports [`Registry::start`] tries when the chosen port was taken meanwhile.
const PORT_ATTEMPTS: usize = 5;

/// Which kind of registry to start.
#[derive(Debug, Clone)]
pub enum Setup {
    /// Plain HTTP, no authentication.
    NoAuth,
    /// Plain HTTP with htpasswd (bcrypt) Basic authentication for every request.
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// Plain HTTP with token authentication against an in-process [`TokenServer`].
    Token(TokenConfig),
    /// HTTPS with a server certificate for `127.0.0.1` from a generated CA; no authentication.
    Tls,
}

impl Setup {
    /// [`Setup::Basic`] with the default test credentials (`hoist` / `hoist-basic-password`).
    pub fn basic() -> Setup {
        Setup::Basic {
            user: "hoist".to_string(),
            password: "hoist-basic-password".to_string(),
        }
    }

    /// [`Setup::Token`] with [`TokenConfig::default`].
    pub fn token() -> Setup {
        Setup::Token(TokenConfig::default())
    }

    /// A short name for messages: `no-auth`, `basic`, `token`, `tls`.
    pub fn name(&self) -> &'static str {
        match self {
            Setup::NoAuth => "no-auth",
            Setup::Basic { .. } => "basic",
            Setup::Token(_) => "token",
            Setup::Tls => "tls",
        }
    }
}

/// A user name and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

/// A running `docker-registry`, killed (and waited for) on drop.
pub struct Registry {
    // Field order is drop order: the process goes first, the scratch directory last.
    process: Process,
    port: u16,
    setup: Setup,
    credentials: Option<Credentials>,
    ca_pem_path: Option<PathBuf>,
    token_server: Option<TokenServer>,
    dir: TempDir,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("setup", &self.setup.name())
            .field("port", &self.port)
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// Starts a registry for `setup`, panicking with the registry's log if it does not come up.
    ///
    /// # Panics
    /// When [`Registry::try_start`] fails.
    pub fn start(setup: Setup) -> Registry {
        match Registry::try_start(setup) {
            Ok(r) => r,
            Err(e) => panic!("starting test registry: {e}"),
        }
    }

    /// Starts a registry for `setup` and waits (at most [`START_TIMEOUT`]) until `/v2/`
    /// answers.
    pub fn try_start(setup: Setup) -> Result<Registry> {
        let dir = tempfile::Builder::new()
            .prefix("hoist-registry-")
            .tempdir()?;
        let root = dir.path();
        fs::create_dir_all(root.join("storage"))?;
        // A trust policy of our own, so skopeo never depends on /etc/containers.
        fs::write(
            root.join("policy.json"),
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )?;

        let mut auth_yaml = String::new();
        let mut tls_yaml = String::new();
        let mut credentials = None;
        let mut ca_pem_path = None;
        let mut token_server = None;
        match &setup {
            Setup::NoAuth => {}
            Setup::Basic { user, password } => {
                let hash =
                    bcrypt::hash(password, 4).map_err(|e| Error::msg(format!("bcrypt: {e}")))?;
                let htpasswd = root.join("htpasswd");
                fs::write(&htpasswd, format!("{user}:{hash}\n"))?;
                write!(
                    auth_yaml,
                    "auth:\n  htpasswd:\n    realm: hoist-testkit\n    path: {}\n",
                    yaml_str(&htpasswd)
                )?;
                credentials = Some(Credentials {
                    user: user.clone(),
                    password: password.clone(),
                });
            }
            Setup::Token(config) => {
                let server = TokenServer::start(config.clone())?;
                let bundle = root.join("token-signer.crt");
                fs::write(&bundle, server.signing_cert_pem())?;
                write!(
                    auth_yaml,
                    "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                    yaml_quote(&server.realm()),
                    yaml_quote(&config.service),
                    yaml_quote(&config.issuer),
                    yaml_str(&bundle)
                )?;
                credentials = Some(Credentials {
                    user: config.user.clone(),
                    password: config.password.clone(),
                });
                token_server = Some(server);
            }
            Setup::Tls => {
                let ca = TestCa::generate("hoist-testkit test CA")?;
                let server = ca.issue_server_cert()?;
                let certs = root.join("certs");
                fs::create_dir_all(&certs)?;
                let ca_path = certs.join("ca.crt");
                fs::write(&ca_path, ca.cert_pem())?;
                let tls = root.join("tls");
                fs::create_dir_all(&tls)?;
                fs::write(tls.join("server.crt"), &server.cert_pem)?;
                fs::write(tls.join("server.key"), &server.key_pem)?;
                write!(
                    tls_yaml,
                    "  tls:\n    certificate: {}\n    key: {}\n",
                    yaml_str(&tls.join("server.crt")),
                    yaml_str(&tls.join("server.key"))
                )?;
                ca_pem_path = Some(ca_path);
            }
        }

        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let config = format!(
                "version: 0.1\n\
                 log:\n  level: info\n  formatter: text\n\
                 storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\n\
                 http:\n  addr: 127.0.0.1:{port}\n  secret: hoist-testkit-not-secret\n{tls_yaml}\
                 {auth_yaml}",
                storage = yaml_str(&root.join("storage")),
            );
            let config_path = root.join("config.yml");
            fs::write(&config_path, &config)?;
            let log_path = root.join("registry.log");
            let log = fs::File::create(&log_path)?;
            let child = Command::new(registry_bin())
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .map_err(|e| {
                    Error::msg(format!(
                        "spawning {} (install Debian's docker-registry): {e}",
                        registry_bin()
                    ))
                })?;
            let mut process = Process(child);
            match wait_ready(&mut process.0, port, &log_path, setup.name()) {
                Ok(()) => {
                    return Ok(Registry {
                        process,
                        port,
                        setup,
                        credentials,
                        ca_pem_path,
                        token_server,
                        dir,
                    })
                }
                Err(e) => {
                    drop(process);
                    if !read_log(&log_path).contains("address already in use") {
                        return Err(e);
                    }
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| Error::msg("no free port found")))
    }

    /// The setup this registry was started with.
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// The process ID of the registry.
    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// The port on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`: the registry host part of an image reference.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Whether the registry speaks HTTPS ([`Setup::Tls`]).
    pub fn is_tls(&self) -> bool {
        matches!(self.setup, Setup::Tls)
    }

    /// `http://127.0.0.1:PORT` or, for [`Setup::Tls`], `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let scheme = if self.is_tls() { "https" } else { "http" };
        format!("{scheme}://{}", self.host())
    }

    /// The credentials that may push ([`Setup::Basic`] and [`Setup::Token`]).
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// The PEM file of the CA that signed the server certificate ([`Setup::Tls`]).
    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.ca_pem_path.as_deref()
    }

    /// A directory holding only `ca.crt` (the CA), in the shape `--cert-dir` of skopeo and
    /// `certs.d/HOST/` of Docker expect ([`Setup::Tls`]).
    pub fn cert_dir(&self) -> Option<&Path> {
        self.ca_pem_path.as_deref().and_then(Path::parent)
    }

    /// The in-process token server ([`Setup::Token`]).
    pub fn token_server(&self) -> Option<&TokenServer> {
        self.token_server.as_ref()
    }

    /// The token server's request log (empty unless [`Setup::Token`]).
    pub fn token_log(&self) -> Vec<TokenRequestLog> {
        self.token_server
            .as_ref()
            .map(TokenServer::log)
            .unwrap_or_default()
    }

    /// The registry's storage root directory.
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The scratch directory of this registry (config, log, keys, policy).
    pub fn work_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A skopeo trust policy file accepting everything.
    pub fn policy_path(&self) -> PathBuf {
        self.dir.path().join("policy.json")
    }

    /// Everything the registry has logged so far (stdout and stderr).
    pub fn log(&self) -> String {
        read_log(&self.dir.path().join("registry.log"))
    }

    /// Every request the registry has answered so far, in order, from its own access log
    /// (the Apache combined-format lines `docker-registry` writes): what tests count to
    /// prove a blob was fetched once.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log().lines().filter_map(parse_access_line).collect()
    }
}

/// One request from the registry's access log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    /// `GET`, `HEAD`, …
    pub method: String,
    /// The request path with query (`/v2/test/app/blobs/sha256:…`).
    pub path: String,
    /// The response status.
    pub status: u16,
}

/// Parses `127.0.0.1 - - [date] "GET /v2/… HTTP/1.1" 200 157 "" "agent"`.
fn parse_access_line(line: &str) -> Option<LoggedRequest> {
    if line.starts_with("time=") {
        return None;
    }
    let (_, rest) = line.split_once("] \"")?;
    let (request, rest) = rest.split_once('"')?;
    let mut parts = request.split(' ');
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let status = rest.trim_start().split(' ').next()?.parse().ok()?;
    Some(LoggedRequest {
        method,
        path,
        status,
    })
}

/// The registry process: killed and waited for on drop.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn read_log(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

fn log_for_error(path: &Path) -> String {
    let log = read_log(path);
    if log.trim().is_empty() {
        format!("({} is empty)", path.display())
    } else {
        log
    }
}

fn wait_ready(child: &mut Child, port: u16, log_path: &Path, name: &str) -> Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait()? {
            return Err(Error::msg(format!(
                "{name} registry exited with {status} before answering; log:\n{}",
                log_for_error(log_path)
            )));
        }
        // Our process must say it listens on our port (so an answer from some other server
        // that raced us to the port is not taken for ours), and the port must answer HTTP.
        if read_log(log_path).contains(&format!("listening on 127.0.0.1:{port}")) && probe(port) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::msg(format!(
                "{name} registry on port {port} did not answer /v2/ within {START_TIMEOUT:?}; log:\n{}",
                log_for_error(log_path)
            )));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn registry_bin() -> String {
    std::env::var("HOIST_TEST_REGISTRY_BIN").unwrap_or_else(|_| DEFAULT_REGISTRY_BIN.to_string())
}

/// A port on `127.0.0.1` that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Whether anything answering HTTP listens on the port (a TLS port answers a plain request
/// with 400, which counts).
fn probe(port: u16) -> bool {
    let Ok(stream) = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(500),
    ) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let mut writer = &stream;
    let request =
        format!("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if writer.write_all(request.as_bytes()).is_err() {
        return false;
    }
    crate::http::read_response(BufReader::new(&stream), false).is_ok()
}

fn yaml_str(path: &Path) -> String {
    yaml_quote(&path.to_string_lossy())
}

fn yaml_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod access_log_tests {
    use super::*;

    #[test]
    fn parses_combined_lines() {
        let line = r#"127.0.0.1 - - [22/Nov/2026:16:40:41 +0000] "GET /v2/x/blobs/sha256:00 HTTP/1.1" 404 157 "" "curl/7.88.1""#;
        assert_eq!(
            parse_access_line(line),
            Some(LoggedRequest {
                method: "GET".into(),
                path: "/v2/x/blobs/sha256:00".into(),
                status: 404
            })
        );
        assert_eq!(
            parse_access_line(r#"time="x" level=info msg="a] \"b""#),
            None
        );
    }
}
