//! Hostile content: a registry that serves bytes which do not match what was promised, or
//! documents built to be misread. Each case pulls a tag that already names a good image,
//! through the real `hoist` binary, from the fault-injecting fake registry (with the
//! canary credentials), and asserts the error code, a byte-identical store, an unmoved
//! tag, what the registry saw, and that the canary leaked nowhere.
#![allow(clippy::unwrap_used)]

mod hostile_support;

use hoist_testkit::digest_of;
use hoist_testkit::fake::{
    index_over, truncated, Body, ImageParts, Reply, OCI_INDEX, OCI_MANIFEST,
};
use hostile_support::{Case, TAG};
use serde_json::json;

/// A second image (the attack), not yet served.
fn evil() -> ImageParts {
    ImageParts::new(2, &[4000, 6000])
}

/// Serves `parts` at the attacked tag with `manifest` as its manifest bytes.
fn serve_manifest(case: &Case, parts: &ImageParts, media_type: &str, manifest: Vec<u8>) -> String {
    case.fake.content(|c| {
        c.add_blob(parts.config.clone());
        for l in &parts.layers {
            c.add_blob(l.clone());
        }
        c.add_manifest(media_type, manifest, Some(TAG))
    })
}

#[test]
fn blob_with_the_wrong_digest() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    let wanted = parts.layer_digest(1);
    let len = parts.layers[1].len();
    // Same length, other bytes: only the digest can tell.
    let w = wanted.clone();
    case.fake.rule(move |seen, _| {
        seen.path()
            .ends_with(&w)
            .then(|| Reply::new(200, vec![0x5a; len]))
    });
    case.expect_failure("digest-mismatch");
    let blob_gets = case
        .fake
        .log()
        .iter()
        .filter(|s| s.path().ends_with(&wanted))
        .count();
    assert_eq!(blob_gets, 1, "a digest mismatch is never retried");
}

#[test]
fn manifest_by_digest_with_the_wrong_digest() {
    let case = Case::new();
    let parts = evil();
    let digest = parts.manifest_digest();
    // Whatever the registry holds under that digest is something else.
    let other = ImageParts::new(3, &[100]).manifest_bytes();
    case.fake.content(|c| {
        c.manifests
            .insert(digest.clone(), (OCI_MANIFEST.into(), other));
    });
    let by_digest = format!("{}/{}@{digest}", case.fake.host(), hostile_support::REPO);
    case.expect_failure_of(&by_digest, "digest-mismatch", &[]);
    assert!(
        case.fake.log().iter().all(|s| !s.is_blob()),
        "no blob is fetched for a bad manifest"
    );
}

#[test]
fn docker_content_digest_header_that_lies() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    let liar = digest_of(b"something else");
    let l = liar.clone();
    case.fake.rule(move |seen, content| {
        if !seen.is_manifest() {
            return None;
        }
        let mut r = content.manifest(TAG);
        r.headers.retain(|(k, _)| k != "Docker-Content-Digest");
        Some(r.header("Docker-Content-Digest", l.clone()))
    });
    case.expect_failure("digest-mismatch");
    assert!(
        case.fake.log().iter().all(|s| !s.is_blob()),
        "nothing is fetched after the lie"
    );
}

#[test]
fn layer_size_differs_from_its_descriptor() {
    let case = Case::new();
    let parts = evil();
    let mut m = parts.manifest.clone();
    m["layers"][0]["size"] = json!(parts.layers[0].len() + 10);
    serve_manifest(&case, &parts, OCI_MANIFEST, m.to_string().into_bytes());
    case.expect_failure("size-mismatch");
}

#[test]
fn blob_longer_than_its_descriptor_is_cut_off() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    let d = parts.layer_digest(0);
    let mut longer = parts.layers[0].clone();
    longer.extend_from_slice(&[0u8; 4096]);
    case.fake.rule(move |seen, _| {
        seen.path()
            .ends_with(&d)
            .then(|| Reply::new(200, longer.clone()))
    });
    case.expect_failure("size-mismatch");
}

#[test]
fn truncated_blob_body_every_time() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    // Every answer (ranged or not) stops after 100 bytes of what it promised.
    case.fake
        .mangle_blob(&parts.layer_digest(1), usize::MAX, |b| truncated(b, 100));
    case.expect_failure("connection-reset");
    let gets = case
        .fake
        .log()
        .into_iter()
        .filter(|s| s.is_blob() && s.path().ends_with(&parts.layer_digest(1)))
        .count();
    assert!((2..=5).contains(&gets), "bounded retries, got {gets}");
}

#[test]
fn truncated_manifest_body() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    case.fake
        .mangle_manifest(TAG, usize::MAX, |b| truncated(b, b.len() / 2));
    case.expect_failure("connection-reset");
}

