//! Concurrency torture on one store, with the real `hoist` binary:
//!
//! - eight processes pull one image at once (from the fake registry, which serves layers
//!   slowly so the pulls overlap, and counts requests): each layer is fetched once, every
//!   process ends with the same image, and the store checks clean;
//! - pulls, `rmi`, `gc` and `prune` race on one store, on images that share their base
//!   layer with one that is never removed: that image keeps every blob, and the store
//!   checks clean after every round.
#![allow(clippy::unwrap_used)]

mod hostile_support;

use std::collections::HashMap;
use std::time::Duration;

use hoist_testkit::digest_of;
use hoist_testkit::fake::{seeded_bytes, Body, FakeRegistry, ImageParts};
use hostile_support::{hoist_cmd, run, wait_limited, RUN_LIMIT};

#[test]
fn eight_processes_pull_one_image_and_fetch_each_layer_once() {
    let fake = FakeRegistry::start("torture/same").unwrap();
    let parts = ImageParts::new(77, &[200_000, 150_000, 250_000]);
    fake.content(|c| c.add_parts(&parts, "v1"));
    for l in &parts.layers {
        // 20 KB every 10 ms: each layer takes 100–130 ms, long enough to overlap.
        fake.mangle_blob(&digest_of(l), usize::MAX, |b| Body::Trickle {
            bytes: b.to_vec(),
            chunk: 20_000,
            every: Duration::from_millis(10),
        });
    }
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let reference = format!("{}/torture/same:v1", fake.host());
    let children: Vec<_> = (0..8)
        .map(|_| {
            let mut c = hoist_cmd(&store, &tmp.path().join("home"));
            c.args(["pull", "-q", "--plain-http", &reference]);
            c.spawn().unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| wait_limited(c, RUN_LIMIT))
        .collect();
    for o in &outputs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), parts.id());
    }
    let mut gets: HashMap<String, usize> = HashMap::new();
    for s in fake
        .log()
        .iter()
        .filter(|s| s.is_blob() && s.method == "GET")
    {
        *gets
            .entry(s.path().rsplit('/').next().unwrap().to_owned())
            .or_default() += 1;
    }
    for (i, l) in parts.layers.iter().enumerate() {
        assert_eq!(
            gets.get(&digest_of(l)).copied(),
            Some(1),
            "layer {i} fetched more than once: {gets:?}"
        );
    }
    let mut fsck = hoist_cmd(&store, &tmp.path().join("home"));
    fsck.arg("fsck");
    let r = run(fsck);
    assert!(r.ok(), "{}", r.all());
}

#[test]
fn pull_rmi_and_gc_race_without_losing_a_live_blob() {
    // "x" and "y" share their base layer with "live", so removing them and collecting
    // garbage is exactly what could take a blob the live image needs.
    let fake = FakeRegistry::start("race/app").unwrap();
    let base = seeded_bytes(1, 120_000);
    let live = ImageParts::from_layers(1, vec![base.clone(), seeded_bytes(2, 50_000)]);
    let x = ImageParts::from_layers(2, vec![base.clone(), seeded_bytes(3, 80_000)]);
    let y = ImageParts::from_layers(3, vec![base, seeded_bytes(4, 60_000)]);
    fake.content(|c| {
        c.add_parts(&live, "live");
        c.add_parts(&x, "x");
        c.add_parts(&y, "y");
    });
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let home = tmp.path().join("home");
    let reference = |tag: &str| format!("{}/race/app:{tag}", fake.host());
    let cmd = |args: &[&str]| {
        let mut c = hoist_cmd(&store, &home);
        c.args(args);
        c
    };
    let r = run(cmd(&["pull", "-q", "--plain-http", &reference("live")]));
    assert!(r.ok(), "{}", r.all());
    assert_eq!(r.stdout().trim(), live.id());
    for round in 0..12 {
        let (a, b) = if round % 2 == 0 {
            ("x", "y")
        } else {
            ("y", "x")
        };
        // At once: two pulls, a removal of one of them, a gc and a prune.
        let racers = vec![
            cmd(&["pull", "-q", "--plain-http", &reference(a)])
                .spawn()
                .unwrap(),
            cmd(&["pull", "-q", "--plain-http", &reference(b)])
                .spawn()
                .unwrap(),
            cmd(&["rmi", "-f", &reference(b)]).spawn().unwrap(),
            cmd(&["gc"]).spawn().unwrap(),
            cmd(&["prune"]).spawn().unwrap(),
        ];
        for (i, c) in racers.into_iter().enumerate() {
            let o = wait_limited(c, RUN_LIMIT);
            if i == 0 {
                // Nothing removes `a` this round: its pull must succeed.
                assert!(
                    o.status.success(),
                    "round {round}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
        }
        let r = run(cmd(&["fsck"]));
        assert!(r.ok(), "round {round}: {}", r.all());
        // The live image is whole: every blob it needs is there and hashes to its name.
        let mut needed: Vec<String> = (0..live.layers.len())
            .map(|i| live.layer_digest(i))
            .collect();
        needed.push(live.id());
        needed.push(live.manifest_digest());
        for d in &needed {
            let p = store
                .join("blobs/sha256")
                .join(d.trim_start_matches("sha256:"));
            let bytes = std::fs::read(&p)
                .unwrap_or_else(|e| panic!("round {round}: live blob {d} lost: {e}"));
            assert_eq!(&digest_of(&bytes), d, "round {round}");
        }
        let r = run(cmd(&["inspect", "--format", "json", &reference("live")]));
        assert!(r.ok(), "round {round}: {}", r.all());
        // And `a`, pulled this round and not removed, is usable too.
        let r = run(cmd(&["inspect", &reference(a)]));
        assert!(r.ok(), "round {round}: {}", r.all());
    }
}
