//! The native HTTP transport: hyper 1 (HTTP/1.1, keep-alive with connection reuse) over
//! rustls with the system roots plus extra CA files, connect and idle timeouts, and
//! `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (CONNECT tunnels).
//!
//! The transport sends exactly what the core asks — method, URL, headers, body — and
//! reports status and headers back. It never follows redirects, never retries, and never
//! looks at a status: those are the core's decisions.

use std::error::Error as StdError;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hoist_core::pull::{Failure, HttpRequest, ResponseHead, TransportFailure};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::Uri;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

type BoxError = Box<dyn StdError + Send + Sync>;

/// Transport settings.
#[derive(Clone, Debug)]
pub struct TransportOptions {
    /// PEM files with extra CA certificates to trust (private registries).
    pub ca_files: Vec<PathBuf>,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Longest silence allowed while waiting for a response head or body bytes.
    pub idle_timeout: Duration,
    /// Read proxies from the environment.
    pub proxy_from_env: bool,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            ca_files: Vec::new(),
            connect_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(30),
            proxy_from_env: true,
        }
    }
}

/// Connects directly, or through a CONNECT tunnel when the proxy matcher says so.
#[derive(Clone)]
struct ProxyConnector {
    direct: HttpConnector,
    matcher: Option<Arc<Matcher>>,
}

impl tower_service::Service<Uri> for ProxyConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let intercept = self.matcher.as_ref().and_then(|m| m.intercept(&dst));
        let mut direct = self.direct.clone();
        match intercept {
            Some(i) => {
                let mut tunnel = Tunnel::new(i.uri().clone(), direct);
                if let Some(auth) = i.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                Box::pin(async move {
                    tunnel
                        .call(dst)
                        .await
                        .map_err(|e| BoxError::from(ProxyFailed(e.into())))
                })
            }
            None => Box::pin(async move { direct.call(dst).await.map_err(Into::into) }),
        }
    }
}

/// Any failure on the way through the HTTP proxy (unreachable, refused, bad answer), so
/// that [`classify`] can tell it from a failure of the registry itself.
#[derive(Debug)]
struct ProxyFailed(BoxError);

impl std::fmt::Display for ProxyFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "proxy: {}", self.0)
    }
}

impl StdError for ProxyFailed {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.0.as_ref())
    }
}

/// An HTTP client shared by every pull in the process (connections are reused).
#[derive(Clone)]
pub struct Transport {
    client: HttpClient,
    /// For requests the core marks `tls_verify: false` (registries marked `insecure` in
    /// registries.conf): TLS without certificate verification, as Go's
    /// `InsecureSkipVerify`. Handshake signatures are still checked.
    unverified: HttpClient,
    idle_timeout: Duration,
}

type HttpClient = Client<hyper_rustls::HttpsConnector<ProxyConnector>, Full<Bytes>>;

/// Accepts any server certificate (see [`Transport::unverified`]); only ever used for
/// requests the core marked `tls_verify: false`.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Why the transport could not be built.
#[derive(Debug)]
pub struct TransportSetupError(pub String);

impl std::fmt::Display for TransportSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for TransportSetupError {}

impl Transport {
    /// Builds the client: system roots plus `ca_files`.
    pub fn new(opts: &TransportOptions) -> Result<Transport, TransportSetupError> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for cert in native.certs {
            // A malformed system certificate is skipped, as every TLS client does.
            let _ = roots.add(cert);
        }
        for path in &opts.ca_files {
            let pem = std::fs::read(path).map_err(|e| {
                TransportSetupError(format!("cannot read CA file {}: {e}", path.display()))
            })?;
            let mut found = 0;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.map_err(|e| {
                    TransportSetupError(format!("bad PEM in CA file {}: {e}", path.display()))
                })?;
                roots.add(cert).map_err(|e| {
                    TransportSetupError(format!("bad certificate in {}: {e}", path.display()))
                })?;
                found += 1;
            }
            if found == 0 {
                return Err(TransportSetupError(format!(
                    "no certificates in CA file {}",
                    path.display()
                )));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportSetupError(format!("tls setup: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let unverified_tls = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportSetupError(format!("tls setup: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth();
        Ok(Transport {
            client: Self::client(opts, tls),
            unverified: Self::client(opts, unverified_tls),
            idle_timeout: opts.idle_timeout,
        })
    }

    fn client(opts: &TransportOptions, tls: rustls::ClientConfig) -> HttpClient {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(opts.connect_timeout));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(60)));
        let matcher = opts.proxy_from_env.then(|| Arc::new(Matcher::from_env()));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(ProxyConnector {
                direct: http,
                matcher,
            });
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(16)
            .build(connector)
    }

    /// The idle timeout bodies are read with.
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// Sends `req` and waits for the response head.
    pub async fn send(&self, req: &HttpRequest) -> Result<(ResponseHead, Incoming), Failure> {
        let fail = |kind| Failure {
            kind,
            staged_bytes: 0,
        };
        let mut builder = hyper::Request::builder()
            .method(req.method.as_str())
            .uri(req.url.to_string());
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.expose());
        }
        let body = match &req.body {
            Some(b) => Full::new(Bytes::copy_from_slice(b.expose().as_bytes())),
            None => Full::new(Bytes::new()),
        };
        let request = builder
            .body(body)
            .map_err(|_| fail(TransportFailure::Connect))?;
        let client = if req.tls_verify {
            &self.client
        } else {
            &self.unverified
        };
        let response = tokio::time::timeout(self.idle_timeout, client.request(request))
            .await
            .map_err(|_| fail(TransportFailure::Timeout))?
            .map_err(|e| fail(classify(&e)))?;
        let (parts, body) = response.into_parts();
        let headers = parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        Ok((
            ResponseHead {
                status: parts.status.as_u16(),
                headers,
            },
            body,
        ))
    }

    /// Reads the next chunk of `body`, with the idle timeout. `Ok(None)` at the end.
    pub async fn next_chunk(&self, body: &mut Incoming) -> Result<Option<Bytes>, TransportFailure> {
        loop {
            let frame = tokio::time::timeout(self.idle_timeout, body.frame())
                .await
                .map_err(|_| TransportFailure::Timeout)?;
            match frame {
                None => return Ok(None),
                Some(Err(_)) => return Err(TransportFailure::Reset),
                Some(Ok(f)) => {
                    if let Ok(data) = f.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    /// Reads at most `limit + 1` bytes of `body` (the core judges the length).
    pub async fn read_limited(
        &self,
        body: &mut Incoming,
        limit: u64,
    ) -> Result<Vec<u8>, TransportFailure> {
        let cap = limit.saturating_add(1);
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk(body).await? {
            let room = cap.saturating_sub(out.len() as u64) as usize;
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if out.len() as u64 >= cap {
                break;
            }
        }
        Ok(out)
    }
}

/// Maps a hyper client error to the core's transport failure kinds.
fn classify(e: &hyper_util::client::legacy::Error) -> TransportFailure {
    if e.is_connect() {
        let mut src: Option<&(dyn StdError + 'static)> = e.source();
        while let Some(s) = src {
            if s.downcast_ref::<ProxyFailed>().is_some() {
                return TransportFailure::Proxy;
            }
            let text = s.to_string();
            if s.downcast_ref::<rustls::Error>().is_some() || text.contains("certificate") {
                return TransportFailure::Tls;
            }
            src = s.source();
        }
        return TransportFailure::Connect;
    }
    let mut src: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(s) = src {
        if s.downcast_ref::<rustls::Error>().is_some() {
            return TransportFailure::Tls;
        }
        src = s.source();
    }
    TransportFailure::Reset
}