#[test]
fn endless_manifest_body() {
    let case = Case::new();
    case.fake.rule(|seen, _| {
        (seen.is_manifest() && seen.method == "GET").then(|| {
            Reply::status(200)
                .header("Content-Type", OCI_MANIFEST)
                .body(Body::Endless)
        })
    });
    case.expect_failure("manifest-too-large");
}

#[test]
fn endless_blob_body() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    let d = parts.layer_digest(0);
    case.fake.rule(move |seen, _| {
        seen.path()
            .ends_with(&d)
            .then(|| Reply::status(200).body(Body::Endless))
    });
    case.expect_failure("size-mismatch");
}

#[test]
fn manifest_over_its_limit() {
    let case = Case::new();
    let huge = vec![b' '; 4 * 1024 * 1024 + 1];
    case.fake.rule(move |seen, _| {
        seen.is_manifest()
            .then(|| Reply::new(200, huge.clone()).header("Content-Type", OCI_MANIFEST))
    });
    case.expect_failure("manifest-too-large");
}

#[test]
fn config_over_its_limit() {
    let case = Case::new();
    let mut parts = evil();
    let mut config: serde_json::Value = serde_json::from_slice(&parts.config).unwrap();
    config["padding"] = json!("x".repeat(4 * 1024 * 1024));
    parts.config = config.to_string().into_bytes();
    parts.manifest["config"]["digest"] = json!(digest_of(&parts.config));
    parts.manifest["config"]["size"] = json!(parts.config.len());
    case.serve(&parts);
    case.expect_failure("config-too-large");
    assert_eq!(
        case.layer_requests(&parts),
        0,
        "no layer is fetched for a rejected document"
    );
}

#[test]
fn error_body_over_its_limit() {
    let case = Case::new();
    // An error status with a body that never ends: only the first 64 KiB are read, to
    // look for a registry error code; the status decides.
    case.fake.rule(|seen, _| {
        seen.is_manifest().then(|| {
            Reply::status(400)
                .header("Content-Type", "application/json")
                .body(Body::Endless)
        })
    });
    let out = case.expect_failure("unexpected-status");
    assert!(
        out.took < std::time::Duration::from_secs(20),
        "{:?}",
        out.took
    );
}

#[test]
fn index_nested_too_deep() {
    let case = Case::new();
    let parts = evil();
    let mut child = (OCI_MANIFEST.to_owned(), parts.manifest_bytes());
    let mut docs = Vec::new();
    for _ in 0..6 {
        let index = index_over(&child.0, &child.1, child.1.len());
        docs.push(child);
        child = (OCI_INDEX.to_owned(), index);
    }
    case.fake.content(|c| {
        c.add_blob(parts.config.clone());
        for (mt, b) in docs {
            c.add_manifest(&mt, b, None);
        }
        c.add_manifest(&child.0, child.1, Some(TAG));
    });
    case.expect_failure("index-too-deep");
    assert_eq!(
        case.layer_requests(&parts),
        0,
        "no layer is fetched for a rejected document"
    );
    let manifest_gets = case.fake.log().iter().filter(|s| s.is_manifest()).count();
    assert!(
        manifest_gets <= 12,
        "depth is bounded: {manifest_gets} manifest requests"
    );
}

#[test]
fn too_many_layers() {
    let case = Case::new();
    let parts = evil();
    let mut m = parts.manifest.clone();
    let layer = m["layers"][0].clone();
    m["layers"] = json!(vec![layer; 1001]);
    serve_manifest(&case, &parts, OCI_MANIFEST, m.to_string().into_bytes());
    case.expect_failure("too-many-layers");
    assert!(case.fake.log().iter().all(|s| !s.is_blob()));
}

#[test]
fn document_with_both_manifests_and_layers() {
    let case = Case::new();
    let parts = evil();
    let mut m = parts.manifest.clone();
    m["manifests"] = json!([{
        "mediaType": OCI_MANIFEST,
        "digest": case.good.manifest_digest(),
        "size": case.good.manifest_bytes().len(),
    }]);
    serve_manifest(&case, &parts, OCI_MANIFEST, m.to_string().into_bytes());
    case.expect_failure("ambiguous-manifest");
    assert_eq!(
        case.layer_requests(&parts),
        0,
        "no layer is fetched for a rejected document"
    );
}

#[test]
fn media_type_in_body_disagrees_with_the_header() {
    let case = Case::new();
    let parts = evil();
    // The body says index, the header says manifest.
    let mut m = parts.manifest.clone();
    m["mediaType"] = json!(OCI_INDEX);
    serve_manifest(&case, &parts, OCI_MANIFEST, m.to_string().into_bytes());
    case.expect_failure("media-type-mismatch");
    assert_eq!(
        case.layer_requests(&parts),
        0,
        "no layer is fetched for a rejected document"
    );
}

#[test]
fn media_type_header_disagrees_with_the_body() {
    let case = Case::new();
    let parts = evil();
    serve_manifest(
        &case,
        &parts,
        "application/vnd.docker.distribution.manifest.v2+json",
        parts.manifest_bytes(),
    );
    case.expect_failure("media-type-mismatch");
    assert_eq!(
        case.layer_requests(&parts),
        0,
        "no layer is fetched for a rejected document"
    );
}

