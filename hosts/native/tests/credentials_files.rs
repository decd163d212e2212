//! Auth file locations, their order, keys and error handling, all under a fake HOME and
//! XDG_RUNTIME_DIR in a temporary directory.

use std::fs;
use std::path::PathBuf;

use hoist::credentials::{
    parse_creds, CredentialEnv, CredentialError, CredentialSource, CredentialStore,
};
use hoist_core::auth::{Credentials, Secret};
use hoist_core::ErrorCode;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_owned();
        fs::create_dir_all(root.join("home")).expect("home");
        fs::create_dir_all(root.join("run")).expect("run");
        Fixture { _dir: dir, root }
    }

    fn env(&self) -> CredentialEnv {
        CredentialEnv {
            xdg_runtime_dir: Some(self.root.join("run")),
            home: Some(self.root.join("home")),
            path: Some("/nonexistent".into()),
            ..CredentialEnv::default()
        }
    }

    fn store(&self) -> CredentialStore {
        CredentialStore::new(self.env())
    }

    fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.root.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, contents).expect("write");
        path
    }
}

/// `{"auths":{key:{"auth":base64(user:pass)}}}` for one key.
fn auths(entries: &[(&str, &str, &str)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .map(|(key, user, pass)| {
            (
                (*key).to_owned(),
                serde_json::json!({ "auth": b64(&format!("{user}:{pass}")) }),
            )
        })
        .collect();
    serde_json::json!({ "auths": map }).to_string()
}

fn b64(s: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = s.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn basic(user: &str, pass: &str) -> Credentials {
    Credentials::Basic {
        username: user.into(),
        password: Secret::new(pass),
    }
}

async fn source_of(store: &CredentialStore, host: &str, repo: Option<&str>) -> CredentialSource {
    store
        .resolve_with_source(host, repo)
        .await
        .expect("resolve")
        .source
}

async fn code(store: &CredentialStore, host: &str, repo: Option<&str>) -> &'static str {
    store
        .resolve(host, repo)
        .await
        .map(|c| c.kind())
        .unwrap_or_else(|e| e.code())
}

const RUNTIME: &str = "run/containers/auth.json";
const XDG_CONFIG: &str = "home/.config/containers/auth.json";
const DOCKER: &str = "home/.docker/config.json";
const LEGACY: &str = "home/.dockercfg";

#[tokio::test]
async fn each_location_alone() {
    for (rel, legacy) in [
        (RUNTIME, false),
        (XDG_CONFIG, false),
        (DOCKER, false),
        (LEGACY, true),
    ] {
        let fx = Fixture::new();
        let text = if legacy {
            format!(r#"{{"quay.io":{{"auth":"{}"}}}}"#, b64("u:p"))
        } else {
            auths(&[("quay.io", "u", "p")])
        };
        let path = fx.write(rel, &text);
        let store = fx.store();
        let got = store
            .resolve_with_source("quay.io", Some("quay.io/org/app"))
            .await
            .expect(rel);
        assert_eq!(got.credentials, basic("u", "p"), "{rel}");
        assert_eq!(got.source, CredentialSource::File(path), "{rel}");
    }
}

#[tokio::test]
async fn docker_config_env_replaces_home_docker_dir() {
    let fx = Fixture::new();
    fx.write(DOCKER, &auths(&[("quay.io", "home", "p")]));
    let path = fx.write(
        "dockercfgdir/config.json",
        &auths(&[("quay.io", "dc", "p")]),
    );
    let env = CredentialEnv {
        docker_config_dir: Some(fx.root.join("dockercfgdir")),
        ..fx.env()
    };
    let store = CredentialStore::new(env);
    assert_eq!(
        source_of(&store, "quay.io", None).await,
        CredentialSource::File(path)
    );
    assert_eq!(
        store.resolve("quay.io", None).await.expect("ok"),
        basic("dc", "p")
    );
}

#[tokio::test]
async fn xdg_config_home_env() {
    let fx = Fixture::new();
    let path = fx.write("cfg/containers/auth.json", &auths(&[("quay.io", "x", "p")]));
    fx.write(XDG_CONFIG, &auths(&[("quay.io", "home", "p")]));
    let env = CredentialEnv {
        xdg_config_home: Some(fx.root.join("cfg")),
        ..fx.env()
    };
    assert_eq!(
        source_of(&CredentialStore::new(env), "quay.io", None).await,
        CredentialSource::File(path)
    );
}

#[tokio::test]
async fn order_first_file_with_an_entry_wins() {
    let fx = Fixture::new();
    let files = [
        fx.write(RUNTIME, &auths(&[("quay.io", "runtime", "p")])),
        fx.write(XDG_CONFIG, &auths(&[("quay.io", "xdg", "p")])),
        fx.write(DOCKER, &auths(&[("quay.io", "docker", "p")])),
        fx.write(
            LEGACY,
            &format!(r#"{{"quay.io":{{"auth":"{}"}}}}"#, b64("legacy:p")),
        ),
    ];
    let store = fx.store();
    for (i, (file, user)) in files
        .iter()
        .zip(["runtime", "xdg", "docker", "legacy"])
        .enumerate()
    {
        let got = store
            .resolve_with_source("quay.io", None)
            .await
            .expect("resolve");
        assert_eq!(got.credentials, basic(user, "p"), "step {i}");
        assert_eq!(got.source, CredentialSource::File(file.clone()), "step {i}");
        // A file without an entry for the key does not stop the search.
        fs::write(file, auths(&[("other.io", "o", "p")])).expect("rewrite");
    }
    assert_eq!(
        store.resolve("quay.io", None).await.expect("ok"),
        Credentials::Anonymous
    );
    assert_eq!(
        source_of(&store, "quay.io", None).await,
        CredentialSource::None
    );
}

#[tokio::test]
async fn no_files_is_anonymous() {
    let fx = Fixture::new();
    assert_eq!(code(&fx.store(), "quay.io", None).await, "anonymous");
    // A missing XDG_RUNTIME_DIR does not break reading the other files.
    fx.write(DOCKER, &auths(&[("quay.io", "d", "p")]));
    let env = CredentialEnv {
        xdg_runtime_dir: Some(fx.root.join("no-such-dir")),
        ..fx.env()
    };
    assert_eq!(
        CredentialStore::new(env)
            .resolve("quay.io", None)
            .await
            .expect("ok"),
        basic("d", "p")
    );
    // Nothing known at all: no files to read.
    let store = CredentialStore::new(CredentialEnv::default());
    assert_eq!(code(&store, "quay.io", None).await, "anonymous");
}

#[tokio::test]
async fn registry_auth_file_is_the_only_file() {
    let fx = Fixture::new();
    fx.write(RUNTIME, &auths(&[("quay.io", "runtime", "p")]));
    fx.write(DOCKER, &auths(&[("quay.io", "docker", "p")]));
    let explicit = fx.root.join("explicit.json");
    let env = CredentialEnv {
        registry_auth_file: Some(explicit.clone()),
        ..fx.env()
    };
    let store = CredentialStore::new(env);
    // Missing explicit file: anonymous, the defaults are not consulted.
    assert_eq!(code(&store, "quay.io", None).await, "anonymous");
    fs::write(&explicit, auths(&[("quay.io", "explicit", "p")])).expect("write");
    let got = store
        .resolve_with_source("quay.io", None)
        .await
        .expect("ok");
    assert_eq!(got.credentials, basic("explicit", "p"));
    assert_eq!(got.source, CredentialSource::File(explicit));
}

#[tokio::test]
async fn namespaced_keys() {
    let fx = Fixture::new();
    fx.write(
        RUNTIME,
        &auths(&[
            ("quay.io/org/app", "app", "p"),
            ("quay.io/org", "org", "p"),
            ("quay.io", "host", "p"),
            ("localhost:5000/team", "team", "p"),
        ]),
    );
    let store = fx.store();
    let cases = [
        ("quay.io", Some("quay.io/org/app"), "app"),
        ("quay.io", Some("quay.io/org/other"), "org"),
        ("quay.io", Some("quay.io/org/sub/deep"), "org"),
        ("quay.io", Some("quay.io/elsewhere/x"), "host"),
        ("quay.io", None, "host"),
        ("localhost:5000", Some("localhost:5000/team/x"), "team"),
    ];
    for (host, repo, user) in cases {
        assert_eq!(
            store.resolve(host, repo).await.expect("resolve"),
            basic(user, "p"),
            "{repo:?}"
        );
    }
    assert_eq!(
        code(&store, "localhost:5000", Some("localhost:5000/other")).await,
        "anonymous"
    );
}

#[tokio::test]
async fn namespaced_entry_in_a_later_file_loses_to_host_entry_in_an_earlier_one() {
    // containers/image searches file by file: the first file with any matching key wins.
    let fx = Fixture::new();
    fx.write(RUNTIME, &auths(&[("quay.io", "host", "p")]));
    fx.write(DOCKER, &auths(&[("quay.io/org", "org", "p")]));
    assert_eq!(
        fx.store()
            .resolve("quay.io", Some("quay.io/org/app"))
            .await
            .expect("ok"),
        basic("host", "p")
    );
}

#[tokio::test]
async fn docker_hub_legacy_key() {
    let fx = Fixture::new();
    fx.write(
        DOCKER,
        &auths(&[("https://index.docker.io/v1/", "hub", "p")]),
    );
    let store = fx.store();
    for (host, repo) in [
        ("docker.io", Some("docker.io/library/busybox")),
        ("docker.io", None),
        ("index.docker.io", None),
        (
            "registry-1.docker.io",
            Some("registry-1.docker.io/library/x"),
        ),
    ] {
        assert_eq!(
            store.resolve(host, repo).await.expect("resolve"),
            basic("hub", "p"),
            "{host} {repo:?}"
        );
    }
    // podman writes plain "docker.io"; that works too, and a legacy .dockercfg URL key.
    let fx = Fixture::new();
    fx.write(RUNTIME, &auths(&[("docker.io", "podman", "p")]));
    assert_eq!(
        fx.store()
            .resolve("docker.io", Some("docker.io/library/busybox"))
            .await
            .expect("ok"),
        basic("podman", "p")
    );
    let fx = Fixture::new();
    fx.write(
        LEGACY,
        &format!(
            r#"{{"https://index.docker.io/v1/":{{"auth":"{}","email":"e@x"}}}}"#,
            b64("old:p")
        ),
    );
    assert_eq!(
        fx.store()
            .resolve("docker.io", Some("docker.io/library/busybox"))
            .await
            .expect("ok"),
        basic("old", "p")
    );
}

#[tokio::test]
async fn identity_and_registry_tokens_from_files() {
    let fx = Fixture::new();
    fx.write(
        RUNTIME,
        r#"{"auths":{"a.io":{"identitytoken":"rt"},"b.io":{"registrytoken":"bt"}}}"#,
    );
    let store = fx.store();
    assert_eq!(
        store.resolve("a.io", None).await.expect("ok").kind(),
        "identity-token"
    );
    assert_eq!(
        store.resolve("b.io", None).await.expect("ok"),
        Credentials::RegistryToken(Secret::new("bt"))
    );
}

#[tokio::test]
async fn corrupt_file_is_an_error_naming_it() {
    let fx = Fixture::new();
    let bad = fx.write(RUNTIME, "{\"auths\": {");
    fx.write(DOCKER, &auths(&[("quay.io", "docker", "p")]));
    let err = fx
        .store()
        .resolve("quay.io", None)
        .await
        .expect_err("corrupt");
    assert_eq!(err.code(), "docker-config-invalid-json");
    let text = err.to_string();
    assert!(text.contains(&bad.display().to_string()), "{text}");
    // The code travels in `code()` (the CLI prints it once, as `error[CODE]`).
    assert!(!text.contains("docker-config-invalid-json"), "{text}");
    assert!(
        matches!(err, CredentialError::AuthFile { ref path, .. } if *path == bad),
        "{err:?}"
    );

    // Wrong types fail the whole file too.
    fs::write(&bad, r#"{"auths":[]}"#).expect("write");
    assert_eq!(
        code(&fx.store(), "quay.io", None).await,
        "docker-config-invalid"
    );
    // An empty file is not JSON either.
    fs::write(&bad, "").expect("write");
    assert_eq!(
        code(&fx.store(), "quay.io", None).await,
        "docker-config-invalid-json"
    );
}

#[tokio::test]
async fn bad_entries() {
    let fx = Fixture::new();
    fx.write(
        RUNTIME,
        &format!(
            r#"{{"auths":{{"b64.io":{{"auth":"!!!not-base64"}},"colon.io":{{"auth":"{}"}},"good.io":{{"auth":"{}"}}}}}}"#,
            b64("no-colon-here"),
            b64("g:p")
        ),
    );
    let store = fx.store();
    assert_eq!(code(&store, "b64.io", None).await, "auth-invalid-base64");
    assert_eq!(code(&store, "colon.io", None).await, "auth-missing-colon");
    // One bad entry does not lock out the others.
    assert_eq!(
        store.resolve("good.io", None).await.expect("ok"),
        basic("g", "p")
    );
    let err = store.resolve("b64.io", None).await.expect_err("bad");
    assert!(err.to_string().contains("auth.json"), "{err}");
}

#[tokio::test]
async fn directory_in_place_of_file_is_unreadable() {
    let fx = Fixture::new();
    fs::create_dir_all(fx.root.join(RUNTIME)).expect("mkdir");
    let err = fx
        .store()
        .resolve("quay.io", None)
        .await
        .expect_err("a directory");
    assert_eq!(err.code(), "auth-file-unreadable");
    assert!(err.to_string().contains(RUNTIME), "{err}");
}

#[cfg(unix)]
#[tokio::test]
async fn unreadable_file_mode_000() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    let path = fx.write(RUNTIME, &auths(&[("quay.io", "u", "p")]));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).expect("chmod");
    if fs::read(&path).is_ok() {
        eprintln!(
            "SKIP unreadable_file_mode_000: running as root (or with CAP_DAC_OVERRIDE), \
             which reads a mode-000 file anyway"
        );
        return;
    }
    let err = fx
        .store()
        .resolve("quay.io", None)
        .await
        .expect_err("unreadable");
    assert_eq!(err.code(), "auth-file-unreadable");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("ermission denied"), "{text}");
}

#[tokio::test]
async fn creds_override_wins() {
    let fx = Fixture::new();
    fx.write(RUNTIME, &auths(&[("quay.io", "file", "p")]));
    let store = fx
        .store()
        .with_creds(parse_creds("flag:pa:ss").expect("creds"));
    let got = store
        .resolve_with_source("quay.io", Some("quay.io/a/b"))
        .await
        .expect("ok");
    assert_eq!(got.credentials, basic("flag", "pa:ss"));
    assert_eq!(got.source, CredentialSource::Override);
    // Even a corrupt file is not read when --creds is given.
    fx.write(RUNTIME, "not json");
    assert_eq!(
        store.resolve("quay.io", None).await.expect("ok"),
        basic("flag", "pa:ss")
    );
    assert_eq!(
        parse_creds("nocolon").map(|_| ()).map_err(|e| e.code()),
        Err("creds-missing-colon")
    );
}

#[tokio::test]
async fn bad_keys() {
    let fx = Fixture::new();
    let store = fx.store();
    let cases = [
        (
            "quay.io",
            Some("quay.io/app:latest"),
            "invalid-registry-key",
        ),
        (
            "quay.io",
            Some("quay.io/app@sha256:00"),
            "invalid-registry-key",
        ),
        ("https://quay.io", None, "invalid-registry-key"),
        ("quay.io/org", None, "invalid-registry-key"),
        ("", None, "invalid-registry-key"),
    ];
    for (host, repo, want) in cases {
        assert_eq!(code(&store, host, repo).await, want, "{host} {repo:?}");
    }
}

#[tokio::test]
async fn repository_on_another_registry_is_ignored() {
    let fx = Fixture::new();
    fx.write(
        RUNTIME,
        &auths(&[
            ("mirror.example.com", "mirror", "p"),
            ("docker.io/org", "org", "p"),
            ("docker.io", "hub", "p"),
        ]),
    );
    let store = fx.store();
    // A mirror asked about with the original name: the mirror's host entry.
    assert_eq!(
        store
            .resolve("mirror.example.com", Some("docker.io/org/app"))
            .await
            .expect("ok"),
        basic("mirror", "p")
    );
    assert_eq!(
        code(&store, "quay.io", Some("quay.iox/a")).await,
        "anonymous"
    );
    // Docker Hub's endpoint host and its canonical name are one registry, so
    // namespaced docker.io keys still match.
    for host in ["registry-1.docker.io", "index.docker.io", "docker.io"] {
        assert_eq!(
            store
                .resolve(host, Some("docker.io/org/app"))
                .await
                .expect("ok"),
            basic("org", "p"),
            "{host}"
        );
        assert_eq!(
            store
                .resolve(host, Some("docker.io/library/busybox"))
                .await
                .expect("ok"),
            basic("hub", "p"),
            "{host}"
        );
    }
}

#[tokio::test]
async fn oversized_file() {
    let fx = Fixture::new();
    let path = fx.root.join(RUNTIME);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(&path, vec![b' '; (4 << 20) + 1]).expect("write");
    assert_eq!(
        code(&fx.store(), "quay.io", None).await,
        "docker-config-too-large"
    );
}

#[tokio::test]
async fn canary_never_in_errors() {
    const CANARY: &str = "CANARY-7f3a9";
    let fx = Fixture::new();
    let mut errors: Vec<CredentialError> = Vec::new();
    let canary_b64 = b64(&format!("{CANARY}{CANARY}"));
    let files = [
        // Corrupt JSON around a secret.
        format!(r#"{{"auths":{{"quay.io":{{"auth":"{CANARY}"#),
        // A decoded auth with no colon: the decoded text is the secret.
        format!(r#"{{"auths":{{"quay.io":{{"auth":"{canary_b64}"}}}}}}"#),
        // Not base64, and the raw text is the secret.
        format!(r#"{{"auths":{{"quay.io":{{"auth":"{CANARY}!"}}}}}}"#),
        // Wrong type next to a secret.
        format!(r#"{{"auths":{{"quay.io":{{"password":"{CANARY}","auth":7}}}}}}"#),
        // Duplicate keys.
        format!(r#"{{"auths":{{"quay.io":{{"password":"{CANARY}"}}}},"auths":{{}}}}"#),
    ];
    for text in &files {
        fx.write(RUNTIME, text);
        errors.push(
            fx.store()
                .resolve("quay.io", Some("quay.io/a"))
                .await
                .expect_err(text),
        );
    }
    errors.push(parse_creds(CANARY).expect_err("no colon"));
    assert_eq!(errors.len(), 6);
    for err in &errors {
        let text = format!("{err} | {err:?} | {err:#?}");
        assert!(!text.contains(CANARY), "{text}");
        assert!(!text.contains(&canary_b64), "{text}");
    }
    // Successful results print redacted too.
    fx.write(RUNTIME, &auths(&[("quay.io", "u", CANARY)]));
    let got = fx
        .store()
        .resolve_with_source("quay.io", None)
        .await
        .expect("ok");
    assert!(!format!("{got:?}").contains(CANARY));
    let flag = fx
        .store()
        .with_creds(parse_creds(&format!("u:{CANARY}")).expect("creds"));
    assert!(!format!("{flag:?}").contains(CANARY));
}

/// The drive loop runs lookups on `tokio::spawn`: the store and its futures are `Send`.
#[test]
fn futures_are_send() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}
    send_sync::<CredentialStore>();
    send_sync::<CredentialError>();
    let store = CredentialStore::new(CredentialEnv::default());
    send(&store.resolve("quay.io", Some("quay.io/a")));
    send(&store.resolve_with_source("quay.io", None));
    let password = Secret::new("p");
    send(&store.login("quay.io", "u", &password));
    send(&store.logout("quay.io"));
}
