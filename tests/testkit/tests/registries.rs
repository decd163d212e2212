//! Each registry setup, end to end: start it, push a test image with skopeo, read it back.

use base64::Engine as _;
use hoist_testkit::{
    digest_of, http, push, skopeo_copy_to_oci, skopeo_inspect_raw, AnonymousAccess, BuiltImage,
    ImageBuilder, ManifestFormat, Platform, Registry, Result, Setup, Skopeo, SkopeoAuth,
    TokenConfig,
};
use serde_json::Value;

const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";

/// Builds the 2-layer image, pushes it as `repo:v1`, and checks `skopeo inspect --raw` gives
/// back exactly the bytes (and digest) that were built.
fn push_and_check(registry: &Registry, repo: &str) -> Result<(tempfile::TempDir, BuiltImage)> {
    let layouts = tempfile::tempdir()?;
    let image = ImageBuilder::new(11)
        .layer(2_000)
        .layer(30_000)
        .tag("v1")
        .write(layouts.path())?;
    let reference = format!("{repo}:v1");
    let digest = push(layouts.path(), &reference, registry)?;
    assert_eq!(digest, image.digest(), "pushed digest is the built digest");
    let raw = skopeo_inspect_raw(&reference, registry)?;
    assert_eq!(digest_of(&raw), digest);
    assert_eq!(raw, image.bytes);
    let by_digest = skopeo_inspect_raw(&format!("{repo}@{digest}"), registry)?;
    assert_eq!(by_digest, image.bytes);
    Ok((layouts, image))
}

fn basic_header(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[test]
fn no_auth() -> Result<()> {
    let registry = Registry::start(Setup::NoAuth);
    assert!(registry.host().starts_with("127.0.0.1:"));
    assert_eq!(registry.url(), format!("http://{}", registry.host()));
    let v2 = http::get(&format!("{}/v2/", registry.url()), &[])?;
    assert_eq!(v2.status, 200);
    assert_eq!(
        v2.header("Docker-Distribution-API-Version"),
        Some("registry/2.0")
    );

    let (_layouts, image) = push_and_check(&registry, "testkit/noauth")?;

    // Plain HTTP sees the same manifest and blobs.
    let manifest = http::get(
        &format!("{}/v2/testkit/noauth/manifests/v1", registry.url()),
        &[("Accept", MANIFEST_ACCEPT)],
    )?;
    assert_eq!(manifest.status, 200);
    assert_eq!(
        manifest.header("Docker-Content-Digest"),
        Some(image.digest())
    );
    assert_eq!(manifest.body, image.bytes);
    let config = &image.manifests[0].config;
    let blob = http::get(
        &format!(
            "{}/v2/testkit/noauth/blobs/{}",
            registry.url(),
            config.digest
        ),
        &[],
    )?;
    assert_eq!(blob.status, 200);
    assert_eq!(blob.body, image.manifests[0].config_bytes);

    // And skopeo copies it back into an OCI layout with the same digest.
    let back = tempfile::tempdir()?;
    skopeo_copy_to_oci("testkit/noauth:v1", &registry, back.path())?;
    let entry = hoist_testkit::image::layout_entry(back.path(), "latest")?;
    assert_eq!(entry.digest, image.digest());
    Ok(())
}

#[test]
fn basic_auth() -> Result<()> {
    let registry = Registry::start(Setup::basic());
    let creds = registry
        .credentials()
        .cloned()
        .expect("basic has credentials");

    let anonymous = http::get(&format!("{}/v2/", registry.url()), &[])?;
    assert_eq!(anonymous.status, 401);
    let challenge = anonymous.header("WWW-Authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Basic "), "{challenge}");
    let authed = http::get(
        &format!("{}/v2/", registry.url()),
        &[("Authorization", &basic_header(&creds.user, &creds.password))],
    )?;
    assert_eq!(authed.status, 200);
    let wrong = http::get(
        &format!("{}/v2/", registry.url()),
        &[("Authorization", &basic_header(&creds.user, "wrong"))],
    )?;
    assert_eq!(wrong.status, 401);

    let (_layouts, image) = push_and_check(&registry, "testkit/basic")?;

    let refused = Skopeo::new(&registry)
        .anonymous()
        .inspect_raw("testkit/basic:v1")
        .expect_err("anonymous pull must be refused");
    let stderr = refused.skopeo_stderr().unwrap_or_default().to_lowercase();
    assert!(
        stderr.contains("401")
            || stderr.contains("unauthorized")
            || stderr.contains("authentication required"),
        "{refused}"
    );
    let wrong = Skopeo::new(&registry)
        .auth(SkopeoAuth::Creds {
            user: creds.user.clone(),
            password: "wrong".into(),
        })
        .inspect_raw("testkit/basic:v1");
    assert!(wrong.is_err());

    let manifest = http::get(
        &format!("{}/v2/testkit/basic/manifests/v1", registry.url()),
        &[
            ("Accept", MANIFEST_ACCEPT),
            ("Authorization", &basic_header(&creds.user, &creds.password)),
        ],
    )?;
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.body, image.bytes);
    Ok(())
}

