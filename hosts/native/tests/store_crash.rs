//! Crash recovery at open: index.json rebuilt from hoist.json, leftovers of interrupted
//! writes and dead pulls removed, live pulls left alone.
#![allow(clippy::unwrap_used)]

mod store_support;

use std::fs;

use hoist::store::{FsStore, IndexJsonState};
use store_support::{index_entries, new_store, oci_ref, skopeo, snapshot, TestImage};

#[test]
fn index_json_is_rebuilt_after_a_crash_between_the_two_writes() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    let image = TestImage::build(60, &[1000]);
    image.pull(&store, "app:1", 1);
    let old_index = fs::read(root.join("index.json")).unwrap();

    // The crash: hoist.json has the tag, index.json is still the old one.
    store.update(|ix| ix.tag("app:1", "app:2")).unwrap();
    let good_index = fs::read(root.join("index.json")).unwrap();
    fs::write(root.join("index.json"), &old_index).unwrap();

    let report = store.fsck().unwrap();
    assert!(!report.is_clean());
    assert_eq!(
        report.index_json,
        IndexJsonState::Differs {
            missing: vec![(
                "docker.io/library/app:2".into(),
                image.manifest.digest.to_string()
            )],
            extra: vec![],
        }
    );

    let reopened = FsStore::open(&root).unwrap();
    assert!(reopened.open_report().index_rebuilt);
    assert_eq!(fs::read(root.join("index.json")).unwrap(), good_index);
    assert!(reopened.fsck().unwrap().is_clean());
    skopeo(&[
        "inspect",
        "--raw",
        &oci_ref(&root, "docker.io/library/app:2"),
    ]);

    // A missing or garbled index.json is rebuilt as well; a clean store is not rewritten.
    fs::remove_file(root.join("index.json")).unwrap();
    assert_eq!(store.fsck().unwrap().index_json, IndexJsonState::Missing);
    assert!(FsStore::open(&root).unwrap().open_report().index_rebuilt);
    fs::write(root.join("index.json"), b"{garbage").unwrap();
    assert!(matches!(
        store.fsck().unwrap().index_json,
        IndexJsonState::Unreadable(_)
    ));
    assert!(FsStore::open(&root).unwrap().open_report().index_rebuilt);
    let before = snapshot(&root);
    let again = FsStore::open(&root).unwrap();
    assert_eq!(again.open_report(), &Default::default());
    assert_eq!(snapshot(&root), before);
    assert_eq!(index_entries(&root).len(), 3);
}

#[test]
fn open_removes_leftovers_of_dead_writers_only() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    let ingest = root.join("ingest");
    let image = TestImage::build(61, &[1000]);

    // A live pull in this process: its lock is held, so open must keep it.
    let live = store.begin_pull().unwrap();
    image.stage(&live, 100);
    // Leftovers: an interrupted index write, a pull that died (with and without its lock
    // file), a free digest lock, and a partial file (kept: resumable).
    fs::write(ingest.join("tmp-hoist.json-1-2-3"), b"{\"half").unwrap();
    fs::create_dir(ingest.join("pull-dead-1")).unwrap();
    fs::write(ingest.join("pull-dead-1/sha256-ab"), b"x").unwrap();
    fs::create_dir(ingest.join("pull-dead-2")).unwrap();
    fs::write(ingest.join("pull-dead-2.lock"), b"").unwrap();
    fs::write(ingest.join("pull-dead-3.lock"), b"").unwrap();
    let free_lock = ingest.join(format!("sha256-{}.lock", "c".repeat(64)));
    fs::write(&free_lock, b"").unwrap();
    let partial = ingest.join(format!("sha256-{}.partial", "d".repeat(64)));
    fs::write(&partial, b"abc").unwrap();

    let fsck = store.fsck().unwrap();
    assert!(
        fsck.is_clean(),
        "ingest leftovers are not visible: {fsck:#?}"
    );
    assert!(fsck.stale_ingest.contains(&ingest.join("pull-dead-1")));
    assert!(fsck.stale_ingest.contains(&partial));
    assert!(!fsck.stale_ingest.contains(&live.dir().to_path_buf()));

    let reopened = FsStore::open(&root).unwrap();
    let mut removed = reopened.open_report().removed.clone();
    removed.sort();
    let mut expected = vec![
        ingest.join("tmp-hoist.json-1-2-3"),
        ingest.join("pull-dead-1"),
        ingest.join("pull-dead-2"),
        ingest.join("pull-dead-2.lock"),
        ingest.join("pull-dead-3.lock"),
        free_lock.clone(),
    ];
    expected.sort();
    assert_eq!(removed, expected);
    assert!(partial.exists());
    assert!(live.dir().exists());

    // The live pull still commits.
    live.commit(
        &image.blobs(),
        image.manifest.clone(),
        image.pull_record("live:1"),
        1,
    )
    .unwrap();
    assert!(reopened.fsck().unwrap().is_clean());
}

#[test]
fn blobs_of_a_commit_interrupted_before_hoist_json_are_garbage() {
    // A crash after the blob renames but before hoist.json: the blobs are in blobs/ but no
    // record reaches them. Simulated by copying them in by hand.
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    let image = TestImage::build(62, &[800]);
    for (d, bytes) in image
        .layers
        .iter()
        .cloned()
        .chain([(image.config.clone(), image.config_bytes.clone())])
    {
        fs::write(root.join("blobs/sha256").join(d.encoded()), bytes).unwrap();
    }
    let report = store.fsck().unwrap();
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(report.unreferenced_blobs.len(), 2);
    let gc = store.gc().unwrap();
    assert_eq!(gc.removed_blobs.len(), 2);
    assert!(store.fsck().unwrap().unreferenced_blobs.is_empty());
}
