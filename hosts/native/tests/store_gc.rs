//! gc keeps what images reach and removes the rest; fsck reports corruption precisely.
#![allow(clippy::unwrap_used)]

mod store_support;

use std::fs;

use hoist::store::{CorruptBlob, MissingBlob, SizeMismatch};
use hoist_core::digest::Digest;
use hoist_testkit::{ImageBuilder, Platform};
use store_support::{new_store, oci_ref, skopeo, TestImage};

#[test]
fn gc_keeps_reachable_blobs_and_removes_the_rest() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    let a = TestImage::build(70, &[1000, 2000]);
    let b = TestImage::build(71, &[3000]);
    a.pull(&store, "a:1", 1);
    b.pull(&store, "b:1", 2);
    // Nothing to collect yet.
    let gc = store.gc().unwrap();
    assert!(gc.removed_blobs.is_empty());
    assert_eq!(gc.kept_blobs, 7);

    store.update(|ix| ix.remove("a:1", false)).unwrap();
    let gc = store.gc().unwrap();
    let mut removed = gc.removed_blobs.clone();
    removed.sort();
    let mut expected = a.blobs();
    expected.sort();
    assert_eq!(removed, expected);
    assert_eq!(gc.freed_bytes, a.size());
    assert_eq!(gc.kept_blobs, 3);
    for d in b.blobs() {
        assert!(store.stat(&d).unwrap().is_some());
    }
    for d in a.blobs() {
        assert!(store.stat(&d).unwrap().is_none());
    }
    let report = store.fsck().unwrap();
    assert!(report.is_clean(), "{report:#?}");
    skopeo(&["inspect", "--raw", &oci_ref(&root, "docker.io/library/b:1")]);

    // A file that is not a blob is left alone, and reported by both.
    let junk = root.join("blobs/sha256/not-a-digest");
    fs::write(&junk, b"x").unwrap();
    assert_eq!(store.gc().unwrap().foreign, std::slice::from_ref(&junk));
    assert!(junk.exists());
    assert_eq!(store.fsck().unwrap().stray_files, [junk]);
}

#[test]
fn gc_follows_index_children_and_shared_blobs() {
    let (_tmp, store) = new_store();
    let dir = tempfile::tempdir().unwrap();
    let built = ImageBuilder::new(80)
        .layer(700)
        .platforms(Platform::standard_set())
        .write(dir.path())
        .unwrap();
    let amd = TestImage::from_built(&built, &built.manifests[0]);
    let arm = TestImage::from_built(&built, &built.manifests[1]);
    amd.pull(&store, "m:amd", 1);
    arm.pull(&store, "m:arm", 2);
    // The same image under a second reference shares every blob.
    arm.pull(&store, "m:again", 3);
    store.update(|ix| ix.remove("m:amd", false)).unwrap();
    store.update(|ix| ix.remove("m:arm", false)).unwrap();
    let gc = store.gc().unwrap();
    assert_eq!(gc.removed_blobs.len(), 3, "amd's manifest, config, layer");
    for d in arm.blobs() {
        assert!(store.stat(&d).unwrap().is_some());
    }
}

#[test]
fn gc_refuses_when_a_manifest_is_missing() {
    let (_tmp, store) = new_store();
    let a = TestImage::build(72, &[100]);
    a.pull(&store, "a:1", 1);
    let stray = TestImage::build(73, &[100]);
    fs::write(
        store
            .root()
            .join("blobs/sha256")
            .join(stray.config.encoded()),
        &stray.config_bytes,
    )
    .unwrap();
    fs::remove_file(
        store
            .root()
            .join("blobs/sha256")
            .join(a.manifest.digest.encoded()),
    )
    .unwrap();
    let err = store.gc().unwrap_err();
    assert_eq!(err.code(), "blob-missing");
    assert!(err.to_string().contains(a.id().as_str()), "{err}");
    assert!(
        store.stat(&stray.config).unwrap().is_some(),
        "nothing removed"
    );
}

#[test]
fn fsck_reports_corrupt_missing_and_wrong_size_blobs() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    let a = TestImage::build(90, &[5000, 6000]);
    let b = TestImage::build(91, &[7000]);
    a.pull(&store, "a:1", 1);
    b.pull(&store, "b:1", 1);
    assert!(store.fsck().unwrap().is_clean());
    let path = |d: &Digest| root.join("blobs/sha256").join(d.encoded());

    // Corrupt a's first layer (same size), delete its config, truncate b's layer.
    let layer = &a.layers[0].0;
    let mut bytes = fs::read(path(layer)).unwrap();
    bytes[100] ^= 0x40;
    let actual = Digest::sha256_of(&bytes);
    fs::write(path(layer), &bytes).unwrap();
    fs::remove_file(path(&a.config)).unwrap();
    let b_layer = &b.layers[0].0;
    let short = fs::read(path(b_layer)).unwrap()[..100].to_vec();
    fs::write(path(b_layer), &short).unwrap();
    // And leave a temp file where it does not belong.
    fs::write(root.join("index.json.tmp"), b"{}").unwrap();

    let report = store.fsck().unwrap();
    assert!(!report.is_clean());
    assert_eq!(report.blobs_checked, 6);
    let mut corrupt = report.corrupt_blobs.clone();
    corrupt.sort_by(|x, y| x.digest.cmp(&y.digest));
    let mut expected = vec![
        CorruptBlob {
            digest: layer.clone(),
            actual,
            size: bytes.len() as u64,
        },
        CorruptBlob {
            digest: b_layer.clone(),
            actual: Digest::sha256_of(&short),
            size: 100,
        },
    ];
    expected.sort_by(|x, y| x.digest.cmp(&y.digest));
    assert_eq!(corrupt, expected);
    assert_eq!(
        report.missing_blobs,
        [MissingBlob {
            image: a.id(),
            digest: a.config.clone(),
            parent: Some(a.manifest.digest.clone()),
        }]
    );
    assert_eq!(
        report.size_mismatches,
        [SizeMismatch {
            image: b.id(),
            digest: b_layer.clone(),
            expected: b.layers[0].1.len() as u64,
            actual: 100,
        }]
    );
    assert_eq!(report.stray_files, [root.join("index.json.tmp")]);
    assert!(report.bad_manifests.is_empty());
    assert_eq!(report.index_json, hoist::store::IndexJsonState::Agrees);

    // A manifest that is not one.
    fs::write(path(&b.manifest.digest), b"[]").unwrap();
    let report = store.fsck().unwrap();
    assert_eq!(report.bad_manifests.len(), 1);
    assert_eq!(report.bad_manifests[0].digest, b.manifest.digest);
}