#[test]
fn token_auth_anonymous_pull_allowed() -> Result<()> {
    let registry = Registry::start(Setup::token());
    let server = registry.token_server().expect("token setup has a server");
    let config = server.config().clone();

    // The registry challenges with Bearer pointing at our realm.
    let v2 = http::get(&format!("{}/v2/", registry.url()), &[])?;
    assert_eq!(v2.status, 401);
    let challenge = v2
        .header("WWW-Authenticate")
        .unwrap_or_default()
        .to_string();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains(&format!("realm=\"{}\"", server.realm())),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!("service=\"{}\"", config.service)),
        "{challenge}"
    );

    let (_layouts, image) = push_and_check(&registry, "testkit/token")?;

    let log = registry.token_log();
    assert!(!log.is_empty());
    assert!(log
        .iter()
        .all(|e| e.method == "GET" && e.path_and_query.starts_with("/token?")));
    let push_grant = log
        .iter()
        .find(|e| {
            e.granted
                .iter()
                .any(|a| a.actions.iter().any(|x| x == "push"))
        })
        .expect("a token granting push was issued");
    assert!(push_grant.authorization);
    assert_eq!(push_grant.user.as_deref(), Some(config.user.as_str()));
    assert_eq!(push_grant.status, 200);

    // Anonymous pull works under AnonymousAccess::Pull, and is logged without Authorization.
    server.clear_log();
    let raw = Skopeo::new(&registry)
        .anonymous()
        .inspect_raw("testkit/token:v1")?;
    assert_eq!(raw, image.bytes);
    let log = registry.token_log();
    assert!(!log.is_empty());
    assert!(log.iter().all(|e| !e.authorization && e.user.is_none()));
    assert!(log.iter().any(|e| e
        .path_and_query
        .contains("scope=repository%3Atestkit%2Ftoken%3Apull")
        || e.path_and_query
            .contains("scope=repository:testkit/token:pull")));

    // The GET flow by hand: an anonymous token for pull, then the manifest with it.
    let scope = "repository:testkit/token:pull,push";
    let token_url = format!(
        "{}?service={}&scope={}",
        server.realm(),
        http::percent_encode(&config.service),
        http::percent_encode(scope)
    );
    let anon = http::get(&token_url, &[])?;
    assert_eq!(anon.status, 200);
    let anon_json = anon.json()?;
    let anon_token = anon_json["token"].as_str().unwrap_or_default().to_string();
    assert_eq!(anon_json["access_token"], anon_json["token"]);
    let claims = jwt_claims(&anon_token)?;
    assert_eq!(claims["aud"], config.service.as_str());
    assert_eq!(claims["iss"], config.issuer.as_str());
    assert_eq!(claims["access"][0]["actions"], serde_json::json!(["pull"]));
    let header = jwt_header(&anon_token)?;
    assert_eq!(header["kid"], server.key_id());
    assert_eq!(header["alg"], "ES256");
    let manifest = http::get(
        &format!("{}/v2/testkit/token/manifests/v1", registry.url()),
        &[
            ("Accept", MANIFEST_ACCEPT),
            ("Authorization", &format!("Bearer {anon_token}")),
        ],
    )?;
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.body, image.bytes);

    // Wrong credentials are refused by the token server.
    let bad = http::get(
        &token_url,
        &[("Authorization", &basic_header(&config.user, "wrong"))],
    )?;
    assert_eq!(bad.status, 401);

    // The GET flow with offline_token=true hands out a refresh token to an authed user.
    let offline = http::get(
        &format!("{token_url}&offline_token=true"),
        &[(
            "Authorization",
            &basic_header(&config.user, &config.password),
        )],
    )?;
    assert_eq!(offline.status, 200);
    assert!(offline.json()?["refresh_token"].is_string());

    // The POST (OAuth2) flow: password grant with access_type=offline, then refresh grant.
    let post = http::post_form(
        &server.realm(),
        &[],
        &[
            ("grant_type", "password"),
            ("username", &config.user),
            ("password", &config.password),
            ("client_id", "hoist-testkit"),
            ("service", &config.service),
            ("scope", scope),
            ("access_type", "offline"),
        ],
    )?;
    assert_eq!(post.status, 200, "{}", post.text());
    let post_json = post.json()?;
    let refresh = post_json["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!refresh.is_empty());
    assert_eq!(post_json["scope"], scope);
    let refreshed = http::post_form(
        &server.realm(),
        &[],
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", "hoist-testkit"),
            ("service", &config.service),
            ("scope", "repository:testkit/token:pull"),
        ],
    )?;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    let access_token = refreshed.json()?["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let manifest = http::get(
        &format!("{}/v2/testkit/token/manifests/v1", registry.url()),
        &[
            ("Accept", MANIFEST_ACCEPT),
            ("Authorization", &format!("Bearer {access_token}")),
        ],
    )?;
    assert_eq!(manifest.status, 200);
    let bad_post = http::post_form(
        &server.realm(),
        &[],
        &[
            ("grant_type", "password"),
            ("username", &config.user),
            ("password", "wrong"),
            ("client_id", "hoist-testkit"),
            ("service", &config.service),
        ],
    )?;
    assert_eq!(bad_post.status, 401);
    let log = server.log();
    let posts: Vec<_> = log.iter().filter(|e| e.method == "POST").collect();
    assert_eq!(posts.len(), 3);
    assert!(posts.iter().all(|e| e
        .form
        .iter()
        .all(|(k, v)| k != "password" || v == "<redacted>")));
    Ok(())
}

