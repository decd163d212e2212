//! `Staging::reserve`: of two pulls that ask about one absent blob at once, the first
//! reserves it (and downloads it), the second waits and then finds it staged — so the blob
//! is fetched once. The reservation is handed to the writer, released by discard, and a
//! pull asking twice for the same digest does not deadlock on itself.
#![allow(clippy::unwrap_used)]

mod store_support;

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use hoist::store::{FsStore, Ingest};
use store_support::TestImage;

#[test]
fn second_pull_waits_for_the_reserving_one_and_finds_the_blob() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FsStore::open(tmp.path().join("store")).unwrap();
    let image = TestImage::build(31, &[50_000]);
    let (digest, bytes) = image.layers[0].clone();
    let first = store.begin_pull().unwrap();
    assert_eq!(first.reserve(&digest).unwrap(), None, "absent: reserved");
    // The same pull asking again does not wait for itself.
    assert_eq!(first.reserve(&digest).unwrap(), None);
    let (tx, rx) = mpsc::channel();
    let s2 = store.clone();
    let d2 = digest.clone();
    let waiter = thread::spawn(move || {
        let second = s2.begin_pull().unwrap();
        let r = second.reserve(&d2).unwrap();
        tx.send(r).unwrap();
        second
    });
    // While the first pull holds the reservation, the second one waits.
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    match first.blob_writer(&digest, bytes.len() as u64, 0).unwrap() {
        Ingest::Write(mut w) => {
            w.write(&bytes).unwrap();
            w.finish().unwrap();
        }
        Ingest::AlreadyPresent(p) => panic!("reserved blob already present: {p:?}"),
    }
    let got = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        got,
        Some(bytes.len() as u64),
        "found staged by the first pull"
    );
    let second = waiter.join().unwrap();
    assert!(second.staged().iter().any(|(d, _)| *d == digest));
}

#[test]
fn discard_releases_a_reservation() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FsStore::open(tmp.path().join("store")).unwrap();
    let image = TestImage::build(32, &[10_000]);
    let digest = image.layers[0].0.clone();
    let first = store.begin_pull().unwrap();
    assert_eq!(first.reserve(&digest).unwrap(), None);
    first.discard().unwrap();
    let second = store.begin_pull().unwrap();
    // Not blocked, and still absent: the discarded pull staged nothing.
    assert_eq!(second.reserve(&digest).unwrap(), None);
}
