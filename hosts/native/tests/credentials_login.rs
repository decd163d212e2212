//! `login` / `logout`: which file, its mode, atomic replacement, helpers named by the
//! file, and the errors.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hoist::credentials::{CredentialEnv, CredentialSource, CredentialStore, StoredIn};
use hoist_core::auth::{Credentials, Secret};
use hoist_core::ErrorCode;

const CANARY: &str = "CANARY-l0g1n";

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_owned();
        for sub in ["home", "run", "bin"] {
            fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        Fixture { _dir: dir, root }
    }

    fn env(&self) -> CredentialEnv {
        CredentialEnv {
            xdg_runtime_dir: Some(self.root.join("run")),
            home: Some(self.root.join("home")),
            path: Some(
                std::env::join_paths([
                    self.root.join("bin"),
                    PathBuf::from("/usr/bin"),
                    PathBuf::from("/bin"),
                ])
                .expect("PATH"),
            ),
            ..CredentialEnv::default()
        }
    }

    fn store(&self) -> CredentialStore {
        CredentialStore::new(self.env()).with_helper_timeout(Duration::from_secs(5))
    }

    fn auth_json(&self) -> PathBuf {
        self.root.join("run/containers/auth.json")
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

fn basic(user: &str, pass: &str) -> Credentials {
    Credentials::Basic {
        username: user.into(),
        password: Secret::new(pass),
    }
}

#[tokio::test]
async fn login_logout_round_trip() {
    let fx = Fixture::new();
    let store = fx.store();
    let path = fx.auth_json();
    let stored = store
        .login("quay.io", "me", &Secret::new(CANARY))
        .await
        .expect("login");
    assert_eq!(stored, StoredIn::File(path.clone()));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().expect("dir")), 0o700);
    // The file is what podman writes: tab-indented, auth = base64(user:password).
    let text = fs::read_to_string(&path).expect("read");
    assert!(
        text.starts_with("{\n\t\"auths\": {\n\t\t\"quay.io\""),
        "{text}"
    );
    assert!(!text.contains(CANARY), "password stored in clear: {text}");

    let got = store
        .resolve_with_source("quay.io", Some("quay.io/org/app"))
        .await
        .expect("resolve");
    assert_eq!(got.credentials, basic("me", CANARY));
    assert_eq!(got.source, CredentialSource::File(path.clone()));

    // A second registry keeps the first; logging in again replaces.
    store
        .login("docker.io", "hub", &Secret::new("p1"))
        .await
        .expect("login");
    store
        .login("docker.io", "hub", &Secret::new("p2"))
        .await
        .expect("login");
    assert_eq!(
        store
            .resolve("docker.io", Some("docker.io/library/busybox"))
            .await
            .expect("ok"),
        basic("hub", "p2")
    );
    assert_eq!(
        store.resolve("quay.io", None).await.expect("ok"),
        basic("me", CANARY)
    );
    assert_eq!(mode(&path), 0o600);

    store.logout("quay.io").await.expect("logout");
    assert_eq!(
        store.resolve("quay.io", None).await.expect("ok"),
        Credentials::Anonymous
    );
    assert_eq!(
        store.resolve("docker.io", None).await.expect("ok"),
        basic("hub", "p2")
    );
    assert_eq!(mode(&path), 0o600);
    let err = store.logout("quay.io").await.expect_err("again");
    assert_eq!(err.code(), "not-logged-in");
    assert!(err.to_string().contains("quay.io"), "{err}");

    // No temporary files are left next to auth.json.
    let names: Vec<_> = fs::read_dir(path.parent().expect("dir"))
        .expect("readdir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["auth.json"]);
}

#[tokio::test]
async fn logout_without_a_file() {
    let fx = Fixture::new();
    let err = fx.store().logout("quay.io").await.expect_err("no file");
    assert_eq!(err.code(), "not-logged-in");
    assert!(!fx.auth_json().exists());
}

#[tokio::test]
async fn namespaced_login() {
    let fx = Fixture::new();
    let store = fx.store();
    store
        .login("quay.io/org", "org", &Secret::new("p"))
        .await
        .expect("login");
    store
        .login("quay.io", "host", &Secret::new("p"))
        .await
        .expect("login");
    assert_eq!(
        store
            .resolve("quay.io", Some("quay.io/org/app"))
            .await
            .expect("ok"),
        basic("org", "p")
    );
    assert_eq!(
        store
            .resolve("quay.io", Some("quay.io/other/app"))
            .await
            .expect("ok"),
        basic("host", "p")
    );
    store.logout("quay.io/org").await.expect("logout");
    assert_eq!(
        store
            .resolve("quay.io", Some("quay.io/org/app"))
            .await
            .expect("ok"),
        basic("host", "p")
    );
}

