//! Hostile authentication: token realms that point where credentials must not go, token
//! servers that refuse forever or answer too much, and broken credential sources (auth
//! files with bad base64, a missing colon or no read access; credential helpers that hang
//! or print garbage). Every case carries the canary secret and checks it appears in no
//! output, error or store file; failures leave the store byte-identical and the tag
//! unmoved.
#![allow(clippy::unwrap_used)]

mod hostile_support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use base64::Engine as _;
use hoist_testkit::fake::{Auth, Body, FakeRegistry, Reply};
use hostile_support::{origin_of, Case, CANARY, REPO, USER};

/// A case whose registry wants Bearer tokens from `realm`.
fn bearer_case(fake: FakeRegistry, realm: &str) -> Case {
    fake.set_auth(Auth::Bearer {
        realm: realm.to_owned(),
        user: USER.into(),
        password: CANARY.into(),
        token: format!("tok-{CANARY}"),
    });
    Case::with_fake(fake, false)
}

#[test]
fn token_flow_works_and_keeps_the_token_secret() {
    let mut fake = FakeRegistry::start(REPO).unwrap();
    let auth = fake.add_origin("127.0.0.2", false).unwrap();
    let case = bearer_case(fake, &format!("{auth}/token"));
    // Case::with_fake pulled through the token flow; the token went to the registry only.
    let again = case.pull(&case.reference());
    assert!(again.ok(), "{}", again.all());
    again.assert_no_canary();
    let log = case.fake.log();
    let token_reqs: Vec<_> = log.iter().filter(|s| s.path() == "/token").collect();
    assert!(token_reqs
        .iter()
        .all(|s| s.origin == origin_of(&auth) && s.authorization));
    assert!(log
        .iter()
        .filter(|s| s.origin == case.fake.host())
        .any(|s| s.header("authorization") == Some(&format!("Bearer tok-{CANARY}"))));
}

#[test]
fn token_realm_on_plain_http_for_an_https_registry() {
    let mut fake = FakeRegistry::start_tls(REPO).unwrap();
    let plain = fake.add_origin("127.0.0.1", false).unwrap();
    // The good image comes anonymously first; then the registry turns to tokens.
    let case = Case::with_fake(fake, false);
    case.fake.set_auth(Auth::Bearer {
        realm: format!("{plain}/token"),
        user: USER.into(),
        password: CANARY.into(),
        token: format!("tok-{CANARY}"),
    });
    case.expect_failure("realm-insecure-scheme");
    assert!(
        case.requests_on(&origin_of(&plain)).is_empty(),
        "credentials went over plain http"
    );
}

#[test]
fn token_realm_with_an_unsupported_scheme() {
    let case = Case::new();
    case.fake.set_auth(Auth::Bearer {
        realm: "ftp://127.0.0.1/token".into(),
        user: USER.into(),
        password: CANARY.into(),
        token: "t".into(),
    });
    case.expect_failure("realm-unsupported-scheme");
}

#[test]
fn token_realm_that_answers_401_forever() {
    let mut fake = FakeRegistry::start(REPO).unwrap();
    let auth = fake.add_origin("127.0.0.2", false).unwrap();
    let case = bearer_case(fake, &format!("{auth}/token"));
    case.fake
        .rule(|seen, _| (seen.path() == "/token").then(|| Reply::error(401, "UNAUTHORIZED")));
    case.fake.clear_log();
    let out = case.expect_failure("unauthorized");
    assert!(out.took < Duration::from_secs(20));
    let token_reqs = case
        .fake
        .log()
        .iter()
        .filter(|s| s.path() == "/token")
        .count();
    assert!((1..=4).contains(&token_reqs), "{token_reqs} token requests");
}

#[test]
fn registry_that_rejects_every_token() {
    let mut fake = FakeRegistry::start(REPO).unwrap();
    let auth = fake.add_origin("127.0.0.2", false).unwrap();
    let case = bearer_case(fake, &format!("{auth}/token"));
    let realm = format!("{auth}/token");
    // Tokens are issued, but the registry never accepts one: a 401 loop.
    case.fake.rule(move |seen, _| {
        seen.path().starts_with("/v2/").then(|| {
            Reply::error(401, "UNAUTHORIZED").header(
                "WWW-Authenticate",
                format!("Bearer realm=\"{realm}\",service=\"fake\""),
            )
        })
    });
    case.expect_failure("unauthorized");
    let total = case.fake.log().len();
    assert!(total <= 12, "the 401 loop is bounded: {total} requests");
}

