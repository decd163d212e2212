//! Credential helpers: fake `docker-credential-*` shell scripts in a temporary bin
//! directory, put first on the PATH of the child only (through `CredentialEnv::path`).
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hoist::credentials::{CredentialEnv, CredentialError, CredentialSource, CredentialStore};
use hoist_core::auth::{Credentials, Secret};
use hoist_core::ErrorCode;

const CANARY: &str = "CANARY-h3lp3r";

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_owned();
        for sub in ["home", "run/containers", "bin"] {
            fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        Fixture { _dir: dir, root }
    }

    fn env(&self) -> CredentialEnv {
        let path = std::env::join_paths([
            self.root.join("bin"),
            PathBuf::from("/usr/bin"),
            PathBuf::from("/bin"),
        ])
        .expect("PATH");
        CredentialEnv {
            xdg_runtime_dir: Some(self.root.join("run")),
            home: Some(self.root.join("home")),
            path: Some(path),
            ..CredentialEnv::default()
        }
    }

    fn store(&self) -> CredentialStore {
        CredentialStore::new(self.env()).with_helper_timeout(Duration::from_secs(1))
    }

    /// Writes `docker-credential-<name>`: a shell script that first saves its argument
    /// and stdin to `<root>/<name>.<action>.{stdin}` and then runs `body`.
    fn helper(&self, name: &str, body: &str) {
        let record = self.root.display();
        let script = format!(
            "#!/bin/sh\ncat > '{record}/{name}.'\"$1\"'.stdin'\necho \"$PATH\" > '{record}/{name}.path'\n{body}\n"
        );
        let path = self
            .root
            .join("bin")
            .join(format!("docker-credential-{name}"));
        fs::write(&path, script).expect("write helper");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    fn recorded(&self, name: &str, action: &str) -> String {
        fs::read_to_string(self.root.join(format!("{name}.{action}.stdin"))).expect("recorded")
    }

    fn auth_json(&self, text: &str) -> PathBuf {
        let path = self.root.join("run/containers/auth.json");
        fs::write(&path, text).expect("write");
        path
    }

    fn docker_config(&self, text: &str) -> PathBuf {
        let path = self.root.join("home/.docker/config.json");
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, text).expect("write");
        path
    }
}

fn basic(user: &str, pass: &str) -> Credentials {
    Credentials::Basic {
        username: user.into(),
        password: Secret::new(pass),
    }
}

const GOOD: &str =
    r#"printf '%s' '{"ServerURL":"quay.io","Username":"helper-user","Secret":"helper-pw"}'"#;
const NOT_FOUND: &str = "echo 'credentials not found in native keychain'; exit 1";