#[test]
fn media_type_disagrees_with_the_parent_index() {
    let case = Case::new();
    let parts = evil();
    let manifest = parts.manifest_bytes();
    // The parent promises an index; the child is a manifest.
    let index = index_over(OCI_INDEX, &manifest, manifest.len());
    case.fake.content(|c| {
        c.add_parts(&parts, "unused");
        c.add_manifest(OCI_INDEX, index, Some(TAG));
    });
    case.expect_failure("media-type-mismatch");
    assert_eq!(
        case.layer_requests(&parts),
        0,
        "no layer is fetched for a rejected document"
    );
}

#[test]
fn duplicate_json_keys_in_a_manifest() {
    let case = Case::new();
    let parts = evil();
    let text = parts.manifest.to_string();
    // A second "config" key after the first: two parsers could pick different ones.
    let other = &case.good.manifest["config"];
    let dup = format!("{},\"config\":{}}}", &text[..text.len() - 1], other);
    serve_manifest(&case, &parts, OCI_MANIFEST, dup.into_bytes());
    case.expect_failure("duplicate-key");
    assert_eq!(
        case.layer_requests(&parts),
        0,
        "no layer is fetched for a rejected document"
    );
}

#[test]
fn trailing_data_after_a_manifest() {
    let case = Case::new();
    let parts = evil();
    let mut bytes = parts.manifest_bytes();
    bytes.extend_from_slice(b" {\"layers\":[]}");
    serve_manifest(&case, &parts, OCI_MANIFEST, bytes);
    case.expect_failure("trailing-data");
    assert_eq!(
        case.layer_requests(&parts),
        0,
        "no layer is fetched for a rejected document"
    );
}

#[test]
fn duplicate_json_keys_in_a_config() {
    let case = Case::new();
    let mut parts = evil();
    let text = String::from_utf8(parts.config.clone()).unwrap();
    parts.config = format!("{},\"os\":\"windows\"}}", &text[..text.len() - 1]).into_bytes();
    parts.manifest["config"]["digest"] = json!(digest_of(&parts.config));
    parts.manifest["config"]["size"] = json!(parts.config.len());
    case.serve(&parts);
    case.expect_failure("duplicate-key");
    assert_eq!(
        case.layer_requests(&parts),
        0,
        "no layer is fetched for a rejected document"
    );
}

#[test]
fn config_diff_ids_count_differs_from_the_layers() {
    let case = Case::new();
    let mut parts = evil();
    let mut config: serde_json::Value = serde_json::from_slice(&parts.config).unwrap();
    config["rootfs"]["diff_ids"]
        .as_array_mut()
        .unwrap()
        .push(json!(digest_of(b"a third layer")));
    parts.config = config.to_string().into_bytes();
    parts.manifest["config"]["digest"] = json!(digest_of(&parts.config));
    parts.manifest["config"]["size"] = json!(parts.config.len());
    case.serve(&parts);
    case.expect_failure("diff-ids-mismatch");
    assert_eq!(
        case.layer_requests(&parts),
        0,
        "no layer is fetched for a rejected document"
    );
}

#[test]
fn layer_digest_that_is_a_path_never_becomes_one() {
    let case = Case::new();
    let parts = evil();
    let mut m = parts.manifest.clone();
    m["layers"][0]["digest"] = json!("sha256:../../../../../../tmp/hoist-escape");
    serve_manifest(&case, &parts, OCI_MANIFEST, m.to_string().into_bytes());
    // Rejected while parsing the manifest, before any blob request or file.
    case.expect_failure("invalid-digest-length");
    assert!(case.fake.log().iter().all(|s| !s.is_blob()));
    assert!(!std::path::Path::new("/tmp/hoist-escape").exists());
}

#[test]
fn index_entry_size_differs_from_the_manifest() {
    let case = Case::new();
    let parts = evil();
    let manifest = parts.manifest_bytes();
    let index = index_over(OCI_MANIFEST, &manifest, manifest.len() + 1);
    case.fake.content(|c| {
        c.add_parts(&parts, "unused");
        c.add_manifest(OCI_INDEX, index, Some(TAG));
    });
    case.expect_failure("size-mismatch");
    assert_eq!(case.layer_requests(&parts), 0);
}

#[test]
fn config_with_the_wrong_digest() {
    let case = Case::new();
    let parts = evil();
    case.serve(&parts);
    let config_digest = parts.id();
    let len = parts.config.len();
    case.fake.rule(move |seen, _| {
        seen.path()
            .ends_with(&config_digest)
            .then(|| Reply::new(200, vec![b' '; len]))
    });
    case.expect_failure("digest-mismatch");
    assert_eq!(case.layer_requests(&parts), 0);
}
