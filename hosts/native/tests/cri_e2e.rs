//! End to end: a tonic client drives every `runtime.v1.ImageService` call against a real
//! `hoist serve --cri` child process, which pulls from Debian's `docker-registry` on
//! 127.0.0.1 (no auth). skopeo is the oracle for IDs and digests; the registry's own
//! access log counts blob fetches.

mod cri_support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cri_support::*;
use hoist_core::digest::Digest;
use hoist_testkit::{digest_of, push, BuiltImage, ImageBuilder, Registry, Setup, Skopeo};
use tonic::Code;

/// Builds and pushes an image as `repo:tag`; returns what was built.
fn publish(
    registry: &Registry,
    seed: u64,
    layers: &[usize],
    user: &str,
    repo_tag: &str,
) -> BuiltImage {
    let layouts = tempfile::tempdir().expect("tmp");
    let (_, tag) = repo_tag.rsplit_once(':').expect("tag");
    let mut b = ImageBuilder::new(seed)
        .tag(tag)
        .user(user)
        .label("org.example.role", "test");
    for size in layers {
        b = b.layer(*size);
    }
    let image = b.write(layouts.path()).expect("image");
    push(layouts.path(), repo_tag, registry).expect("push");
    image
}

fn blob_gets(registry: &Registry, digest: &str) -> usize {
    registry
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(&format!("/blobs/{digest}")))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_against_a_real_registry() {
    let registry = Registry::start(Setup::NoAuth);
    let host = registry.host();
    let app = publish(&registry, 11, &[3000, 40_000], "1000:1000", "test/app:v1");
    publish(&registry, 12, &[5000], "nginx", "test/web:v2");
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store");
    let server = Server::start(&store, &dir.path().join("image.sock"), &[]);
    let mut c = server.client().await;

    // PullImage: image_ref is the image ID, the digest of the config skopeo sees.
    let app_ref = format!("{host}/test/app:v1");
    let id = pull(&mut c, &app_ref, None).await.expect("pull app");
    let config = Skopeo::new(&registry)
        .inspect_config_raw("test/app:v1")
        .expect("skopeo");
    assert_eq!(id, digest_of(&config));
    let web_id = pull(&mut c, &format!("{host}/test/web:v2"), None)
        .await
        .expect("pull web");

    // ListImages: every field.
    let all = list(&mut c, None).await;
    assert_eq!(all.len(), 2);
    let img = all.iter().find(|i| i.id == id).expect("app listed");
    assert_eq!(img.repo_tags, vec![app_ref.clone()]);
    assert_eq!(
        img.repo_digests,
        vec![format!("{host}/test/app@{}", app.digest())]
    );
    let m = &app.manifests[0];
    let blobs: u64 =
        m.descriptor.size + m.config.size + m.layers.iter().map(|l| l.descriptor.size).sum::<u64>();
    assert_eq!(img.size, blobs, "manifest + config + layers");
    assert_eq!(img.uid.as_ref().map(|u| u.value), Some(1000));
    assert_eq!(img.username, "");
    assert_eq!(
        img.spec.as_ref().map(|s| s.image.as_str()),
        Some(id.as_str())
    );
    assert!(!img.pinned);
    let w = all.iter().find(|i| i.id == web_id).expect("web listed");
    assert_eq!((w.uid, w.username.as_str()), (None, "nginx"));
    assert!(w.size > 0);

    // A `hoist` command changing the store while the server runs is seen at the next call.
    let out = hoist_command(&store)
        .args(["tag", &app_ref, "example.test/extra:v1"])
        .output()
        .expect("hoist tag");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tags = list(&mut c, Some(&id)).await[0].repo_tags.clone();
    assert_eq!(tags.len(), 2, "{tags:?}");
    assert!(tags.contains(&"example.test/extra:v1".to_owned()));

    // filter.image: full, short, short without path, ID, ID prefix, unknown.
    let hex = id.trim_start_matches("sha256:").to_owned();
    for f in [
        app_ref.as_str(),
        "test/app:v1",
        "app:v1",
        id.as_str(),
        &hex[..12],
        &format!("{host}/test/app@{}", app.digest()),
    ] {
        let got: Vec<String> = list(&mut c, Some(f))
            .await
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(got, vec![id.clone()], "filter {f}");
    }
    assert!(list(&mut c, Some("test/app:v9")).await.is_empty());
    assert!(list(&mut c, Some("sha256:0123")).await.is_empty());

    // ImageStatus: plain, verbose (labels, chain ID, manifest digest as JSON), missing.
    let plain = status(&mut c, "test/app:v1", false).await;
    assert_eq!(
        plain.image.as_ref().map(|i| i.id.as_str()),
        Some(id.as_str())
    );
    assert!(plain.info.is_empty());
    let verbose = status(&mut c, &id, true).await;
    let labels: serde_json::Value = serde_json::from_str(&verbose.info["labels"]).expect("json");
    assert_eq!(labels["org.example.role"], "test");
    let diff_ids: Vec<Digest> = m
        .layers
        .iter()
        .map(|l| Digest::parse(&l.diff_id).expect("diff id"))
        .collect();
    let chain: String = serde_json::from_str(&verbose.info["chainID"]).expect("json");
    assert_eq!(
        Some(chain),
        hoist_core::id::chain_id(&diff_ids).map(|d| d.to_string())
    );
    let manifest: String = serde_json::from_str(&verbose.info["manifestDigest"]).expect("json");
    assert_eq!(manifest, m.descriptor.digest);
    let missing = status(&mut c, "test/nothere:v1", true).await;
    assert!(missing.image.is_none() && missing.info.is_empty());

    // The store is an OCI layout skopeo reads.
    let out = std::process::Command::new("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:{app_ref}", store.display()))
        .output()
        .expect("skopeo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(digest_of(&out.stdout), m.descriptor.digest);

    // Errors: unknown tag and unknown repository are NOT_FOUND with the core's code.
    let e = pull(&mut c, &format!("{host}/test/app:v9"), None)
        .await
        .expect_err("no tag");
    assert_eq!(
        (e.code(), error_code(&e).as_str()),
        (Code::NotFound, "manifest-unknown")
    );
    assert!(
        e.message().ends_with("(manifest-unknown)"),
        "{}",
        e.message()
    );
    let e = pull(&mut c, &format!("{host}/test/nothere:v1"), None)
        .await
        .expect_err("no repo");
    assert_eq!(e.code(), Code::NotFound, "{}", e.message());
    let e = pull(&mut c, "Bad//Ref", None).await.expect_err("invalid");
    assert_eq!(e.code(), Code::InvalidArgument, "{}", e.message());

    // ImageFsInfo.
    let fs = c
        .image_fs_info(hoist::cri::proto::ImageFsInfoRequest {})
        .await
        .expect("fs info")
        .into_inner();
    let u = &fs.image_filesystems[0];
    assert!(u.timestamp > 0);
    assert!(u.used_bytes.as_ref().map(|v| v.value).unwrap_or(0) > blobs);
    assert!(u.inodes_used.as_ref().map(|v| v.value).unwrap_or(0) > 6);
    let mount = &u.fs_id.as_ref().expect("fs id").mountpoint;
    assert!(std::fs::canonicalize(&store)
        .expect("canon")
        .starts_with(mount));

    // RemoveImage: by short name, idempotent, by ID; every name goes.
    remove(&mut c, "test/app:v1").await.expect("remove");
    remove(&mut c, "test/app:v1")
        .await
        .expect("again: idempotent");
    remove(&mut c, &id).await.expect("by id, gone: idempotent");
    assert!(status(&mut c, &app_ref, false).await.image.is_none());
    let left: Vec<String> = list(&mut c, None).await.into_iter().map(|i| i.id).collect();
    assert_eq!(left, vec![web_id.clone()]);
    remove(&mut c, &web_id).await.expect("by id");
    assert!(list(&mut c, None).await.is_empty());
    let e = remove(&mut c, "").await.expect_err("empty");
    assert_eq!(e.code(), Code::InvalidArgument);

    // One log line per call, with the outcome.
    let log = server.log();
    assert!(
        log.contains(&format!("cri PullImage image={app_ref} ")),
        "{log}"
    );
    assert!(log.contains("outcome=manifest-unknown"), "{log}");
    assert!(log.contains("cri ImageFsInfo image=- "), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_pulls_fetch_each_blob_once() {
    let registry = Registry::start(Setup::NoAuth);
    let image = publish(
        &registry,
        21,
        &[200_000, 300_000, 100_000],
        "0",
        "test/many:v1",
    );
    let (_dir, server) = Server::in_temp_dir();
    let c = server.client().await;
    let reference = format!("{}/test/many:v1", registry.host());
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut c = c.clone();
        let r = reference.clone();
        tasks.push(tokio::spawn(async move { pull(&mut c, &r, None).await }));
    }
    let mut refs = Vec::new();
    for t in tasks {
        refs.push(t.await.expect("task").expect("pull"));
    }
    refs.dedup();
    assert_eq!(refs.len(), 1, "one image_ref: {refs:?}");
    let m = &image.manifests[0];
    assert_eq!(refs[0], m.config.digest);
    for d in std::iter::once(&m.config.digest).chain(m.layers.iter().map(|l| &l.descriptor.digest))
    {
        assert_eq!(blob_gets(&registry, d), 1, "blob {d} fetched once");
    }
    let mut c = c.clone();
    assert_eq!(list(&mut c, None).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_while_pulling_is_refused() {
    let registry = Registry::start(Setup::NoAuth);
    publish(&registry, 31, &[4000], "0", "test/busy:v1");
    let (_dir, server) = Server::in_temp_dir();
    let mut c = server.client().await;
    let reference = format!("{}/test/busy:v1", registry.host());

    // First pull (nothing stored yet) hangs on the stopped registry: removal by name is
    // refused, because the pull would name the image a moment later.
    signal(registry.pid(), "STOP");
    let mut pc = c.clone();
    let r = reference.clone();
    let first = tokio::spawn(async move { pull(&mut pc, &r, None).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = remove(&mut c, &reference).await;
    signal(registry.pid(), "CONT");
    let e = refused.expect_err("refused");
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert_eq!(error_code(&e), "image-pull-in-progress");
    assert!(e.message().contains(&reference), "{}", e.message());
    let id = first
        .await
        .expect("task")
        .expect("pull finishes after the registry resumes");

    // A re-pull of a stored image: removal by ID is refused while it runs.
    signal(registry.pid(), "STOP");
    let mut pc = c.clone();
    let r = reference.clone();
    let again = tokio::spawn(async move { pull(&mut pc, &r, None).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = remove(&mut c, &id).await;
    signal(registry.pid(), "CONT");
    assert_eq!(
        error_code(&refused.expect_err("refused")),
        "image-pull-in-progress"
    );
    assert_eq!(again.await.expect("task").expect("re-pull"), id);
    // Done pulling: removal works.
    remove(&mut c, &id).await.expect("removed");
    assert!(list(&mut c, None).await.is_empty());
}

fn fsck_clean(store: &Path) {
    let out = hoist_command(store).arg("fsck").output().expect("fsck");
    assert!(
        out.status.success(),
        "fsck: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cancels_pulls_cleanly_and_restart_keeps_images() {
    let registry = Registry::start(Setup::NoAuth);
    publish(&registry, 41, &[3000], "0", "test/keep:v1");
    publish(&registry, 42, &[3000], "0", "test/cut:v1");
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store");
    let socket = dir.path().join("image.sock");
    let mut server = Server::start(&store, &socket, &["--grace-ms", "300"]);
    let mut c = server.client().await;
    let kept = pull(&mut c, &format!("{}/test/keep:v1", registry.host()), None)
        .await
        .expect("pull");

    // SIGTERM with a pull hanging on the stopped registry: after the grace period the pull
    // is cancelled, the server exits 0 and removes its socket, and the store is unchanged.
    signal(registry.pid(), "STOP");
    let mut pc = c.clone();
    let cut = format!("{}/test/cut:v1", registry.host());
    let pulling = tokio::spawn(async move { pull(&mut pc, &cut, None).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = tokio::task::block_in_place(|| server.terminate());
    let result = pulling.await.expect("task");
    signal(registry.pid(), "CONT");
    assert!(status.success(), "exit {status}: {}", server.log());
    let e = result.expect_err("cancelled");
    assert_eq!(e.code(), Code::Cancelled, "{}", e.message());
    assert!(!socket.exists(), "socket removed on shutdown");
    assert!(server.log().contains("cri stopped"));
    fsck_clean(&store);

    // Restart: the image is still listed, the cancelled one is not.
    let server = Server::start(&store, &socket, &[]);
    let mut c = server.client().await;
    let ids: Vec<String> = list(&mut c, None).await.into_iter().map(|i| i.id).collect();
    assert_eq!(ids, vec![kept.clone()]);

    // A second server on the same socket is refused while this one lives.
    let out = hoist_command(&store)
        .args(["serve", "--cri"])
        .arg(format!("unix://{}", socket.display()))
        .output()
        .expect("second serve");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("socket-in-use"));

    // Killed hard, the socket file stays behind; the next server replaces it.
    signal(server.pid(), "KILL");
    drop(server);
    assert!(socket.exists(), "stale socket left by SIGKILL");
    let server = Server::start(&store, &socket, &[]);
    let mut c = server.client().await;
    assert_eq!(list(&mut c, Some(&kept)).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_registry_is_registry_unavailable() {
    let port = hoist_testkit::registry::free_port().expect("port");
    let (_dir, server) = Server::in_temp_dir();
    let mut c = server.client().await;
    let e = pull(&mut c, &format!("127.0.0.1:{port}/test/app:v1"), None)
        .await
        .expect_err("down");
    assert_eq!(e.code(), Code::Unavailable, "{}", e.message());
    assert!(
        e.message().starts_with("RegistryUnavailable: "),
        "{}",
        e.message()
    );
    assert_eq!(error_code(&e), "connect-failed");
}

/// A hostile registry a real one cannot be made into: every request gets `status` with an
/// HTML page (as a load balancer in front of a registry answers) and `Retry-After: 0`, so
/// the core's retries run at once. Serves at most 50 connections or 20 s, and stops when
/// `stop` is set; the handle returns how many requests it answered.
fn failing_registry(
    status: u16,
    stop: Arc<AtomicBool>,
) -> (String, std::thread::JoinHandle<usize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let host = format!("127.0.0.1:{}", listener.local_addr().expect("addr").port());
    listener.set_nonblocking(true).expect("nonblocking");
    let handle = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let mut served = 0;
        while served < 50 && std::time::Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).expect("blocking");
                    stream
                        .set_read_timeout(Some(Duration::from_secs(5)))
                        .expect("timeout");
                    let reader = std::io::BufReader::new(stream.try_clone().expect("clone"));
                    if hoist_testkit::http::read_request(reader).is_ok() {
                        let _ = hoist_testkit::http::write_response(
                            &stream,
                            status,
                            &[("Content-Type", "text/html"), ("Retry-After", "0")],
                            b"<html><body><h1>Service Unavailable</h1></body></html>",
                        );
                    }
                    served += 1;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => break,
            }
        }
        served
    });
    (host, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_errors_are_concise_registry_unavailable() {
    let (_dir, server) = Server::in_temp_dir();
    let mut c = server.client().await;
    for status in [502, 503, 504] {
        let stop = Arc::new(AtomicBool::new(false));
        let (host, registry) = failing_registry(status, stop.clone());
        let e = pull(&mut c, &format!("{host}/test/app:v1"), None)
            .await
            .expect_err("unavailable");
        assert_eq!(e.code(), Code::Unavailable, "{}", e.message());
        assert_eq!(
            e.message(),
            format!(
                "RegistryUnavailable: registry unavailable: {host} answered {status} (registry-unavailable)"
            )
        );
        assert!(!e.message().contains("<html"));
        stop.store(true, Ordering::SeqCst);
        let served = registry.join().expect("fake registry");
        assert!(served >= 2, "the core retried: {served} requests");
    }
}