#[test]
fn token_auth_anonymous_refused() -> Result<()> {
    let registry = Registry::start(Setup::Token(TokenConfig {
        anonymous: AnonymousAccess::Unauthorized,
        ..TokenConfig::default()
    }));
    let server = registry.token_server().expect("token setup has a server");
    push_and_check(&registry, "testkit/private")?;

    server.clear_log();
    let refused = Skopeo::new(&registry)
        .anonymous()
        .inspect_raw("testkit/private:v1")
        .expect_err("anonymous pull must be refused");
    let log = server.log();
    assert!(!log.is_empty(), "skopeo asked the token server: {refused}");
    assert!(
        log.iter().all(|e| !e.authorization && e.status == 401),
        "{log:?}"
    );
    Ok(())
}

#[test]
fn token_auth_empty_token_gives_insufficient_scope() -> Result<()> {
    let registry = Registry::start(Setup::Token(TokenConfig {
        anonymous: AnonymousAccess::EmptyToken,
        ..TokenConfig::default()
    }));
    let server = registry.token_server().expect("token setup has a server");
    let config = server.config().clone();
    push_and_check(&registry, "testkit/private")?;

    let token_url = format!(
        "{}?service={}&scope={}",
        server.realm(),
        http::percent_encode(&config.service),
        http::percent_encode("repository:testkit/private:pull")
    );
    let anon = http::get(&token_url, &[])?;
    assert_eq!(anon.status, 200);
    let token = anon.json()?["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(jwt_claims(&token)?["access"], serde_json::json!([]));
    let manifest = http::get(
        &format!("{}/v2/testkit/private/manifests/v1", registry.url()),
        &[
            ("Accept", MANIFEST_ACCEPT),
            ("Authorization", &format!("Bearer {token}")),
        ],
    )?;
    assert_eq!(manifest.status, 401);
    let challenge = manifest.header("WWW-Authenticate").unwrap_or_default();
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
    assert!(Skopeo::new(&registry)
        .anonymous()
        .inspect_raw("testkit/private:v1")
        .is_err());
    Ok(())
}

#[test]
fn tls() -> Result<()> {
    let registry = Registry::start(Setup::Tls);
    assert!(registry.url().starts_with("https://127.0.0.1:"));
    let ca = std::fs::read_to_string(registry.ca_pem_path().expect("tls has a CA"))?;
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));

    // Plain HTTP to the TLS port does not get a registry answer.
    let plain = http::get(&format!("http://{}/v2/", registry.host()), &[]);
    // (Go answers a plain request on a TLS port with a bare 400; a reset is fine too.)
    if let Ok(resp) = plain {
        assert_eq!(resp.status, 400, "plain HTTP answered: {}", resp.text());
    }

    push_and_check(&registry, "testkit/tls")?;

    let untrusted = Skopeo::new(&registry)
        .without_ca()
        .inspect_raw("testkit/tls:v1")
        .expect_err("an unknown CA must be refused");
    let stderr = untrusted.skopeo_stderr().unwrap_or_default();
    assert!(
        stderr.contains("certificate") || stderr.contains("x509"),
        "{untrusted}"
    );
    Ok(())
}

