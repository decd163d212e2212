//! Blob writers: verification, early size failure, resume, discard, and one download per
//! blob across concurrent pulls in one process.
#![allow(clippy::unwrap_used)]

mod store_support;

use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use hoist::store::{BlobWriter, Ingest, Presence, Staging};
use hoist_core::digest::Digest;
use store_support::{new_store, snapshot, visible, TestImage};

fn writer(staging: &Staging, d: &Digest, size: u64, offset: u64) -> Box<BlobWriter> {
    match staging.blob_writer(d, size, offset).unwrap() {
        Ingest::Write(w) => w,
        Ingest::AlreadyPresent(p) => panic!("unexpected {p:?}"),
    }
}

fn blob(n: usize, seed: u8) -> (Digest, Vec<u8>) {
    let bytes: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect();
    (Digest::sha256_of(&bytes), bytes)
}

#[test]
fn wrong_bytes_fail_and_leave_nothing() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    let before = snapshot(&root);
    let staging = store.begin_pull().unwrap();
    let (d, mut bytes) = blob(10_000, 1);
    bytes[5000] ^= 0xff;
    let mut w = writer(&staging, &d, 10_000, 0);
    w.write(&bytes).unwrap();
    let err = w.finish().unwrap_err();
    assert_eq!(err.code(), "digest-mismatch");
    assert!(err.to_string().contains(d.as_str()), "{err}");
    assert!(staging.staged().is_empty());
    assert!(!root
        .join("ingest")
        .join(format!("sha256-{}.partial", d.encoded()))
        .exists());
    assert_eq!(store.stat(&d).unwrap(), None);
    staging.discard().unwrap();
    assert_eq!(snapshot(&root), before);
}

#[test]
fn oversize_stream_fails_at_once() {
    let (_tmp, store) = new_store();
    let staging = store.begin_pull().unwrap();
    let (d, bytes) = blob(1000, 2);
    let mut w = writer(&staging, &d, 999, 0);
    w.write(&bytes[..999]).unwrap();
    let err = w.write(&bytes[999..]).unwrap_err();
    assert_eq!(err.code(), "size-mismatch");
    // Poisoned afterwards.
    assert_eq!(w.write(b"x").unwrap_err().code(), "blob-writer-failed");
    assert_eq!(w.finish().unwrap_err().code(), "blob-writer-failed");
    assert!(!store
        .root()
        .join("ingest")
        .join(format!("sha256-{}.partial", d.encoded()))
        .exists());
    // put_blob checks too.
    assert_eq!(
        staging.put_blob(&d, &bytes[1..]).unwrap_err().code(),
        "digest-mismatch"
    );
    assert!(staging.staged().is_empty());
}

#[test]
fn resume_from_a_partial_file() {
    let (_tmp, store) = new_store();
    let (d, bytes) = blob(300_000, 3);
    let partial = store
        .root()
        .join("ingest")
        .join(format!("sha256-{}.partial", d.encoded()));
    let size = bytes.len() as u64;

    // First pull: the connection drops after 100 000 bytes.
    let staging = store.begin_pull().unwrap();
    let mut w = writer(&staging, &d, size, 0);
    w.write(&bytes[..100_000]).unwrap();
    assert_eq!(w.staged_len(), 100_000);
    let err = w.finish().unwrap_err();
    assert_eq!(err.code(), "size-mismatch", "a short stream");
    assert_eq!(fs::metadata(&partial).unwrap().len(), 100_000, "kept");
    staging.discard().unwrap();
    assert!(
        partial.exists(),
        "discard keeps partial files for a later pull"
    );

    // A later pull (a reopened store, as after a restart) resumes where it stopped.
    let store = hoist::store::FsStore::open(store.root()).unwrap();
    assert!(partial.exists(), "open keeps partial files");
    let staging = store.begin_pull().unwrap();
    let mut w = writer(&staging, &d, size, u64::MAX);
    assert_eq!(w.resumed_from(), 100_000);
    assert_eq!(w.staged_len(), 100_000);
    // The writer is an io::Write too.
    std::io::copy(&mut &bytes[100_000..200_000], &mut *w).unwrap();
    drop(w); // dropped mid-way: the partial stays
    let mut w = writer(&staging, &d, size, 150_000);
    assert_eq!(w.resumed_from(), 150_000, "offset caps what is kept");
    assert_eq!(fs::metadata(&partial).unwrap().len(), 150_000);
    w.write(&bytes[150_000..]).unwrap();
    assert_eq!(w.finish().unwrap(), size);
    assert!(!partial.exists());
    assert_eq!(staging.staged(), [(d.clone(), size)]);

    // A corrupted prefix is caught at finish, and the bad partial is deleted.
    let (d2, bytes2) = blob(50_000, 4);
    let partial2 = store
        .root()
        .join("ingest")
        .join(format!("sha256-{}.partial", d2.encoded()));
    let mut bad = bytes2[..20_000].to_vec();
    bad[10] ^= 1;
    fs::write(&partial2, &bad).unwrap();
    let mut w = writer(&staging, &d2, 50_000, u64::MAX);
    assert_eq!(w.resumed_from(), 20_000);
    w.write(&bytes2[20_000..]).unwrap();
    assert_eq!(w.finish().unwrap_err().code(), "digest-mismatch");
    assert!(!partial2.exists());
    // Offset 0 starts over.
    fs::write(&partial2, &bad).unwrap();
    let mut w = writer(&staging, &d2, 50_000, 0);
    assert_eq!(w.resumed_from(), 0);
    w.write(&bytes2).unwrap();
    w.finish().unwrap();

    // gc removes partial files nobody is writing.
    fs::write(&partial2, b"junk").unwrap();
    let report = store.gc().unwrap();
    assert!(report.removed_ingest.contains(&partial2), "{report:?}");
    assert!(staging.dir().exists(), "a live pull's staging survives gc");
}