#[tokio::test]
async fn good_output() {
    let fx = Fixture::new();
    fx.helper("good", GOOD);
    let file = fx.auth_json(r#"{"credHelpers":{"quay.io":"good"}}"#);
    let got = fx
        .store()
        .resolve_with_source("quay.io", Some("quay.io/org/app"))
        .await
        .expect("resolve");
    assert_eq!(got.credentials, basic("helper-user", "helper-pw"));
    assert_eq!(
        got.source,
        CredentialSource::Helper {
            helper: "good".into(),
            file
        }
    );
    // The helper was asked about the bare host, with no newline, and saw our PATH.
    assert_eq!(fx.recorded("good", "get"), "quay.io");
    let path = fs::read_to_string(fx.root.join("good.path")).expect("path");
    assert!(
        path.starts_with(&fx.root.join("bin").display().to_string()),
        "{path}"
    );
}

#[tokio::test]
async fn docker_hub_server_url_and_identity_token() {
    let fx = Fixture::new();
    fx.helper(
        "hub",
        r#"printf '%s' '{"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"refresh"}'"#,
    );
    fx.docker_config(r#"{"auths":{"https://index.docker.io/v1/":{}},"credsStore":"hub"}"#);
    let got = fx
        .store()
        .resolve("docker.io", Some("docker.io/library/busybox"))
        .await
        .expect("resolve");
    assert_eq!(
        got,
        Credentials::IdentityToken {
            username: "<token>".into(),
            token: Secret::new("refresh"),
        }
    );
    assert_eq!(fx.recorded("hub", "get"), "https://index.docker.io/v1/");
}

#[tokio::test]
async fn garbage_output() {
    let fx = Fixture::new();
    fx.helper("garbage", &format!("echo 'this is not json {CANARY}'"));
    fx.auth_json(r#"{"credHelpers":{"quay.io":"garbage"}}"#);
    let err = fx
        .store()
        .resolve("quay.io", None)
        .await
        .expect_err("garbage");
    assert_eq!(err.code(), "helper-output-invalid-json");
    let text = format!("{err} {err:?}");
    assert!(text.contains("docker-credential-garbage"), "{text}");
    assert!(!text.contains(CANARY), "{text}");

    // JSON of the wrong shape is the core's helper-output-invalid.
    fx.helper("shape", r#"printf '%s' '{"Username":"u"}'"#);
    fx.auth_json(r#"{"credHelpers":{"quay.io":"shape"}}"#);
    assert_eq!(
        fx.store()
            .resolve("quay.io", None)
            .await
            .map_err(|e| e.code()),
        Err("helper-output-invalid")
    );
}

#[tokio::test]
async fn hanging_helper_times_out() {
    let fx = Fixture::new();
    fx.helper("hang", "exec sleep 30");
    fx.auth_json(r#"{"credHelpers":{"quay.io":"hang"}}"#);
    let start = Instant::now();
    let err = fx
        .store()
        .resolve("quay.io", None)
        .await
        .expect_err("timeout");
    let elapsed = start.elapsed();
    assert_eq!(err.code(), "credential-helper-timeout");
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert_eq!(
        err,
        CredentialError::HelperTimeout {
            helper: "hang".into(),
            limit_ms: 1000
        }
    );
    assert!(err.to_string().contains("1000 ms"), "{err}");
}

#[tokio::test]
async fn hanging_grandchild_does_not_outlive_the_limit() {
    // The script itself waits on a child (no exec): killing the script must still end
    // the wait within the limit.
    let fx = Fixture::new();
    fx.helper("hang2", "sleep 5; echo late");
    fx.auth_json(r#"{"credHelpers":{"quay.io":"hang2"}}"#);
    let start = Instant::now();
    let err = fx
        .store()
        .resolve("quay.io", None)
        .await
        .expect_err("timeout");
    assert_eq!(err.code(), "credential-helper-timeout");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn not_found_is_anonymous_and_search_goes_on() {
    let fx = Fixture::new();
    fx.helper("nf", NOT_FOUND);
    fx.auth_json(r#"{"credHelpers":{"quay.io":"nf"}}"#);
    let got = fx
        .store()
        .resolve_with_source("quay.io", None)
        .await
        .expect("resolve");
    assert_eq!(got.credentials, Credentials::Anonymous);
    assert_eq!(got.source, CredentialSource::None);

    // A later file with credentials is used, as in containers/image.
    let docker = fx.docker_config(r#"{"auths":{"quay.io":{"username":"d","password":"p"}}}"#);
    let got = fx
        .store()
        .resolve_with_source("quay.io", None)
        .await
        .expect("resolve");
    assert_eq!(got.credentials, basic("d", "p"));
    assert_eq!(got.source, CredentialSource::File(docker));

    // The message on stderr with exit 1 counts too, and so does an empty answer.
    fx.helper(
        "nf2",
        "echo 'credentials not found in native keychain' >&2; exit 1",
    );
    fx.helper("empty", r#"printf '%s' '{"Username":"","Secret":""}'"#);
    for helper in ["nf2", "empty"] {
        fx.auth_json(&format!(r#"{{"credHelpers":{{"quay.io":"{helper}"}}}}"#));
        fs::remove_file(fx.root.join("home/.docker/config.json")).ok();
        assert_eq!(
            fx.store().resolve("quay.io", None).await.expect(helper),
            Credentials::Anonymous,
            "{helper}"
        );
    }
}

#[tokio::test]
async fn missing_helper_binary() {
    let fx = Fixture::new();
    fx.auth_json(r#"{"credHelpers":{"quay.io":"nosuchhelper-hoist"}}"#);
    let err = fx
        .store()
        .resolve("quay.io", None)
        .await
        .expect_err("missing");
    assert_eq!(err.code(), "credential-helper-not-found");
    assert!(
        err.to_string()
            .contains("docker-credential-nosuchhelper-hoist"),
        "{err}"
    );
    // A file that is there but not executable is not a helper either.
    let path = fx.root.join("bin/docker-credential-noexec");
    fs::write(&path, "#!/bin/sh\n").expect("write");
    fx.auth_json(r#"{"credHelpers":{"quay.io":"noexec"}}"#);
    assert_eq!(
        fx.store()
            .resolve("quay.io", None)
            .await
            .map_err(|e| e.code()),
        Err("credential-helper-not-found")
    );
    // A helper name that is a path is refused before any lookup.
    fx.auth_json(r#"{"credHelpers":{"quay.io":"../../../bin/sh"}}"#);
    assert_eq!(
        fx.store()
            .resolve("quay.io", None)
            .await
            .map_err(|e| e.code()),
        Err("credential-helper-invalid-name")
    );
}

#[tokio::test]
async fn failing_helper_keeps_only_first_stderr_line() {
    let fx = Fixture::new();
    let long = "y".repeat(400);
    fx.helper(
        "fail",
        &format!(
            "echo 'keychain locked {long}' >&2; echo 'token={CANARY}' >&2; printf '%s' '{{\"Secret\":\"{CANARY}\"}}'; exit 3"
        ),
    );
    fx.auth_json(r#"{"credHelpers":{"quay.io":"fail"}}"#);
    let err = fx
        .store()
        .resolve("quay.io", None)
        .await
        .expect_err("fails");
    assert_eq!(err.code(), "credential-helper-failed");
    let CredentialError::HelperFailed {
        ref helper,
        status,
        ref message,
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(helper, "fail");
    assert_eq!(status, Some(3));
    assert!(message.starts_with("keychain locked yyy"), "{message}");
    assert_eq!(message.chars().count(), 200);
    let text = format!("{err} {err:?}");
    assert!(!text.contains(CANARY), "{text}");
    assert!(text.contains("exit code 3"), "{text}");

    // A failing helper's plain stdout message is used when stderr is empty, JSON is not.
    fx.helper("failout", "echo 'error: no keychain'; exit 1");
    fx.auth_json(r#"{"credHelpers":{"quay.io":"failout"}}"#);
    let err = fx
        .store()
        .resolve("quay.io", None)
        .await
        .expect_err("fails");
    assert!(err.to_string().ends_with(": error: no keychain"), "{err}");
}

#[tokio::test]
async fn oversized_output() {
    let fx = Fixture::new();
    // 2 MiB of spaces, more than the core's 1 MiB limit; the helper is stopped.
    fx.helper("big", "head -c 2097152 /dev/zero | tr '\\0' ' '");
    fx.auth_json(r#"{"credHelpers":{"quay.io":"big"}}"#);
    let err = fx
        .store()
        .resolve("quay.io", None)
        .await
        .expect_err("too large");
    assert_eq!(err.code(), "helper-output-too-large");

    // An endless writer is stopped too, well before the time limit.
    fx.helper("endless", "exec yes");
    fx.auth_json(r#"{"credHelpers":{"quay.io":"endless"}}"#);
    let start = Instant::now();
    let err = fx
        .store()
        .with_helper_timeout(Duration::from_secs(30))
        .resolve("quay.io", None)
        .await
        .expect_err("too large");
    assert_eq!(err.code(), "helper-output-too-large");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn helper_that_ignores_stdin() {
    // A helper that never reads its input and answers anyway works.
    let fx = Fixture::new();
    let path = fx.root.join("bin/docker-credential-noread");
    fs::write(
        &path,
        "#!/bin/sh\nprintf '%s' '{\"Username\":\"u\",\"Secret\":\"s\"}'\n",
    )
    .expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    fx.auth_json(r#"{"credHelpers":{"quay.io":"noread"}}"#);
    assert_eq!(
        fx.store().resolve("quay.io", None).await.expect("ok"),
        basic("u", "s")
    );
}

#[tokio::test]
async fn concurrent_resolves() {
    let fx = Fixture::new();
    fx.helper("good", GOOD);
    fx.auth_json(r#"{"credHelpers":{"quay.io":"good"}}"#);
    let store = fx.store();
    let all = futures_join(&store).await;
    for got in all {
        assert_eq!(got.expect("ok"), basic("helper-user", "helper-pw"));
    }
}

async fn futures_join(store: &CredentialStore) -> [Result<Credentials, CredentialError>; 4] {
    let (a, b, c, d) = tokio::join!(
        store.resolve("quay.io", None),
        store.resolve("quay.io", Some("quay.io/a")),
        store.resolve("quay.io", Some("quay.io/b/c")),
        store.resolve("quay.io", None),
    );
    [a, b, c, d]
}
