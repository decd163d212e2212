//! End to end: `hoist pull` (the real binary) against Debian's `docker-registry` on
//! 127.0.0.1, in the four setups of hoist-testkit, with skopeo as the oracle: the pulled
//! store holds the manifest and config skopeo sees, and `skopeo inspect oci:STORE:NAME`
//! reads it.

use std::path::Path;
use std::process::{Command, Output};

use hoist_testkit::{
    digest_of, hoist_command, push, skopeo_inspect_raw, ImageBuilder, Platform, Registry, Setup,
};

fn hoist(store: &Path, args: &[&str]) -> Output {
    // Never pick up the developer's auth files or registries.conf.
    hoist_command(Path::new(env!("CARGO_BIN_EXE_hoist")), store)
        .args(args)
        .output()
        .expect("hoist runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "hoist failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn skopeo_oci_inspect(store: &Path, name: &str) -> serde_json::Value {
    let out = Command::new("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:{name}", store.display()))
        .output()
        .expect("skopeo runs");
    assert!(
        out.status.success(),
        "skopeo inspect oci: failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("manifest json")
}

/// Pulls `name` from `registry` and checks it against what was pushed.
fn pull_and_check(registry: &Registry, extra: &[&str]) {
    let layouts = tempfile::tempdir().expect("tmp");
    let image = ImageBuilder::new(7)
        .layer(3000)
        .layer(50_000)
        .tag("v1")
        .write(layouts.path())
        .expect("image");
    let pushed = push(layouts.path(), "test/app:v1", registry).expect("push");
    let store = tempfile::tempdir().expect("tmp");
    let reference = format!("{}/test/app:v1", registry.host());
    let mut args = vec!["pull", "-q", &reference];
    args.extend_from_slice(extra);
    let id = ok(&hoist(store.path(), &args));
    let config = &image.manifests[0].config;
    assert_eq!(id, config.digest, "the image ID is the config digest");
    let raw = skopeo_inspect_raw("test/app:v1", registry).expect("skopeo inspect");
    assert_eq!(digest_of(&raw), pushed);
    // The store is an OCI layout skopeo can read, by the full name.
    let m = skopeo_oci_inspect(store.path(), &reference);
    assert_eq!(m["config"]["digest"], config.digest.as_str());
    // Every blob file hashes to its name.
    for entry in std::fs::read_dir(store.path().join("blobs/sha256")).expect("blobs") {
        let p = entry.expect("entry").path();
        let bytes = std::fs::read(&p).expect("blob");
        assert_eq!(
            digest_of(&bytes),
            format!(
                "sha256:{}",
                p.file_name().and_then(|n| n.to_str()).unwrap_or_default()
            )
        );
    }
}

#[test]
fn pull_no_auth() {
    let registry = Registry::start(Setup::NoAuth);
    pull_and_check(&registry, &["--plain-http"]);
}

#[test]
fn pull_basic_auth() {
    let registry = Registry::start(Setup::basic());
    let c = registry.credentials().expect("creds");
    let creds = format!("{}:{}", c.user, c.password);
    pull_and_check(&registry, &["--plain-http", "--creds", &creds]);
    // Without credentials: refused with a clear code.
    let store = tempfile::tempdir().expect("tmp");
    let out = hoist(
        store.path(),
        &[
            "pull",
            "--plain-http",
            &format!("{}/test/app:v1", registry.host()),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[unauthorized]"), "{err}");
    assert!(!err.contains(&c.password));
}

#[test]
fn pull_token_auth() {
    let registry = Registry::start(Setup::token());
    let c = registry.credentials().expect("creds");
    let creds = format!("{}:{}", c.user, c.password);
    pull_and_check(&registry, &["--plain-http", "--creds", &creds]);
    let log = registry.token_log();
    assert!(
        log.iter().any(|l| l.authorization && l.status == 200),
        "token requests: {log:?}"
    );
}

#[test]
fn pull_tls_with_ca() {
    let registry = Registry::start(Setup::Tls);
    let ca = registry
        .ca_pem_path()
        .expect("ca")
        .to_str()
        .expect("utf8")
        .to_owned();
    pull_and_check(&registry, &["--ca-file", &ca]);
    // Without the CA: a TLS failure, not a hang or a panic.
    let store = tempfile::tempdir().expect("tmp");
    let out = hoist(
        store.path(),
        &["pull", &format!("{}/test/app:v1", registry.host())],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error[tls-failed]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pull_multi_platform_by_tag_and_by_digest() {
    let registry = Registry::start(Setup::NoAuth);
    let layouts = tempfile::tempdir().expect("tmp");
    let image = ImageBuilder::new(11)
        .layer(2000)
        .platforms(Platform::standard_set())
        .tag("multi")
        .write(layouts.path())
        .expect("image");
    let pushed = push(layouts.path(), "test/multi:multi", &registry).expect("push");
    assert_eq!(pushed, image.digest());
    let store = tempfile::tempdir().expect("tmp");
    let reference = format!("{}/test/multi:multi", registry.host());
    let out = ok(&hoist(
        store.path(),
        &[
            "pull",
            "--plain-http",
            "--platform",
            "linux/arm64",
            "--format",
            "json",
            &reference,
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json outcome");
    let arm = image
        .manifests
        .iter()
        .find(|m| m.platform.architecture == "arm64")
        .expect("arm64 manifest");
    assert_eq!(v["manifest_digest"], arm.descriptor.digest.as_str());
    assert_eq!(v["resolved_digest"], pushed.as_str());
    assert_eq!(
        v["record"]["digests"][0],
        format!("{}/test/multi@{pushed}", registry.host())
    );
    // By digest: no tag is recorded.
    let store = tempfile::tempdir().expect("tmp");
    let by_digest = format!("{}/test/multi@{pushed}", registry.host());
    let out = ok(&hoist(
        store.path(),
        &[
            "pull",
            "--plain-http",
            "--platform",
            "linux/arm/v7",
            "--format",
            "json",
            &by_digest,
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json outcome");
    assert_eq!(v["record"]["names"], serde_json::json!([]));
}

#[test]
fn unknown_tag_fails_cleanly_and_leaves_the_store_empty() {
    let registry = Registry::start(Setup::NoAuth);
    let store = tempfile::tempdir().expect("tmp");
    let out = hoist(
        store.path(),
        &[
            "pull",
            "--plain-http",
            &format!("{}/nope/nope:v1", registry.host()),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[manifest-unknown]"), "{err}");
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
}

/// registries.conf marking `host` insecure, written next to the test's files.
fn insecure_conf(dir: &Path, host: &str) -> String {
    let path = dir.join("registries.conf");
    std::fs::write(
        &path,
        format!("[[registry]]\nlocation = \"{host}\"\ninsecure = true\n"),
    )
    .expect("write registries.conf");
    path.to_str().expect("utf8").to_owned()
}

#[test]
fn insecure_registry_accepts_an_unknown_ca_and_falls_back_to_http() {
    // TLS with a CA hoist was not told about: verification is skipped for this registry.
    let tls = Registry::start(Setup::Tls);
    let dir = tempfile::tempdir().expect("tmp");
    let conf = insecure_conf(dir.path(), &tls.host());
    pull_and_check(&tls, &["--registries-conf", &conf]);

    // Plain HTTP only: the HTTPS attempt fails and the plain endpoint serves the pull,
    // without --plain-http.
    let plain = Registry::start(Setup::NoAuth);
    let conf = insecure_conf(dir.path(), &plain.host());
    pull_and_check(&plain, &["--registries-conf", &conf]);
}
