//! End to end: CRI `PullImage` credentials against Debian's `docker-registry` with htpasswd
//! basic auth. The request's `AuthConfig` is the only credential source, and it is scoped:
//! a `server_address` for another host means the pull goes anonymous and is refused.

mod cri_support;

use base64::Engine;
use cri_support::*;
use hoist::cri::proto::AuthConfig;
use hoist_testkit::{push, ImageBuilder, Registry, Setup};
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_config_is_decoded_and_scoped() {
    let registry = Registry::start(Setup::basic());
    let creds = registry.credentials().expect("basic").clone();
    let layouts = tempfile::tempdir().expect("tmp");
    ImageBuilder::new(51)
        .layer(2000)
        .tag("v1")
        .write(layouts.path())
        .expect("image");
    push(layouts.path(), "test/private:v1", &registry).expect("push");
    let (_dir, server) = Server::in_temp_dir();
    let mut c = server.client().await;
    let host = registry.host();
    let reference = format!("{host}/test/private:v1");
    let basic = |server_address: &str, password: &str| AuthConfig {
        username: creds.user.clone(),
        password: password.to_owned(),
        server_address: server_address.to_owned(),
        ..Default::default()
    };

    // No credentials, credentials scoped to another host, a wrong password: all
    // UNAUTHENTICATED (the registry refused an anonymous or a wrong login).
    for auth in [
        None,
        Some(basic("other.example:5000", &creds.password)),
        Some(basic(
            &format!("https://127.0.0.1:{}", registry.port() + 1),
            &creds.password,
        )),
        Some(basic(&host, "not-the-password")),
    ] {
        let e = pull(&mut c, &reference, auth.clone())
            .await
            .expect_err("refused");
        assert_eq!(e.code(), Code::Unauthenticated, "{auth:?}: {}", e.message());
        assert_eq!(error_code(&e), "unauthorized");
    }

    // username/password for this host (as a URL with a path, as docker writes it).
    let id = pull(
        &mut c,
        &reference,
        Some(basic(&format!("http://{host}/v2/"), &creds.password)),
    )
    .await
    .expect("basic pull");
    remove(&mut c, &id).await.expect("remove");

    // `auth` = base64(user:password) with trailing NULs (kubelet's keyring may send them),
    // no server_address.
    let mut raw = format!("{}:{}", creds.user, creds.password).into_bytes();
    raw.extend_from_slice(b"\0\0");
    let auth = AuthConfig {
        auth: base64::engine::general_purpose::STANDARD.encode(raw),
        ..Default::default()
    };
    assert_eq!(
        pull(&mut c, &reference, Some(auth))
            .await
            .expect("auth pull"),
        id
    );

    // Undecodable credentials are the caller's error, found before any network traffic.
    let bad = AuthConfig {
        auth: "%%%".into(),
        ..Default::default()
    };
    let e = pull(&mut c, &reference, Some(bad))
        .await
        .expect_err("bad base64");
    assert_eq!(e.code(), Code::InvalidArgument, "{}", e.message());
    assert_eq!(error_code(&e), "auth-invalid-base64");

    // Secrets never reach the log.
    let log = server.log();
    assert!(log.contains("outcome=unauthorized"), "{log}");
    assert!(!log.contains(&creds.password), "{log}");
    assert!(!log.contains("not-the-password"), "{log}");
}
