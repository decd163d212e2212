//! The `pull` interface end to end: the component's `puller` resource pulls a pushed image
//! from a real `docker-registry` on 127.0.0.1 (no auth, and token auth with the testkit's
//! token server), driven by a minimal synchronous host written here. The host only moves
//! bytes: it sends what `poll-output` asks, verifies streamed blobs with the core's
//! `Verifier`, keeps blobs in memory, and records the image with the component's
//! `image-index`. The result must be exactly what was pushed.

use std::collections::BTreeMap;

use hoist_core::digest::{Digest, Verifier};
use hoist_testkit::http;
use hoist_testkit::{push, ImageBuilder, Registry, Setup};
use hoist_wasm_tests::bindings::exports::hoist::image::pull::{
    BodyAction, CredentialsAnswer, Failed, Input, Method, Output, PullOutcome, PullRequest,
    ResponseBody, ResponseHead, Staged, StoreAnswer, StoreOp, StoreResult, TransportFailure,
};
use hoist_wasm_tests::bindings::exports::hoist::image::types::{Credentials, Platform, UserSecret};
use hoist_wasm_tests::{component_path, Instance, Limits, Loaded};

struct Host {
    credentials: Credentials,
    /// Response bodies waiting for the machine's `body` decision, by request id.
    bodies: BTreeMap<u64, Vec<u8>>,
    staged: BTreeMap<String, Vec<u8>>,
    committed: BTreeMap<String, Vec<u8>>,
    requests: usize,
}

fn pull(i: &mut Instance, reference: &str, host: &mut Host) -> anyhow::Result<PullOutcome> {
    let api = i.core.hoist_image_pull().clone();
    let puller = api.puller();
    let store_api = i.core.hoist_image_store().image_index();
    let index = store_api.call_constructor(&mut i.store)?;
    let mut config = api.call_default_config(&mut i.store)?;
    config.endpoints = api
        .call_endpoints(&mut i.store, reference, None, true)?
        .map_err(|e| anyhow::anyhow!("{}", e.code))?;
    let request = PullRequest {
        reference: reference.to_owned(),
        platform: Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            os_version: String::new(),
            os_features: Vec::new(),
            variant: String::new(),
        },
    };
    let now = 1_000;
    let p = puller
        .call_start(&mut i.store, &request, &config, now)?
        .map_err(|e| anyhow::anyhow!("{}", e.code))?;
    let machine_err = |e: hoist_wasm_tests::bindings::exports::hoist::image::types::Error| {
        anyhow::anyhow!("{}: {}", e.code, e.message)
    };
    for _ in 0..10_000 {
        let output = puller
            .call_poll_output(&mut i.store, p)?
            .map_err(machine_err)?;
        let input = match output {
            Output::Http(req) => {
                host.requests += 1;
                let method = match req.method {
                    Method::Get => "GET",
                    Method::Head => "HEAD",
                    Method::Post => "POST",
                };
                let headers: Vec<(&str, &str)> = req
                    .headers
                    .iter()
                    .map(|h| (h.name.as_str(), h.value.as_str()))
                    .collect();
                match http::request(
                    method,
                    &req.url,
                    &headers,
                    req.body.as_deref().map(str::as_bytes),
                ) {
                    Ok(resp) => {
                        host.bodies.insert(req.id, resp.body);
                        Input::HttpResponse(ResponseHead {
                            id: req.id,
                            status: resp.status,
                            headers: resp.headers,
                            now,
                        })
                    }
                    Err(_) => Input::HttpFailed(Failed {
                        id: req.id,
                        failure: TransportFailure::Connect,
                        staged_bytes: 0,
                        now,
                    }),
                }
            }
            Output::Body(b) => {
                let body = host.bodies.remove(&b.id).unwrap_or_default();
                match b.action {
                    BodyAction::Buffer(limit) => {
                        let keep = usize::try_from(limit.saturating_add(1))
                            .unwrap_or(usize::MAX)
                            .min(body.len());
                        Input::HttpBody(ResponseBody {
                            id: b.id,
                            bytes: body[..keep].to_vec(),
                            now,
                        })
                    }
                    BodyAction::Discard => Input::HttpBody(ResponseBody {
                        id: b.id,
                        bytes: Vec::new(),
                        now,
                    }),
                    BodyAction::StreamToStore(s) => {
                        let mut v = Verifier::new(Digest::parse(&s.digest)?).with_size(s.size);
                        let verified = v.update(&body).and_then(|()| v.finish());
                        match verified {
                            Ok(_) => {
                                host.staged.insert(s.digest, body);
                                Input::BlobStaged(Staged { id: b.id, now })
                            }
                            Err(_) => Input::HttpFailed(Failed {
                                id: b.id,
                                failure: TransportFailure::DigestMismatch(
                                    Digest::sha256_of(&body).to_string(),
                                ),
                                staged_bytes: 0,
                                now,
                            }),
                        }
                    }
                }
            }
            Output::Store(s) => {
                let result = match s.op {
                    StoreOp::Stat(d) => {
                        StoreResult::Stat(host.committed.get(&d).map(|b| b.len() as u64))
                    }
                    StoreOp::PutBlob(b) => {
                        host.staged.insert(b.digest, b.bytes);
                        StoreResult::Done
                    }
                    StoreOp::Commit(c) => {
                        for d in &c.blobs {
                            if let Some(bytes) = host.staged.remove(d) {
                                host.committed.insert(d.clone(), bytes);
                            }
                        }
                        store_api
                            .call_record_pull(&mut i.store, index, &c.record, 1_700_000_000)?
                            .map_err(machine_err)?;
                        match store_api.call_get(&mut i.store, index, &c.record.id)? {
                            Some(r) => StoreResult::Committed(r),
                            None => StoreResult::Failed("record missing after commit".into()),
                        }
                    }
                };
                Input::Store(StoreAnswer { id: s.id, result })
            }
            Output::NeedCredentials(c) => Input::Credentials(CredentialsAnswer {
                id: c.id,
                credentials: host.credentials.clone(),
            }),
            Output::Event(_) => continue,
            Output::Wait(until) => Input::Timeout(until.unwrap_or(now)),
            Output::Done(outcome) => {
                p.resource_drop(&mut i.store)?;
                index.resource_drop(&mut i.store)?;
                return Ok(outcome);
            }
        };
        puller
            .call_handle_input(&mut i.store, p, &input)?
            .map_err(machine_err)?;
    }
    anyhow::bail!("the pull did not finish within 10000 steps")
}