#[tokio::test]
async fn login_keeps_unknown_fields_and_replaces_loose_modes() {
    let fx = Fixture::new();
    let path = fx.auth_json();
    fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    fs::write(
        &path,
        r#"{"auths":{"a.io":{"auth":"Zm9vOmJhcg=="}},"proxies":{"default":{"httpProxy":"x"}}}"#,
    )
    .expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    fx.store()
        .login("b.io", "u", &Secret::new("p"))
        .await
        .expect("login");
    assert_eq!(mode(&path), 0o600);
    let value: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).expect("read")).expect("json");
    assert_eq!(value["proxies"]["default"]["httpProxy"], "x");
    assert_eq!(value["auths"]["a.io"]["auth"], "Zm9vOmJhcg==");
    assert!(value["auths"]["b.io"]["auth"].is_string());
}

#[tokio::test]
async fn login_target_files() {
    // REGISTRY_AUTH_FILE, in a directory that does not exist yet.
    let fx = Fixture::new();
    let explicit = fx.root.join("deep/er/auth.json");
    let env = CredentialEnv {
        registry_auth_file: Some(explicit.clone()),
        ..fx.env()
    };
    let stored = CredentialStore::new(env)
        .login("quay.io", "u", &Secret::new("p"))
        .await
        .expect("login");
    assert_eq!(stored, StoredIn::File(explicit.clone()));
    assert_eq!(mode(&explicit), 0o600);
    assert_eq!(mode(&fx.root.join("deep/er")), 0o700);
    assert!(!fx.auth_json().exists());

    // XDG_RUNTIME_DIR set to a missing directory: refused, as containers/image does.
    let env = CredentialEnv {
        xdg_runtime_dir: Some(fx.root.join("missing-runtime")),
        ..fx.env()
    };
    let err = CredentialStore::new(env)
        .login("quay.io", "u", &Secret::new("p"))
        .await
        .expect_err("missing runtime dir");
    assert_eq!(err.code(), "xdg-runtime-dir-missing");
    assert!(err.to_string().contains("missing-runtime"), "{err}");

    // Neither XDG_RUNTIME_DIR nor a uid: ~/.config/containers/auth.json, which is
    // also read.
    let env = CredentialEnv {
        xdg_runtime_dir: None,
        uid: None,
        ..fx.env()
    };
    let store = CredentialStore::new(env);
    let stored = store
        .login("quay.io", "cfg", &Secret::new("p"))
        .await
        .expect("login");
    let path = fx.root.join("home/.config/containers/auth.json");
    assert_eq!(stored, StoredIn::File(path.clone()));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        store.resolve("quay.io", None).await.expect("ok"),
        basic("cfg", "p")
    );

    // Nothing known at all.
    let err = CredentialStore::new(CredentialEnv::default())
        .login("quay.io", "u", &Secret::new("p"))
        .await
        .expect_err("nowhere");
    assert_eq!(err.code(), "auth-file-location-unknown");
}

#[tokio::test]
async fn login_errors_leave_the_file_alone() {
    let fx = Fixture::new();
    let path = fx.auth_json();
    fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    let corrupt = format!("{{\"auths\": {{\"a.io\": {{\"auth\": \"{CANARY}\"");
    fs::write(&path, &corrupt).expect("write");
    let store = fx.store();
    let err = store
        .login("quay.io", "u", &Secret::new("p"))
        .await
        .expect_err("corrupt");
    assert_eq!(err.code(), "docker-config-invalid-json");
    assert!(err.to_string().contains("auth.json"), "{err}");
    let err = store.logout("a.io").await.expect_err("corrupt");
    assert_eq!(err.code(), "docker-config-invalid-json");
    assert_eq!(fs::read_to_string(&path).expect("read"), corrupt);

    fs::remove_file(&path).expect("rm");
    let cases = [
        ("quay.io", "a:b", "username-contains-colon"),
        ("https://quay.io", "u", "invalid-registry-key"),
        ("quay.io/app:tag", "u", "invalid-registry-key"),
        ("", "u", "invalid-registry-key"),
    ];
    for (key, user, code) in cases {
        let err = store
            .login(key, user, &Secret::new(CANARY))
            .await
            .expect_err(key);
        assert_eq!(err.code(), code, "{key}");
        assert!(!format!("{err} {err:?}").contains(CANARY));
    }
    assert!(!path.exists());
}

