//! The listeners: one accept thread per origin (plain or TLS), one thread per connection,
//! one request per connection (`Connection: close`). Everything stops when the
//! [`FakeRegistry`](super::FakeRegistry) is dropped.

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::{Seen, Shared};
use crate::http::read_request;
use crate::{Error, Result};

/// Waiting for the request head longer than this drops the connection.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// One listening origin.
pub(crate) struct Listener {
    pub(crate) addr: SocketAddr,
    pub(crate) tls: bool,
    pub(crate) thread: Option<JoinHandle<()>>,
}

/// Binds `ip:0` and starts accepting.
pub(crate) fn listen(
    shared: &Arc<Shared>,
    ip: &str,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<Listener> {
    let listener =
        TcpListener::bind((ip, 0)).map_err(|e| Error::msg(format!("binding {ip}: {e}")))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let is_tls = tls.is_some();
    let shared = shared.clone();
    let thread = thread::Builder::new()
        .name(format!("fake-registry-{addr}"))
        .spawn(move || accept_loop(listener, shared, tls))?;
    Ok(Listener {
        addr,
        tls: is_tls,
        thread: Some(thread),
    })
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>, tls: Option<Arc<rustls::ServerConfig>>) {
    while !shared.stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = shared.clone();
                let tls = tls.clone();
                let origin = listener
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_default();
                let _ = thread::Builder::new()
                    .name("fake-registry-conn".into())
                    .spawn(move || {
                        let _ = serve(stream, &shared, tls, &origin);
                    });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5));
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn serve(
    stream: TcpStream,
    shared: &Shared,
    tls: Option<Arc<rustls::ServerConfig>>,
    origin: &str,
) -> Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_nodelay(true)?;
    match tls {
        Some(config) => {
            let conn = rustls::ServerConnection::new(config)
                .map_err(|e| Error::msg(format!("tls: {e}")))?;
            let mut s = rustls::StreamOwned::new(conn, stream);
            exchange(&mut s, shared, origin, true)?;
            s.conn.send_close_notify();
            let _ = s.flush();
            Ok(())
        }
        None => {
            let mut s = stream;
            exchange(&mut s, shared, origin, false)
        }
    }
}

fn exchange<S: Read + Write>(s: &mut S, shared: &Shared, origin: &str, tls: bool) -> Result<()> {
    let request = read_request(BufReader::new(&mut *s))?;
    let seen = Seen {
        origin: origin.to_owned(),
        tls,
        method: request.method.clone(),
        target: request.target.clone(),
        authorization: request.header("authorization").is_some(),
        headers: request.headers.clone(),
        body: request.body.clone(),
    };
    let reply = shared.answer(&seen);
    reply.write_to(s, seen.method == "HEAD", &shared.stop)?;
    Ok(())
}

/// A TLS server config for `127.0.0.1` signed by `ca`.
pub(crate) fn tls_config(ca: &crate::pki::TestCa) -> Result<Arc<rustls::ServerConfig>> {
    let pair = ca.issue_server_cert()?;
    let certs = rustls_pemfile::certs(&mut pair.cert_pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let key = rustls_pemfile::private_key(&mut pair.key_pem.as_bytes())?
        .ok_or_else(|| Error::msg("no key in the generated PEM"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::msg(format!("tls: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::msg(format!("tls: {e}")))?;
    Ok(Arc::new(config))
}
