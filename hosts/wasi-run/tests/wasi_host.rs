//! The WASI host end to end: `hoist-wasi.wasm` (built here for wasm32-wasip2) run by
//! `hoist-wasi-run` (embedded wasmtime with wasi:http and a preopened store directory)
//! pulls from Debian's `docker-registry` on 127.0.0.1, with no auth and with token auth.
//! The store it writes must be byte-identical, blob for blob and in `index.json`, to the
//! native `hoist pull` of the same image; the native host must read it (`images`,
//! `fsck`), skopeo must read it, and a failed pull must leave it exactly as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use base64::Engine as _;
use hoist_testkit::{push, ImageBuilder, ManifestFormat, Platform, Registry, Setup};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Runs cargo (a no-op when fresh) once per process per argument list.
fn cargo_build(args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .arg("build")
        .arg("--quiet")
        .args(args)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build {args:?} failed");
}

/// `hoist-wasi.wasm`, built for wasm32-wasip2 with the shipped (`wasi`) profile.
fn wasm() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| {
        cargo_build(&[
            "-p",
            "hoist-wasi",
            "--target",
            "wasm32-wasip2",
            "--profile",
            "wasi",
        ]);
        target_dir().join("wasm32-wasip2/wasi/hoist-wasi.wasm")
    })
}

/// The native `hoist` binary (same profile as this test).
fn native_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        cargo_build(&["-p", "hoist", "--bin", "hoist"]);
        target_dir().join("debug/hoist")
    })
}

fn wasi(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoist-wasi-run"))
        .arg("--wasm")
        .arg(wasm())
        .arg("--dir")
        .arg(store)
        .args(["--env", "HOIST_PLATFORM=linux/amd64", "--"])
        .args(args)
        // Compiled once for all tests (and runs), in the target directory.
        .env("HOIST_WASI_CACHE", target_dir().join("hoist-wasi-cache"))
        .output()
        .expect("hoist-wasi-run runs")
}

fn native(store: &Path, args: &[&str]) -> Output {
    hoist_testkit::hoist_command(native_bin(), store)
        .args(args)
        .output()
        .expect("hoist runs")
}

