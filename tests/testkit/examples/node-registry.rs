//! Starts a real `docker-registry` for the Node tests and pushes test images to it:
//! `node-registry [no-auth|basic|tls]`.
//!
//! Prints one JSON line on stdout, then serves until its stdin closes (the Node test holds
//! the pipe; when the test process ends, for any reason, the pipe closes and the registry
//! is stopped and its scratch directory removed):
//!
//! ```text
//! {"host":"127.0.0.1:PORT","url":"http://…","setup":"no-auth","ca":null|"PATH",
//!  "credentials":null|{"username","password"},
//!  "images":{"app":{"reference":"HOST/test/app:v1","digest":"sha256:…","config":"sha256:…"},
//!            "multi":{…},"docker":{…},"other":{…}}}
//! ```
//!
//! Images: `app` (OCI, 2 layers, labelled), `multi` (OCI index of linux/amd64 and
//! linux/arm64/v8), `docker` (Docker v2 schema 2), `other` (a second image for filters).

use std::io::Read;

use hoist_testkit::{push, ImageBuilder, ManifestFormat, Platform, Registry, Setup};
use serde_json::json;

fn main() {
    let setup = match std::env::args().nth(1).as_deref() {
        None | Some("no-auth") => Setup::NoAuth,
        Some("basic") => Setup::basic(),
        Some("tls") => Setup::Tls,
        Some(other) => {
            eprintln!("node-registry: unknown setup {other:?}");
            std::process::exit(2);
        }
    };
    let registry = match Registry::try_start(setup) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("node-registry: {e}");
            std::process::exit(1);
        }
    };
    let layouts = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("node-registry: {e}");
            std::process::exit(1);
        }
    };
    let builders = [
        (
            "app",
            "test/app:v1",
            ImageBuilder::new(11)
                .layer(3000)
                .layer(200_000)
                .label("org.example.role", "app")
                .created("2024-01-02T03:04:05Z"),
        ),
        (
            "multi",
            "test/multi:v1",
            ImageBuilder::new(12)
                .layer(5000)
                .platforms(vec![Platform::linux_amd64(), Platform::linux_arm64_v8()]),
        ),
        (
            "docker",
            "test/docker:v1",
            ImageBuilder::new(13)
                .layer(4000)
                .format(ManifestFormat::DockerV2)
                .created("2023-05-06T07:08:09Z"),
        ),
        (
            "other",
            "test/other:v2",
            ImageBuilder::new(14)
                .layer(1000)
                .label("org.example.role", "tool")
                .created("2022-01-01T00:00:00Z"),
        ),
    ];
    let mut images = serde_json::Map::new();
    for (key, reference, builder) in builders {
        let dir = layouts.path().join(key);
        let tag = reference.rsplit_once(':').map_or("latest", |(_, t)| t);
        let built = builder
            .tag(tag)
            .write(&dir)
            .and_then(|image| push(&dir, reference, &registry).map(|digest| (image, digest)));
        let (image, digest) = match built {
            Ok(x) => x,
            Err(e) => {
                eprintln!("node-registry: {key}: {e}");
                std::process::exit(1);
            }
        };
        images.insert(
            key.to_owned(),
            json!({
                "reference": format!("{}/{reference}", registry.host()),
                "digest": digest,
                "config": image.manifests[0].config.digest,
            }),
        );
    }
    let info = json!({
        "host": registry.host(),
        "url": registry.url(),
        "setup": registry.setup().name(),
        "ca": registry.ca_pem_path().map(|p| p.display().to_string()),
        "credentials": registry.credentials().map(|c| json!({ "username": c.user, "password": c.password })),
        "images": images,
    });
    println!("{info}");
    // Serve until the test closes our stdin (or dies).
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(registry);
}
