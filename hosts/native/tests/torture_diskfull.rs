//! Disk full: the store on a small tmpfs (`mount -t tmpfs -o size=…`, which needs root and
//! a kernel that allows it; otherwise the test says so and skips). A pull that does not fit
//! fails with a clear `store-failed` error, leaves the store byte-identical (partial
//! downloads aside, see `hostile_support::Case::snapshot`) with its tag unmoved, and the
//! store checks clean; after freeing space the same pull succeeds.
#![allow(clippy::unwrap_used)]

mod hostile_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use hoist_testkit::fake::{FakeRegistry, ImageParts};
use hostile_support::{hoist_cmd, run, tree_hash};

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn disk_full_fails_cleanly_and_leaves_the_store_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(fs) = Tmpfs::mount(&tmp.path().join("fs"), "2m") else {
        eprintln!(
            "SKIPPED disk_full_fails_cleanly_and_leaves_the_store_unchanged: \
             `mount -t tmpfs` is not allowed here (needs root in a namespace that permits it)"
        );
        return;
    };
    let store = fs.0.join("store");
    let home = tmp.path().join("home");
    let fake = FakeRegistry::start("full/app").unwrap();
    let small = ImageParts::new(10, &[200_000]);
    fake.content(|c| c.add_parts(&small, "v1"));
    let reference = format!("{}/full/app:v1", fake.host());
    let pull = |r: &str| {
        let mut c = hoist_cmd(&store, &home);
        c.args(["pull", "-q", "--plain-http", r]);
        run(c)
    };
    let r = pull(&reference);
    assert!(r.ok(), "{}", r.all());
    // Now the tag names an image three times the free space.
    let big = ImageParts::new(11, &[1_500_000, 1_500_000]);
    fake.content(|c| c.add_parts(&big, "v1"));
    let visible = |t: std::collections::BTreeMap<String, String>| {
        t.into_iter()
            .filter(|(k, _)| !(k.starts_with("ingest/") && k.ends_with(".partial")))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let before = visible(tree_hash(&store));
    let r = pull(&reference);
    assert!(!r.ok(), "{}", r.all());
    assert_eq!(r.code().as_deref(), Some("store-failed"), "{}", r.all());
    assert!(
        r.stderr().contains("No space left on device"),
        "the error says why: {}",
        r.stderr()
    );
    assert_eq!(r.stderr().lines().count(), 1, "{}", r.all());
    assert_eq!(visible(tree_hash(&store)), before, "the store changed");
    let mut inspect = hoist_cmd(&store, &home);
    inspect.args(["inspect", "--format", "json", &reference]);
    let i = run(inspect);
    assert!(i.ok(), "{}", i.all());
    assert!(
        i.stdout().contains(&small.id()),
        "the tag moved: {}",
        i.stdout()
    );
    let mut fsck = hoist_cmd(&store, &home);
    fsck.arg("fsck");
    let f = run(fsck);
    assert!(f.ok(), "{}", f.all());
    // gc works on a full disk and removes the partial downloads the failure left.
    let mut gc = hoist_cmd(&store, &home);
    gc.arg("gc");
    let g = run(gc);
    assert!(g.ok(), "{}", g.all());
    let partials: Vec<String> = tree_hash(&store)
        .into_keys()
        .filter(|k| k.ends_with(".partial"))
        .collect();
    assert!(partials.is_empty(), "{partials:?}");
}