fn ok(what: &str, out: &Output) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Every file of the store but `ingest/` and `hoist.json` (which records pull times):
/// relative path → bytes.
fn snapshot(store: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let p = entry.expect("entry").path();
            let rel = p
                .strip_prefix(root)
                .expect("below root")
                .to_string_lossy()
                .into_owned();
            if rel == "ingest" || rel == "hoist.json" || rel == "lock" || rel == "home" {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(store, store, &mut out);
    out
}

/// `images --format json` without the per-host pull time.
fn images_json(out: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(out).expect("json");
    if let Some(list) = v.as_array_mut() {
        for r in list {
            if let Some(o) = r.as_object_mut() {
                o.remove("pulled_at");
            }
        }
    }
    v
}

/// Pushes three images: OCI with two layers, a two-platform index, and Docker schema 2.
fn push_images(registry: &Registry) -> Vec<String> {
    let layouts = tempfile::tempdir().expect("tmp");
    let specs = [
        (
            "test/app:v1",
            ImageBuilder::new(11).layer(3000).layer(200_000).tag("v1"),
        ),
        (
            "test/multi:v1",
            ImageBuilder::new(12)
                .layer(5000)
                .platforms(vec![Platform::linux_amd64(), Platform::linux_arm64_v8()])
                .tag("v1"),
        ),
        (
            "test/docker:v1",
            ImageBuilder::new(13)
                .layer(7000)
                .format(ManifestFormat::DockerV2)
                .tag("v1"),
        ),
    ];
    let mut refs = Vec::new();
    for (i, (name, builder)) in specs.into_iter().enumerate() {
        let dir = layouts.path().join(i.to_string());
        builder.write(&dir).expect("image");
        push(&dir, name, registry).expect("push");
        refs.push(format!("{}/{name}", registry.host()));
    }
    refs
}

/// Pulls every reference with both hosts into two fresh stores and compares them.
fn pull_both_and_compare(registry: &Registry, extra: &[&str]) {
    let refs = push_images(registry);
    let w = tempfile::tempdir().expect("tmp");
    let n = tempfile::tempdir().expect("tmp");
    for r in &refs {
        let mut args = vec!["pull", "-q", "--plain-http"];
        args.extend_from_slice(extra);
        args.push(r);
        let wid = ok("wasi pull", &wasi(w.path(), &args));
        let nid = ok("native pull", &native(n.path(), &args));
        assert_eq!(wid, nid, "{r}: the same image ID");
    }
    let (ws, ns) = (snapshot(w.path()), snapshot(n.path()));
    assert_eq!(
        ws.keys().collect::<Vec<_>>(),
        ns.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (path, bytes) in &ws {
        assert!(ns[path] == *bytes, "{path} differs between WASI and native");
    }
    assert!(ws.contains_key("index.json"));
    assert!(ws.keys().filter(|k| k.starts_with("blobs/sha256/")).count() >= 10);
    // Nothing left in ingest/.
    let left: Vec<_> = std::fs::read_dir(w.path().join("ingest"))
        .expect("ingest")
        .collect();
    assert!(left.is_empty(), "ingest/ not empty: {left:?}");
    // The native host reads the WASI store: the same listing, and fsck passes.
    let wl = ok(
        "native images of the WASI store",
        &native(w.path(), &["--format", "json", "images"]),
    );
    let nl = ok(
        "native images",
        &native(n.path(), &["--format", "json", "images"]),
    );
    assert_eq!(images_json(&wl), images_json(&nl));
    ok(
        "native fsck of the WASI store",
        &native(w.path(), &["fsck"]),
    );
    // And the WASI host lists the same too.
    let wasi_list = ok(
        "wasi images",
        &wasi(w.path(), &["--format", "json", "images"]),
    );
    assert_eq!(images_json(&wasi_list), images_json(&nl));
    // skopeo reads the layout by the full name.
    let out = Command::new("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:{}", w.path().display(), refs[0]))
        .output()
        .expect("skopeo runs");
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pull_no_auth_store_is_byte_identical_to_native() {
    let registry = Registry::start(Setup::NoAuth);
    pull_both_and_compare(&registry, &[]);
}

#[test]
fn pull_token_auth_store_is_byte_identical_to_native() {
    let registry = Registry::start(Setup::token());
    let c = registry.credentials().expect("creds");
    let creds = format!("{}:{}", c.user, c.password);
    pull_both_and_compare(&registry, &["--creds", &creds]);
    let log = registry.token_log();
    assert!(
        log.iter().any(|l| l.authorization && l.status == 200),
        "token requests: {log:?}"
    );
    // Wrong credentials: refused with the same code as the native host, and neither
    // output holds the password.
    let store = tempfile::tempdir().expect("tmp");
    let reference = format!("{}/test/app:v1", registry.host());
    let wrong = format!("{}:not-{}", c.user, c.password);
    let args = ["pull", "--plain-http", "--creds", &wrong, &reference];
    let out = wasi(store.path(), &args);
    let nout = native(store.path(), &args);
    assert!(!out.status.success() && !nout.status.success());
    let code = |o: &Output| {
        let e = String::from_utf8_lossy(&o.stderr).into_owned();
        e.split("error[")
            .nth(1)
            .and_then(|r| r.split(']').next())
            .map(str::to_owned)
    };
    assert!(
        code(&out).is_some(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(code(&out), code(&nout));
    // With the credentials in an auth file instead of --creds.
    let auth = store.path().join("auth.json");
    let b64 = base64::engine::general_purpose::STANDARD.encode(creds.as_bytes());
    std::fs::write(
        &auth,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{b64}"}}}}}}"#,
            registry.host()
        ),
    )
    .expect("auth file");
    let id = ok(
        "wasi pull with an auth file",
        &wasi(
            store.path(),
            &[
                "pull",
                "-q",
                "--plain-http",
                "--authfile",
                "/store/auth.json",
                &reference,
            ],
        ),
    );
    assert!(id.starts_with("sha256:"), "{id}");
    for text in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(text).contains(&wrong));
        assert!(!String::from_utf8_lossy(text).contains(&c.password));
    }
}

#[test]
fn store_commands_agree_with_native_and_failures_change_nothing() {
    let registry = Registry::start(Setup::NoAuth);
    let refs = push_images(&registry);
    let w = tempfile::tempdir().expect("tmp");
    let n = tempfile::tempdir().expect("tmp");
    for store in [w.path(), n.path()] {
        ok(
            "wasi pull",
            &wasi(store, &["pull", "-q", "--plain-http", &refs[0]]),
        );
    }
    // The same edits through either host give the same index.json.
    let steps: [&[&str]; 4] = [
        &["tag", &refs[0], "example.com/copy:1", "copy:2"],
        &["untag", &refs[0], "docker.io/library/copy:2"],
        &["tag", &refs[0], "other:3"],
        &["rmi", "other:3"],
    ];
    for step in steps {
        ok("wasi", &wasi(w.path(), step));
        ok("native", &native(n.path(), step));
        assert_eq!(
            std::fs::read(w.path().join("index.json")).expect("index"),
            std::fs::read(n.path().join("index.json")).expect("index"),
            "after {step:?}"
        );
    }
    // inspect: the same document (pull times aside).
    let strip = |s: String| {
        let mut v: serde_json::Value = serde_json::from_str(&s).expect("json");
        v[0].as_object_mut().map(|o| o.remove("pulled_at"));
        v
    };
    let wi = ok(
        "wasi inspect",
        &wasi(
            w.path(),
            &["--format", "json", "inspect", "example.com/copy:1"],
        ),
    );
    let ni = ok(
        "native inspect",
        &native(
            n.path(),
            &["--format", "json", "inspect", "example.com/copy:1"],
        ),
    );
    assert_eq!(strip(wi), strip(ni));
    // ref: the same analysis.
    let args = ["ref", "busybox", "Bad:Ref"];
    let (wr, nr) = (wasi(w.path(), &args), native(n.path(), &args));
    assert_eq!(wr.stdout, nr.stdout);
    assert_eq!(wr.status.code(), nr.status.code());

    // A failed pull (unknown tag; unknown image on a refused port) leaves every file as
    // it was, and nothing in ingest/.
    let before = snapshot(w.path());
    let hoist_json = std::fs::read(w.path().join("hoist.json")).expect("hoist.json");
    let missing = format!("{}/test/app:nope", registry.host());
    let out = wasi(w.path(), &["pull", "--plain-http", &missing]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[manifest-unknown]"), "{err}");
    let out = wasi(w.path(), &["pull", "--plain-http", "127.0.0.1:1/x:1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[") && !out.status.success(), "{err}");
    assert_eq!(snapshot(w.path()), before);
    assert_eq!(
        std::fs::read(w.path().join("hoist.json")).expect("hoist.json"),
        hoist_json
    );
    assert_eq!(
        std::fs::read_dir(w.path().join("ingest"))
            .expect("ingest")
            .count(),
        0
    );
}