#[test]
fn discard_and_drop_leave_the_tree_byte_identical() {
    let (_tmp, store) = new_store();
    let root = store.root().to_path_buf();
    let committed = TestImage::build(40, &[2000]);
    committed.pull(&store, "kept:1", 1);
    let before = snapshot(&root);

    let image = TestImage::build(41, &[3000, 4000]);
    let staging = store.begin_pull().unwrap();
    assert_eq!(image.stage(&staging, 1000), 2);
    // It also pins a committed blob.
    let (d, b) = &committed.layers[0];
    assert!(matches!(
        staging.blob_writer(d, b.len() as u64, 0).unwrap(),
        Ingest::AlreadyPresent(Presence::Committed)
    ));
    assert_eq!(staging.staged().len(), 5);
    assert_ne!(snapshot(&root), before);
    assert_eq!(visible(&snapshot(&root)), visible(&before));
    staging.discard().unwrap();
    assert_eq!(snapshot(&root), before, "discard");

    let staging = store.begin_pull().unwrap();
    image.stage(&staging, 1000);
    drop(staging);
    assert_eq!(snapshot(&root), before, "drop");

    // A writer that outlives its discarded staging cannot put anything back.
    let staging = store.begin_pull().unwrap();
    let (d, bytes) = &image.layers[0];
    let mut w = writer(&staging, d, bytes.len() as u64, 0);
    w.write(bytes).unwrap();
    let dir = staging.dir().to_path_buf();
    staging.discard().unwrap();
    assert_eq!(w.finish().unwrap_err().code(), "staging-discarded");
    assert!(!dir.exists());
    // Only the (resumable) partial file differs from before.
    let partial =
        std::path::PathBuf::from("ingest").join(format!("sha256-{}.partial", d.encoded()));
    let mut after = snapshot(&root);
    assert!(after.remove(&partial).is_some());
    assert_eq!(after, before);
}

#[test]
fn two_threads_staging_one_blob_write_it_once() {
    let (_tmp, store) = new_store();
    let image = TestImage::build(50, &[200_000, 100_000]);
    let writes = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = ["t1:1", "t2:1"]
        .into_iter()
        .map(|reference| {
            let (store, image, writes, barrier) = (
                store.clone(),
                image.clone(),
                Arc::clone(&writes),
                Arc::clone(&barrier),
            );
            thread::spawn(move || {
                let staging = store.begin_pull().unwrap();
                barrier.wait();
                let mut present = Vec::new();
                for (d, bytes) in &image.layers {
                    match staging.blob_writer(d, bytes.len() as u64, 0).unwrap() {
                        Ingest::Write(mut w) => {
                            writes.fetch_add(1, Ordering::SeqCst);
                            for c in bytes.chunks(20_000) {
                                w.write(c).unwrap();
                                thread::sleep(Duration::from_millis(5));
                            }
                            w.finish().unwrap();
                        }
                        Ingest::AlreadyPresent(p) => present.push(p),
                    }
                }
                staging
                    .put_blob(&image.config, &image.config_bytes)
                    .unwrap();
                staging
                    .put_blob(&image.manifest.digest, &image.manifest_bytes)
                    .unwrap();
                staging
                    .commit(
                        &image.blobs(),
                        image.manifest.clone(),
                        image.pull_record(reference),
                        1,
                    )
                    .unwrap();
                present
            })
        })
        .collect();
    let present: Vec<Presence> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(writes.load(Ordering::SeqCst), 2, "each layer written once");
    assert_eq!(present.len(), 2, "{present:?}");
    let index = store.read_index().unwrap();
    assert_eq!(index.get(&image.id()).unwrap().names.len(), 2);
    let report = store.fsck().unwrap();
    assert!(report.is_clean(), "{report:#?}");
    assert!(report.stale_ingest.is_empty(), "{report:#?}");
    assert_eq!(
        fs::read_dir(store.root().join("ingest")).unwrap().count(),
        0,
        "no lock or staging left"
    );
}

#[test]
fn try_blob_writer_reports_a_busy_blob_without_waiting() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<hoist::store::FsStore>();
    send_sync::<Staging>();
    fn send<T: Send>() {}
    send::<BlobWriter>();

    let (_tmp, store) = new_store();
    let (d, bytes) = blob(5000, 7);
    let first = store.begin_pull().unwrap();
    let second = store.begin_pull().unwrap();
    let mut w = writer(&first, &d, 5000, 0);
    assert!(second.try_blob_writer(&d, 5000, 0).unwrap().is_none());
    w.write(&bytes).unwrap();
    w.finish().unwrap();
    assert!(matches!(
        second.try_blob_writer(&d, 5000, 0).unwrap(),
        Some(Ingest::AlreadyPresent(Presence::Staged))
    ));
    // A staged blob with another size than declared is a wrong descriptor.
    let third = store.begin_pull().unwrap();
    assert_eq!(
        third.blob_writer(&d, 4999, 0).unwrap_err().code(),
        "size-mismatch"
    );
    // The first pull discarding does not take the blob from the second.
    first.discard().unwrap();
    assert_eq!(second.staged(), [(d.clone(), 5000)]);
    assert!(second
        .dir()
        .join(format!("sha256-{}", d.encoded()))
        .exists());
}
