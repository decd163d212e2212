#![no_main]
//! Manifests and indexes of every kind, platform selection over an index, and the
//! schema 1 history → config conversion.
//!
//! Input: byte 0 picks the `Content-Type` (none, each known manifest type, with a
//! parameter, in upper case, generic types, garbage), byte 1 the parent descriptor's
//! media type from the same list, byte 2 the wanted platform; the rest is the body.
//!
//! Invariants beyond "no panic":
//! - the manifest keeps its bytes; its digest is SHA-256 of its canonical bytes and
//!   `verify` accepts it; its descriptor has the canonical size;
//! - kind, media type, `children`, `config`, `layers`, `schema1_history` agree with each
//!   other and with the limits (at most 1000 layers / entries);
//! - declaring the detected media type (as `Content-Type` or parent) parses to the same
//!   manifest;
//! - `select_platform` returns one of the children, one that can run on the wanted
//!   platform, and fails only when no child can;
//! - a schema 1 history that converts gives a config that `ImageConfig::parse` reads back
//!   equal, with the diff IDs it was given and one layer per diff ID.
use hoist_core::config::schema1::to_config;
use hoist_core::config::{ConfigError, ImageConfig};
use hoist_core::digest::Digest;
use hoist_core::manifest::{Limits, Manifest, ManifestKind};
use hoist_core::media_type::{self as mt, MediaType};
use hoist_core::platform::{select_platform, Platform};
use hoist_core::ErrorCode;
use libfuzzer_sys::fuzz_target;

const TYPES: &[Option<&str>] = &[
    None,
    Some(mt::OCI_MANIFEST),
    Some(mt::OCI_INDEX),
    Some(mt::DOCKER_MANIFEST),
    Some(mt::DOCKER_MANIFEST_LIST),
    Some(mt::DOCKER_SCHEMA1_MANIFEST),
    Some(mt::DOCKER_SCHEMA1_SIGNED_MANIFEST),
    Some("application/vnd.oci.image.manifest.v1+json; charset=utf-8"),
    Some("APPLICATION/VND.DOCKER.DISTRIBUTION.MANIFEST.LIST.V2+JSON"),
    Some("application/json"),
    Some("text/plain; charset=utf-8"),
    Some("application/octet-stream"),
    Some(mt::OCI_CONFIG),
    Some(mt::OCI_LAYER_TAR_GZIP),
    Some(""),
    Some("application/vnd.example+json"),
    Some("not a media type"),
    Some(";;;"),
];

const PLATFORMS: &[&str] = &[
    "linux/amd64",
    "linux/arm64",
    "linux/arm/v7",
    "linux/arm/v5",
    "linux/amd64/v3",
    "linux/386",
    "linux/arm64/v9.3",
    "windows(10.0.17763)/amd64",
    "windows(10.0.20348.1)/amd64",
    "windows(10.0.26100.1+win32k)/amd64",
    "darwin/arm64",
    "linux/s390x",
    "linux/riscv64",
    "freebsd/amd64",
];

fn pick<T: Copy>(list: &[T], b: u8) -> T {
    list[usize::from(b) % list.len()]
}

fn check_platform(m: &Manifest, selector: u8) {
    let host = Platform::new("linux", "amd64", "");
    let wanted = if usize::from(selector) < 2 * PLATFORMS.len() {
        Platform::parse(pick(PLATFORMS, selector), &host).expect("fixed platforms parse")
    } else {
        // A platform the index itself offers, so matches are common.
        let offered: Vec<&Platform> = m
            .children()
            .iter()
            .filter_map(|c| c.platform.as_ref())
            .collect();
        match offered.get(usize::from(selector) % offered.len().max(1)) {
            Some(p) => (*p).clone(),
            None => host,
        }
    };
    match select_platform(m.children(), &wanted) {
        Ok(d) => {
            assert!(m.children().iter().any(|c| std::ptr::eq(c, d)));
            let p = d.platform.as_ref().expect("selected entry has a platform");
            assert!(wanted.compatible(p), "{wanted} cannot run {p}");
        }
        Err(e) => {
            assert_eq!(e.code(), "no-matching-platform");
            assert!(!m
                .children()
                .iter()
                .filter_map(|c| c.platform.as_ref())
                .any(|p| wanted.compatible(p)));
        }
    }
}

fn check_schema1(history: &[(String, Digest)]) {
    // The first call learns how many diff IDs the history needs.
    let needed = match to_config(history, &[]) {
        Ok(_) => 0,
        Err(ConfigError::DiffIdsMismatch { layers, .. }) => layers,
        Err(_) => return,
    };
    let diff_ids: Vec<Digest> = (0..needed)
        .map(|i| Digest::sha256_of(&i.to_le_bytes()))
        .collect();
    let Ok(c) = to_config(history, &diff_ids) else {
        return;
    };
    assert_eq!(c.layers.len(), diff_ids.len());
    assert_eq!(c.config.diff_ids(), diff_ids.as_slice());
    let again = ImageConfig::parse(c.config.raw()).expect("converted config reparses");
    assert_eq!(again, c.config);
    assert!(c.config.check_layers(diff_ids.len()).is_ok());
}

fuzz_target!(|data: &[u8]| {
    let [ct, parent, platform, body @ ..] = data else {
        return;
    };
    let content_type = pick(TYPES, *ct);
    let parent_type = pick(TYPES, *parent);
    let m = match Manifest::parse(body, content_type, parent_type) {
        Ok(m) => m,
        Err(e) => {
            assert!(!e.code().is_empty() && !e.to_string().is_empty());
            return;
        }
    };

    assert_eq!(m.raw(), body);
    assert_eq!(m.digest(), &Digest::sha256_of(m.canonical()));
    assert!(m.verify(m.digest()).is_ok());
    let d = m.descriptor();
    assert_eq!(d.size, m.canonical().len() as u64);
    assert_eq!(&d.digest, m.digest());
    assert_eq!(MediaType::parse(&d.media_type), Some(m.media_type()));
    assert!(m.media_type().is_manifest_or_index());

    let kind = m.kind();
    let _ = (
        kind.as_str(),
        m.annotations(),
        m.subject(),
        m.artifact_type(),
    );
    assert_eq!(kind.is_index(), m.media_type().is_index());
    if !kind.is_index() {
        assert!(m.children().is_empty());
    }
    assert!(m.children().len() <= Limits::DEFAULT.max_index_entries);
    assert_eq!(
        m.config().is_some(),
        matches!(kind, ManifestKind::OciImage | ManifestKind::DockerV2)
    );
    let layers = m.layers();
    assert!(layers.len() <= Limits::DEFAULT.max_layers);
    if kind.is_index() {
        assert!(layers.is_empty());
    }
    for l in &layers {
        if let Some(desc) = l.descriptor() {
            assert_eq!(desc.digest, l.digest);
        }
    }
    let history = m.schema1_history();
    assert_eq!(!history.is_empty(), kind == ManifestKind::DockerSchema1);
    if kind == ManifestKind::DockerSchema1 {
        assert_eq!(history.len(), layers.len());
    }

    let declared = m.media_type().as_str();
    assert_eq!(
        Manifest::parse(body, Some(declared), None).as_ref(),
        Ok(&m),
        "declared as {declared}"
    );
    assert_eq!(
        Manifest::parse(body, None, Some(declared)).as_ref(),
        Ok(&m),
        "parent {declared}"
    );

    check_platform(&m, *platform);
    if !history.is_empty() {
        check_schema1(&history);
    }
});
