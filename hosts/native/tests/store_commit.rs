//! Commit makes images visible (to hoist and to skopeo); index operations keep
//! `index.json` and `hoist.json` in agreement; open refuses bad layouts.
#![allow(clippy::unwrap_used)]

mod store_support;

use std::fs;

use hoist::store::{FsStore, IndexJsonState, Presence};
use hoist_core::digest::Digest;
use hoist_core::store::Change;
use hoist_testkit::{ImageBuilder, ManifestFormat, Platform};
use store_support::{index_entries, new_store, oci_ref, skopeo, snapshot, visible, TestImage};

#[test]
fn commit_makes_image_visible_and_skopeo_reads_it() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    assert!(store.open_report().created);
    let image = TestImage::build(1, &[3000, 70_000]);
    let record = image.pull(&store, "redis:7", 1000);

    assert_eq!(record.id, image.id());
    assert_eq!(record.names, ["docker.io/library/redis:7"]);
    let repo_digest = format!("docker.io/library/redis@{}", image.manifest.digest);
    assert_eq!(record.digests, std::slice::from_ref(&repo_digest));
    assert_eq!(record.pulled_at, Some(1000));
    for d in image.blobs() {
        assert!(store.stat(&d).unwrap().is_some(), "{d} committed");
    }
    let index = store.read_index().unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(
        store.manifest_descriptor(&image.id()).unwrap(),
        Some(image.manifest.clone())
    );
    let m = image.manifest.digest.to_string();
    assert_eq!(
        index_entries(&root),
        [
            ("docker.io/library/redis:7".to_owned(), m.clone()),
            (repo_digest.clone(), m.clone())
        ]
    );
    // Nothing left in ingest/ but nothing (the staging was discarded after the commit).
    assert_eq!(fs::read_dir(root.join("ingest")).unwrap().count(), 0);

    // skopeo addresses the entries by their full names.
    let raw = skopeo(&[
        "inspect",
        "--raw",
        &oci_ref(&root, "docker.io/library/redis:7"),
    ]);
    assert_eq!(raw, image.manifest_bytes);
    let raw = skopeo(&["inspect", "--raw", &oci_ref(&root, &repo_digest)]);
    assert_eq!(raw, image.manifest_bytes);
    let inspect = skopeo(&["inspect", &oci_ref(&root, "docker.io/library/redis:7")]);
    let v: serde_json::Value = serde_json::from_slice(&inspect).unwrap();
    assert_eq!(v["Digest"], m.as_str());
    assert_eq!(v["Layers"].as_array().unwrap().len(), 2);
    let out = _tmp.path().join("out");
    skopeo(&[
        "copy",
        "--quiet",
        &oci_ref(&root, "docker.io/library/redis:7"),
        &format!("dir:{}", out.display()),
    ]);
    assert_eq!(
        fs::read(out.join("manifest.json")).unwrap(),
        image.manifest_bytes
    );
    for (d, bytes) in &image.layers {
        assert_eq!(&fs::read(out.join(d.encoded())).unwrap(), bytes);
    }
    // Short names are not ref names.
    let status = std::process::Command::new("skopeo")
        .args(["inspect", "--raw", &oci_ref(&root, "redis:7")])
        .output()
        .unwrap();
    assert!(!status.status.success());

    let report = store.fsck().unwrap();
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(report.blobs_checked, 4);
    assert!(report.unreferenced_blobs.is_empty());
}