#[test]
fn oversized_token() {
    let mut fake = FakeRegistry::start(REPO).unwrap();
    let auth = fake.add_origin("127.0.0.2", false).unwrap();
    let case = bearer_case(fake, &format!("{auth}/token"));
    case.fake.rule(|seen, _| {
        (seen.path() == "/token").then(|| {
            Reply::status(200)
                .header("Content-Type", "application/json")
                .body(Body::Endless)
        })
    });
    case.expect_failure("token-too-large");
}

/// Replaces the auth file with `text`.
fn auth_file(case: &Case, text: &str) {
    std::fs::write(case.auth_file(), text).unwrap();
}

#[test]
fn auth_file_with_bad_base64() {
    let case = Case::new();
    let good = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{CANARY}"));
    let text = serde_json::json!({"auths": {case.fake.host(): {"auth": format!("{good}!*")}}});
    auth_file(&case, &text.to_string());
    case.expect_failure("auth-invalid-base64");
    assert!(case.fake.log().iter().all(|s| !s.authorization));
}

#[test]
fn auth_file_with_a_missing_colon() {
    let case = Case::new();
    let no_colon = base64::engine::general_purpose::STANDARD.encode(format!("{USER}{CANARY}"));
    let text = serde_json::json!({"auths": {case.fake.host(): {"auth": no_colon}}});
    auth_file(&case, &text.to_string());
    case.expect_failure("auth-missing-colon");
    assert!(case.fake.log().iter().all(|s| !s.authorization));
}

#[test]
fn auth_file_that_cannot_be_read() {
    let case = Case::new();
    let root = is_root();
    if root {
        // Mode bits do not stop root: a directory in the file's place cannot be read as
        // a file either, and takes the same path through the code.
        std::fs::remove_file(case.auth_file()).unwrap();
        std::fs::create_dir(case.auth_file()).unwrap();
    } else {
        std::fs::set_permissions(case.auth_file(), std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    case.expect_failure("auth-file-unreadable");
}

/// Whether this process runs as root (mode bits then do not apply).
fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs `docker-credential-NAME` with `script` and points the auth file at it.
fn helper(case: &mut Case, name: &str, script: &str) {
    let bin = case.tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join(format!("docker-credential-{name}"));
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let text = serde_json::json!({"auths": {}, "credHelpers": {case.fake.host(): name}});
    auth_file(case, &text.to_string());
    let path_var = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    case.env.push(("PATH".into(), path_var));
}

#[test]
fn credential_helper_that_hangs() {
    let mut case = Case::new();
    let pid_file = case.tmp.path().join("grandchild.pid");
    helper(
        &mut case,
        "hang",
        &format!(
            "sleep 600 &\necho $! > '{}'\nwait\necho '{{\"Username\":\"{USER}\",\"Secret\":\"{CANARY}\"}}'",
            pid_file.display()
        ),
    );
    let out = case.expect_failure("credential-helper-timeout");
    assert!(out.took < Duration::from_secs(30), "{:?}", out.took);
    // What the helper started is stopped with it (its whole process group).
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let proc_dir = std::path::PathBuf::from(format!("/proc/{}", pid.trim()));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while proc_dir.exists() && !is_zombie(&proc_dir) {
        assert!(
            std::time::Instant::now() < deadline,
            "the helper's child {} outlived the time limit",
            pid.trim()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A killed process whose parent has not reaped it yet is gone for our purpose.
fn is_zombie(proc_dir: &std::path::Path) -> bool {
    std::fs::read_to_string(proc_dir.join("stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(true)
}

#[test]
fn credential_helper_that_prints_garbage() {
    let mut case = Case::new();
    helper(
        &mut case,
        "garbage",
        &format!("echo '{{\"Username\":\"{USER}\",\"Secret\":\"{CANARY}\" <<garbage'"),
    );
    case.expect_failure("helper-output-invalid-json");
}