fn pull_and_check(setup: Setup) -> anyhow::Result<Registry> {
    let registry = Registry::start(setup);
    let layouts = tempfile::tempdir()?;
    let image = ImageBuilder::new(11)
        .layer(3000)
        .layer(40_000)
        .tag("v1")
        .write(layouts.path())?;
    let pushed = push(layouts.path(), "test/app:v1", &registry)?;
    let credentials = match registry.credentials() {
        Some(c) => Credentials::Basic(UserSecret {
            username: c.user.clone(),
            secret: c.password.clone(),
        }),
        None => Credentials::Anonymous,
    };
    let mut host = Host {
        credentials,
        bodies: BTreeMap::new(),
        staged: BTreeMap::new(),
        committed: BTreeMap::new(),
        requests: 0,
    };
    let loaded = Loaded::new(&component_path()?, false)?;
    let mut i = loaded.instantiate(&Limits::default())?;
    let reference = format!("{}/test/app:v1", registry.host());
    let outcome = pull(&mut i, &reference, &mut host)?;
    let m = &image.manifests[0];
    assert_eq!(outcome.resolved_digest, pushed);
    assert_eq!(outcome.manifest_digest, pushed);
    assert_eq!(outcome.config_digest, m.config.digest);
    assert_eq!(
        outcome.record.id, m.config.digest,
        "the image ID is the config digest"
    );
    assert_eq!(outcome.record.names, vec![reference.clone()]);
    // Exactly the manifest, the config and the layers, each the bytes that were pushed.
    let mut want: Vec<&str> = vec![pushed.as_str(), m.config.digest.as_str()];
    want.extend(m.layers.iter().map(|l| l.descriptor.digest.as_str()));
    want.sort_unstable();
    let got: Vec<&str> = host.committed.keys().map(String::as_str).collect();
    assert_eq!(got, want);
    assert_eq!(host.committed[&pushed], m.bytes);
    assert_eq!(host.committed[&m.config.digest], m.config_bytes);
    for (d, bytes) in &host.committed {
        assert_eq!(&Digest::sha256_of(bytes).to_string(), d);
    }
    assert!(host.staged.is_empty(), "everything staged was committed");
    assert!(host.requests >= 4, "{} requests", host.requests);
    Ok(registry)
}

#[test]
fn the_component_pulls_from_a_registry_without_auth() -> anyhow::Result<()> {
    pull_and_check(Setup::NoAuth)?;
    Ok(())
}

#[test]
fn the_component_pulls_from_a_registry_with_token_auth() -> anyhow::Result<()> {
    let registry = pull_and_check(Setup::token())?;
    let log = registry.token_log();
    assert!(
        log.iter().any(|l| l.authorization && l.status == 200),
        "token requests: {log:?}"
    );
    Ok(())
}