#[test]
fn docker_media_types_and_multi_platform() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    let docker = TestImage::from_builder(
        ImageBuilder::new(5)
            .layer(2000)
            .format(ManifestFormat::DockerV2),
    );
    docker.pull(&store, "quay.io/org/app:v2", 1);
    // The entry keeps the manifest's own (Docker) media type: the bytes are the truth.
    // skopeo 1.9.3's oci: transport skips entries that are not OCI manifests or indexes,
    // so it cannot address this one by name (documented in the store's module docs).
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(root.join("index.json")).unwrap()).unwrap();
    assert_eq!(
        v["manifests"][0]["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(
        store.read_blob(&docker.manifest.digest, 1 << 20).unwrap(),
        docker.manifest_bytes
    );

    // A platform manifest out of a multi-platform index: the entry carries its platform,
    // and the repo digest names the index the reference resolved to.
    let dir = tempfile::tempdir().unwrap();
    let built = ImageBuilder::new(9)
        .layer(1500)
        .platforms(Platform::standard_set())
        .write(dir.path())
        .unwrap();
    let arm = TestImage::from_built(&built, &built.manifests[1]);
    let (index_digest, _) = arm.index.clone().unwrap();
    let record = arm.pull(&store, "ghcr.io/o/multi:1", 2);
    assert_eq!(record.digests, [format!("ghcr.io/o/multi@{index_digest}")]);
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(root.join("index.json")).unwrap()).unwrap();
    let entry = v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["annotations"]["org.opencontainers.image.ref.name"] == "ghcr.io/o/multi:1")
        .unwrap();
    assert_eq!(
        entry["platform"],
        serde_json::json!({"architecture": "arm64", "os": "linux", "variant": "v8"})
    );
    let raw = skopeo(&[
        "inspect",
        "--raw",
        &oci_ref(&root, &format!("ghcr.io/o/multi@{index_digest}")),
    ]);
    assert_eq!(raw, arm.manifest_bytes);
    assert!(store.fsck().unwrap().is_clean());
}

#[test]
fn commit_refuses_incomplete_images_and_changes_nothing() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    let image = TestImage::build(2, &[1000, 2000]);
    image.pull(&store, "base:1", 1);
    let before = visible(&snapshot(&root));

    let other = TestImage::build(3, &[1000, 2000]);
    let staging = store.begin_pull().unwrap();
    // Only the first layer, the config and the manifest.
    let (d, bytes) = &other.layers[0];
    match staging.blob_writer(d, bytes.len() as u64, 0).unwrap() {
        hoist::store::Ingest::Write(mut w) => {
            w.write(bytes).unwrap();
            w.finish().unwrap();
        }
        other => panic!("{other:?}"),
    }
    staging
        .put_blob(&other.config, &other.config_bytes)
        .unwrap();
    staging
        .put_blob(&other.manifest.digest, &other.manifest_bytes)
        .unwrap();
    let err = staging
        .commit(
            &other.blobs(),
            other.manifest.clone(),
            other.pull_record("x:1"),
            5,
        )
        .unwrap_err();
    assert_eq!(err.code(), "blob-missing");
    assert!(
        err.to_string().contains(other.layers[1].0.as_str()),
        "{err}"
    );
    assert_eq!(visible(&snapshot(&root)), before, "nothing visible changed");

    // A manifest descriptor that is not the pull's manifest.
    let mut wrong = other.manifest.clone();
    wrong.digest = image.manifest.digest.clone();
    let err = staging
        .commit(&[], wrong, other.pull_record("x:1"), 5)
        .unwrap_err();
    assert_eq!(err.code(), "invalid-store-request");
    // A wrong manifest size.
    let mut wrong = other.manifest.clone();
    wrong.size += 1;
    let err = staging
        .commit(&[], wrong, other.pull_record("x:1"), 5)
        .unwrap_err();
    assert_eq!(err.code(), "size-mismatch");
    // A reference the core refuses: nothing moves either.
    let (d, bytes) = &other.layers[1];
    match staging.blob_writer(d, bytes.len() as u64, 0).unwrap() {
        hoist::store::Ingest::Write(mut w) => {
            w.write(bytes).unwrap();
            w.finish().unwrap();
        }
        other => panic!("{other:?}"),
    }
    let err = staging
        .commit(
            &other.blobs(),
            other.manifest.clone(),
            other.pull_record("has space:1"),
            5,
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid-reference-format");
    assert_eq!(visible(&snapshot(&root)), before, "nothing visible changed");
    // Now complete: it commits.
    let rec = staging
        .commit(
            &other.blobs(),
            other.manifest.clone(),
            other.pull_record("x:1"),
            5,
        )
        .unwrap();
    assert_eq!(rec.names, ["docker.io/library/x:1"]);
    assert!(staging.staged().is_empty());
    assert!(store.fsck().unwrap().is_clean());
}