#[test]
fn multi_arch_and_schema2() -> Result<()> {
    let registry = Registry::start(Setup::NoAuth);
    let layouts = tempfile::tempdir()?;
    let skopeo = Skopeo::new(&registry);
    for (format, repo) in [
        (ManifestFormat::Oci, "testkit/multi-oci"),
        (ManifestFormat::DockerV2, "testkit/multi-docker"),
    ] {
        let tag = format!("{repo}-all").replace('/', "-");
        let image = ImageBuilder::new(21)
            .layer(1_000)
            .layer(5_000)
            .format(format)
            .platforms(Platform::standard_set())
            .tag(&tag)
            .write(layouts.path())?;
        let digest = skopeo.push(layouts.path(), &tag, &format!("{repo}:all"))?;
        assert_eq!(digest, image.digest());
        let raw = skopeo.inspect_raw(&format!("{repo}:all"))?;
        assert_eq!(raw, image.bytes);
        let index: Value = serde_json::from_slice(&raw)?;
        assert_eq!(index["mediaType"], format.index_media_type());
        for m in &image.manifests {
            let instance = skopeo.inspect_raw(&format!("{repo}@{}", m.descriptor.digest))?;
            assert_eq!(instance, m.bytes, "{}", m.platform);
        }
        // skopeo picks linux/amd64 from the index: its config is ours.
        let config = skopeo.inspect_config_raw(&format!("{repo}:all"))?;
        assert_eq!(config, image.manifests[0].config_bytes);

        // Single-platform image in this format too.
        let single_tag = format!("{tag}-single");
        let single = ImageBuilder::new(22)
            .layer(1_000)
            .layer(2_000)
            .format(format)
            .platform(Platform::linux_arm64_v8())
            .tag(&single_tag)
            .write(layouts.path())?;
        let digest = skopeo.push(layouts.path(), &single_tag, &format!("{repo}:single"))?;
        assert_eq!(digest, single.digest());
        let raw = skopeo.inspect_raw(&format!("{repo}:single"))?;
        let manifest: Value = serde_json::from_slice(&raw)?;
        assert_eq!(manifest["mediaType"], format.manifest_media_type());
        assert_eq!(raw, single.bytes);
    }
    Ok(())
}

fn jwt_part(token: &str, index: usize) -> Result<Value> {
    let part = token
        .split('.')
        .nth(index)
        .ok_or_else(|| hoist_testkit::Error::msg("not a JWT"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| hoist_testkit::Error::msg(e.to_string()))?;
    Ok(serde_json::from_slice(&bytes)?)
}

fn jwt_header(token: &str) -> Result<Value> {
    jwt_part(token, 0)
}

fn jwt_claims(token: &str) -> Result<Value> {
    jwt_part(token, 1)
}