fn recording_helper(fx: &Fixture, name: &str, body: &str) {
    let record = fx.root.display();
    let script = format!("#!/bin/sh\ncat > '{record}/{name}.'\"$1\"'.stdin'\n{body}\n");
    let path = fx
        .root
        .join("bin")
        .join(format!("docker-credential-{name}"));
    fs::write(&path, script).expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[tokio::test]
async fn login_through_a_helper_named_by_the_file() {
    let fx = Fixture::new();
    recording_helper(
        &fx,
        "vault",
        r#"case "$1" in get) printf '%s' '{"Username":"v","Secret":"s"}';; esac"#,
    );
    let path = fx.auth_json();
    fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    let original = r#"{"credHelpers":{"quay.io":"vault"}}"#;
    fs::write(&path, original).expect("write");
    let store = fx.store();
    let stored = store
        .login("quay.io", "me", &Secret::new(CANARY))
        .await
        .expect("login");
    assert_eq!(stored, StoredIn::Helper("vault".into()));
    let sent: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(fx.root.join("vault.store.stdin")).expect("stdin"),
    )
    .expect("json");
    assert_eq!(
        sent,
        serde_json::json!({"ServerURL": "quay.io", "Username": "me", "Secret": CANARY})
    );
    // The file itself is untouched.
    assert_eq!(fs::read_to_string(&path).expect("read"), original);

    // Namespaced keys cannot go to a helper.
    let err = store
        .login("quay.io/org", "me", &Secret::new("p"))
        .await
        .expect_err("namespaced");
    assert_eq!(err.code(), "credential-helper-namespace-unsupported");

    // Logout erases through the helper; a helper failure is reported.
    store.logout("quay.io").await.expect("logout");
    assert_eq!(
        fs::read_to_string(fx.root.join("vault.erase.stdin")).expect("stdin"),
        "quay.io"
    );
    recording_helper(
        &fx,
        "vault",
        "echo 'credentials not found in native keychain'; exit 1",
    );
    assert_eq!(
        store.logout("quay.io").await.map_err(|e| e.code()),
        Err("not-logged-in")
    );
    recording_helper(&fx, "vault", "echo 'store is locked' >&2; exit 2");
    let err = store
        .login("quay.io", "me", &Secret::new(CANARY))
        .await
        .expect_err("locked");
    assert_eq!(err.code(), "credential-helper-failed");
    assert!(err.to_string().ends_with("store is locked"), "{err}");
    assert!(!format!("{err:?}").contains(CANARY));
}

#[tokio::test]
async fn docker_hub_login_through_creds_store() {
    // A docker-style file (REGISTRY_AUTH_FILE pointing at it) with credsStore: Hub
    // credentials go to the helper under docker's legacy key.
    let fx = Fixture::new();
    recording_helper(&fx, "desk", "");
    let file = fx.root.join("config.json");
    fs::write(&file, r#"{"credsStore":"desk"}"#).expect("write");
    let env = CredentialEnv {
        registry_auth_file: Some(file),
        ..fx.env()
    };
    let stored = CredentialStore::new(env)
        .with_helper_timeout(Duration::from_secs(5))
        .login("docker.io", "hub", &Secret::new("p"))
        .await
        .expect("login");
    assert_eq!(stored, StoredIn::Helper("desk".into()));
    let sent: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fx.root.join("desk.store.stdin")).expect("stdin"))
            .expect("json");
    assert_eq!(sent["ServerURL"], "https://index.docker.io/v1/");

    // A key the core would not write never reaches the helper.
    fs::remove_file(fx.root.join("desk.store.stdin")).expect("rm");
    let env = CredentialEnv {
        registry_auth_file: Some(fx.root.join("config.json")),
        ..fx.env()
    };
    let store = CredentialStore::new(env);
    for key in ["https://quay.io", "quay.io/app:tag"] {
        let err = store
            .login(key, "u", &Secret::new("p"))
            .await
            .expect_err(key);
        assert_eq!(err.code(), "invalid-registry-key", "{key}");
        let err = store.logout(key).await.expect_err(key);
        assert_eq!(err.code(), "invalid-registry-key", "{key}");
    }
    assert!(!fx.root.join("desk.store.stdin").exists());
    // docker's own Hub key is accepted and goes to the helper as is.
    store
        .login("https://index.docker.io/v1/", "hub", &Secret::new("p"))
        .await
        .expect("login");
    let sent: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fx.root.join("desk.store.stdin")).expect("stdin"))
            .expect("json");
    assert_eq!(sent["ServerURL"], "https://index.docker.io/v1/");
}

#[tokio::test]
async fn logout_removes_a_legacy_url_key() {
    let fx = Fixture::new();
    let path = fx.auth_json();
    fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    fs::write(
        &path,
        r#"{"auths":{"https://index.docker.io/v1/":{"auth":"Zm9vOmJhcg=="}}}"#,
    )
    .expect("write");
    let store = fx.store();
    assert_eq!(
        store.resolve("docker.io", None).await.expect("ok"),
        basic("foo", "bar")
    );
    store.logout("docker.io").await.expect("logout");
    assert_eq!(
        store.resolve("docker.io", None).await.expect("ok"),
        Credentials::Anonymous
    );
}