#[test]
fn names_move_and_index_operations_rewrite_index_json() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    let a = TestImage::build(10, &[500]);
    let b = TestImage::build(11, &[600]);
    a.pull(&store, "app:1", 1);
    a.pull(&store, "app:latest", 2);
    b.pull(&store, "app:1", 3);
    let index = store.read_index().unwrap();
    assert_eq!(
        index.get(&a.id()).unwrap().names,
        ["docker.io/library/app:latest"]
    );
    assert_eq!(
        index.get(&b.id()).unwrap().names,
        ["docker.io/library/app:1"]
    );

    let changes = store
        .update(|ix| ix.tag("app:1", "mirror.io/app:copy"))
        .unwrap();
    assert_eq!(
        changes,
        [Change::NameAdded {
            id: b.id(),
            name: "mirror.io/app:copy".into()
        }]
    );
    let names: Vec<String> = index_entries(&root).into_iter().map(|(n, _)| n).collect();
    assert!(
        names.contains(&"mirror.io/app:copy".to_owned()),
        "{names:?}"
    );

    // The core's rules decide: several names → rmi by ID needs force.
    let err = store
        .update(|ix| ix.remove(b.id().as_str(), false))
        .unwrap_err();
    assert_eq!(err.code(), "image-has-multiple-names");
    let before = snapshot(&root);
    let err = store
        .update(|ix| ix.untag("app:1", Some("nope:1")))
        .unwrap_err();
    assert_eq!(err.code(), "tag-not-known");
    assert_eq!(
        snapshot(&root),
        before,
        "a refused operation writes nothing"
    );

    // Untag everything from a: it stays, with its repo digest entry only.
    store.update(|ix| ix.untag("app:latest", None)).unwrap();
    let entries = index_entries(&root);
    assert!(entries.iter().any(
        |(n, d)| n.starts_with("docker.io/library/app@") && *d == a.manifest.digest.to_string()
    ));
    // Untag its repo digest too: one unnamed entry keeps its blobs reachable.
    let rd = store.read_index().unwrap().get(&a.id()).unwrap().digests[0].clone();
    store
        .update(|ix| ix.untag(a.id().as_str(), Some(&rd)))
        .unwrap();
    assert!(index_entries(&root).contains(&(String::new(), a.manifest.digest.to_string())));

    let changes = store
        .update(|ix| ix.remove(a.id().as_str(), false))
        .unwrap();
    assert_eq!(changes.last(), Some(&Change::ImageRemoved { id: a.id() }));
    assert_eq!(store.manifest_descriptor(&a.id()).unwrap(), None);
    assert!(!index_entries(&root)
        .iter()
        .any(|(_, d)| *d == a.manifest.digest.to_string()));
    let fsck = store.fsck().unwrap();
    assert!(fsck.is_clean(), "{fsck:#?}");
    assert_eq!(fsck.unreferenced_blobs.len(), 3, "a's blobs wait for gc");

    // remove_all is idempotent: no changes, no write.
    let before = snapshot(&root);
    assert!(store
        .update(|ix| ix.remove_all("gone:1"))
        .unwrap()
        .is_empty());
    assert_eq!(snapshot(&root), before);
}

#[test]
fn second_pull_of_a_committed_image_downloads_nothing() {
    let (_tmp, store) = new_store();
    let image = TestImage::build(20, &[4000, 5000]);
    image.pull(&store, "one:1", 1);
    let staging = store.begin_pull().unwrap();
    for (d, bytes) in &image.layers {
        match staging.blob_writer(d, bytes.len() as u64, 0).unwrap() {
            hoist::store::Ingest::AlreadyPresent(p) => assert_eq!(p, Presence::Committed),
            other => panic!("{other:?}"),
        }
    }
    // A descriptor with the wrong size for a committed blob is refused.
    let (d, bytes) = &image.layers[0];
    let err = staging
        .blob_writer(d, bytes.len() as u64 + 1, 0)
        .unwrap_err();
    assert_eq!(err.code(), "size-mismatch");
    let rec = staging
        .commit(
            &image.blobs(),
            image.manifest.clone(),
            image.pull_record("two:2"),
            9,
        )
        .unwrap();
    assert_eq!(rec.names.len(), 2);
    assert_eq!(rec.pulled_at, Some(9));
    assert!(store.fsck().unwrap().is_clean());
}

