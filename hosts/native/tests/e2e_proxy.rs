//! `HTTPS_PROXY` / `NO_PROXY`: `hoist pull` (the real binary) reaches Debian's
//! `docker-registry` over TLS through an HTTP CONNECT proxy on 127.0.0.1 (a small one in
//! this test, since no proxy package is needed for CONNECT), bypasses it for hosts in
//! `NO_PROXY`, sends the proxy's credentials only to the proxy and never prints them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use hoist_testkit::{push, ImageBuilder, Registry, Setup};

/// What the proxy saw on one connection.
#[derive(Clone, Debug)]
struct Seen {
    target: String,
    proxy_authorization: Option<String>,
}

/// A CONNECT-only proxy on 127.0.0.1 that tunnels to loopback targets and refuses every
/// other target with 403. It stops accepting when dropped.
struct ConnectProxy {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl ConnectProxy {
    fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        thread::spawn(move || {
            // Bounded: a test makes a handful of connections.
            for conn in listener.incoming().take(64) {
                if stop2.load(Ordering::Acquire) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let seen = Arc::clone(&seen2);
                thread::spawn(move || serve(conn, &seen));
            }
        });
        ConnectProxy { port, seen, stop }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(conn: TcpStream, seen: &Mutex<Vec<Seen>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() || request_line.is_empty() {
        return;
    }
    let mut proxy_authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("proxy-authorization") {
                proxy_authorization = Some(value.trim().to_owned());
            }
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    seen.lock().expect("lock").push(Seen {
        target: target.to_owned(),
        proxy_authorization,
    });
    let mut client = conn;
    let loopback = target.starts_with("127.0.0.1:") || target.starts_with("localhost:");
    if method != "CONNECT" || !loopback {
        let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
        return;
    }
    let Ok(upstream) = TcpStream::connect(target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let _ = client.set_read_timeout(None);
    // Bytes the reader buffered past the header belong to the tunnel.
    let buffered = reader.buffer().to_vec();
    let (mut up_w, mut up_r) = (
        upstream.try_clone().expect("clone"),
        upstream.try_clone().expect("clone"),
    );
    let mut client_w = client.try_clone().expect("clone");
    let to_upstream = thread::spawn(move || {
        let _ = up_w.write_all(&buffered);
        let _ = std::io::copy(&mut reader, &mut up_w);
        let _ = up_w.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_r, &mut client_w);
    let _ = client_w.shutdown(Shutdown::Write);
    let _ = to_upstream.join();
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest);
}

fn hoist(store: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = hoist_testkit::hoist_command(Path::new(env!("CARGO_BIN_EXE_hoist")), store);
    cmd.args(args);
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("hoist runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn pulls_through_a_connect_proxy_and_honours_no_proxy() {
    let registry = Registry::start(Setup::Tls);
    let ca = registry.ca_pem_path().expect("ca").to_owned();
    let ca = ca.to_str().expect("utf8");
    let layouts = tempfile::tempdir().expect("tmp");
    ImageBuilder::new(11)
        .layer(20_000)
        .tag("v1")
        .write(layouts.path())
        .expect("image");
    push(layouts.path(), "test/proxied:v1", &registry).expect("push");
    let reference = format!("{}/test/proxied:v1", registry.host());
    let proxy = ConnectProxy::start();
    let target = format!("127.0.0.1:{}", registry.port());

    // 1. Through the proxy, with proxy credentials in the URL.
    let secret = "proxy-canary-5f3a9c";
    let with_auth = format!("http://hoist-proxy:{secret}@127.0.0.1:{}", proxy.port);
    let store = tempfile::tempdir().expect("tmp");
    let out = hoist(
        store.path(),
        &[("HTTPS_PROXY", &with_auth)],
        &["pull", "-q", "--ca-file", ca, &reference],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(secret), "proxy password printed");
    let seen = proxy.seen();
    assert!(!seen.is_empty(), "the pull did not use the proxy");
    for s in &seen {
        assert_eq!(s.target, target, "{seen:?}");
        let auth = s.proxy_authorization.as_deref().unwrap_or("");
        assert!(auth.starts_with("Basic "), "no proxy credentials: {seen:?}");
    }

    // 2. NO_PROXY names the registry's host: the proxy sees nothing new.
    let before = proxy.seen().len();
    let store = tempfile::tempdir().expect("tmp");
    let out = hoist(
        store.path(),
        &[("HTTPS_PROXY", &proxy.url()), ("NO_PROXY", "127.0.0.1")],
        &["pull", "-q", "--ca-file", ca, &reference],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        proxy.seen().len(),
        before,
        "NO_PROXY host went through the proxy"
    );

    // 3. A proxy that refuses the tunnel: a clear failure, and the store stays empty.
    let refusing = ConnectProxy::start();
    let store = tempfile::tempdir().expect("tmp");
    let out = hoist(
        store.path(),
        // The proxy only tunnels to loopback: name the registry by a non-loopback alias
        // the proxy refuses, without any DNS lookup (the proxy resolves, not hoist).
        &[("HTTPS_PROXY", &refusing.url())],
        &[
            "pull",
            "-q",
            "--ca-file",
            ca,
            &format!("registry.invalid:{}/test/proxied:v1", registry.port()),
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[proxy-failed]"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        refusing
            .seen()
            .iter()
            .any(|s| s.target == format!("registry.invalid:{}", registry.port())),
        "{:?}",
        refusing.seen()
    );
    let blobs = std::fs::read_dir(store.path().join("blobs/sha256"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(blobs, 0, "blobs left behind by a failed pull");
}
