//! Two processes pulling one image download each blob once.
//!
//! The parent test re-runs this test binary twice as children (`child_pull`, ignored in a
//! normal run, selected with `--ignored --exact`), each pulling the same image into the
//! same store under its own name, writing layers slowly so the two overlap. Each child logs
//! which blobs it actually wrote.
#![allow(clippy::unwrap_used)]

mod store_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use hoist::store::{FsStore, Ingest};
use store_support::TestImage;

const ENV_ROOT: &str = "HOIST_STORE_CHILD_ROOT";
const ENV_NAME: &str = "HOIST_STORE_CHILD_NAME";
const ENV_GO: &str = "HOIST_STORE_CHILD_GO";

fn image() -> TestImage {
    TestImage::build(100, &[400_000, 300_000, 200_000])
}

#[test]
#[ignore = "run by two_processes_pulling_one_image_write_each_blob_once"]
fn child_pull() {
    let (Ok(root), Ok(name), Ok(go)) = (
        std::env::var(ENV_ROOT),
        std::env::var(ENV_NAME),
        std::env::var(ENV_GO),
    ) else {
        return;
    };
    let image = image();
    let store = FsStore::open(&root).unwrap();
    let staging = store.begin_pull().unwrap();
    // Start together.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !Path::new(&go).exists() {
        assert!(Instant::now() < deadline, "no go signal");
        thread::sleep(Duration::from_millis(2));
    }
    let mut log = String::new();
    for (d, bytes) in &image.layers {
        match staging.blob_writer(d, bytes.len() as u64, 0).unwrap() {
            Ingest::Write(mut w) => {
                for c in bytes.chunks(50_000) {
                    w.write(c).unwrap();
                    thread::sleep(Duration::from_millis(10));
                }
                w.finish().unwrap();
                log.push_str(&format!("wrote {d}\n"));
            }
            Ingest::AlreadyPresent(p) => log.push_str(&format!("present {d} {p:?}\n")),
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
            image.pull_record(&name),
            1,
        )
        .unwrap();
    fs::write(
        PathBuf::from(&root).with_extension(format!("{}.log", std::process::id())),
        log,
    )
    .unwrap();
}

#[test]
fn two_processes_pulling_one_image_write_each_blob_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    FsStore::open(&root).unwrap();
    let go = tmp.path().join("go");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = ["p1:1", "p2:1"]
        .iter()
        .map(|name| {
            Command::new(&exe)
                .args([
                    "child_pull",
                    "--exact",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(ENV_ROOT, &root)
                .env(ENV_NAME, name)
                .env(ENV_GO, &go)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Give both time to open the store and begin their pulls.
    thread::sleep(Duration::from_millis(300));
    fs::write(&go, b"").unwrap();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "child failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut logs = Vec::new();
    for e in fs::read_dir(tmp.path()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "log") {
            logs.push(fs::read_to_string(p).unwrap());
        }
    }
    assert_eq!(logs.len(), 2, "both children logged");
    let image = image();
    for (d, _) in &image.layers {
        let wrote = logs
            .iter()
            .flat_map(|l| l.lines())
            .filter(|l| *l == format!("wrote {d}"))
            .count();
        assert_eq!(wrote, 1, "{d} written once; logs: {logs:#?}");
    }
    // The process that did not write a blob found it: staged by the other (it waited on
    // the ingest lock, then linked the other's verified file) or, when the scheduler ran
    // the two pulls one after the other, already committed. Which of the two happens is
    // timing; that every layer was found rather than written twice is not.
    let found = logs
        .iter()
        .flat_map(|l| l.lines())
        .filter(|l| l.ends_with(" Staged") || l.ends_with(" Committed"))
        .count();
    assert!(found >= image.layers.len(), "{logs:#?}");
    let store = FsStore::open(&root).unwrap();
    let index = store.read_index().unwrap();
    let mut names = index.get(&image.id()).unwrap().names.clone();
    names.sort();
    assert_eq!(names, ["docker.io/library/p1:1", "docker.io/library/p2:1"]);
    let report = store.fsck().unwrap();
    assert!(report.is_clean(), "{report:#?}");
    assert!(report.stale_ingest.is_empty(), "{report:#?}");
}