#[test]
fn read_blob_is_bounded_and_verified() {
    let (_tmp, store) = new_store();
    let image = TestImage::build(30, &[100]);
    image.pull(&store, "r:1", 1);
    assert_eq!(
        store.read_blob(&image.manifest.digest, 1 << 20).unwrap(),
        image.manifest_bytes
    );
    let err = store.read_blob(&image.manifest.digest, 10).unwrap_err();
    assert_eq!(err.code(), "blob-too-large");
    let missing = Digest::sha256_of(b"nope");
    assert_eq!(
        store.read_blob(&missing, 10).unwrap_err().code(),
        "blob-missing"
    );
    assert_eq!(store.stat(&missing).unwrap(), None);
    let path = store
        .root()
        .join("blobs/sha256")
        .join(image.config.encoded());
    let mut bytes = fs::read(&path).unwrap();
    bytes[0] ^= 1;
    fs::write(&path, bytes).unwrap();
    assert_eq!(
        store.read_blob(&image.config, 1 << 20).unwrap_err().code(),
        "store-corrupt"
    );
}

#[test]
fn open_refuses_bad_layouts_and_leaves_them_alone() {
    let tmp = tempfile::tempdir().unwrap();
    // hoist.json is untrusted: anything off is store-corrupt, and it is never replaced.
    let root = tmp.path().join("a");
    FsStore::open(&root).unwrap();
    for bad in [
        &b"{"[..],
        b"{\"version\":1,\"index\":{\"version\":1,\"images\":[]},\"manifests\":{},\"manifests\":{}}",
        b"{\"version\":9,\"index\":{\"version\":1,\"images\":[]},\"manifests\":{}}",
        b"\xff\xfe",
    ] {
        fs::write(root.join("hoist.json"), bad).unwrap();
        let err = FsStore::open(&root).unwrap_err();
        assert_eq!(err.code(), "store-corrupt", "{err}");
        assert!(err.to_string().contains("hoist.json"), "{err}");
        assert_eq!(fs::read(root.join("hoist.json")).unwrap(), bad);
    }
    // Wrong layout version.
    let root = tmp.path().join("b");
    fs::create_dir_all(&root).unwrap();
    fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"2.0.0"}"#,
    )
    .unwrap();
    assert_eq!(FsStore::open(&root).unwrap_err().code(), "store-corrupt");
    // A foreign layout with images but no hoist.json is not silently emptied.
    let root = tmp.path().join("c");
    ImageBuilder::new(1).layer(10).write(&root).unwrap();
    let before = snapshot(&root);
    let err = FsStore::open(&root).unwrap_err();
    assert_eq!(err.code(), "store-corrupt");
    assert!(err.to_string().contains("foreign"), "{err}");
    let after = snapshot(&root);
    assert_eq!(visible(&after), visible(&before));
    // An empty foreign layout is adopted.
    let root = tmp.path().join("d");
    fs::create_dir_all(&root).unwrap();
    fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    fs::write(
        root.join("index.json"),
        br#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    let store = FsStore::open(&root).unwrap();
    assert!(store.open_report().created);
    assert_eq!(store.fsck().unwrap().index_json, IndexJsonState::Agrees);
}

#[test]
fn a_held_store_lock_is_store_locked_after_the_wait() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    // Another process's lock, as flock sees it: a separate open file description.
    let held = fs::OpenOptions::new()
        .write(true)
        .open(root.join("lock"))
        .unwrap();
    held.lock().unwrap();
    let started = std::time::Instant::now();
    let err =
        FsStore::open_waiting(&root, Some(std::time::Duration::from_millis(100))).unwrap_err();
    assert_eq!(err.code(), "store-locked");
    assert!(err.to_string().contains("lock"), "{err}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(100));
    // Readers take no lock.
    assert!(store.read_index().unwrap().is_empty());
    held.unlock().unwrap();
    let store = FsStore::open_waiting(&root, Some(std::time::Duration::from_millis(100))).unwrap();
    assert!(store.update(|ix| ix.remove_all("x")).unwrap().is_empty());
}
