//! Crash torture: `hoist pull` (the real binary, in a child process) against a real
//! `docker-registry`, SIGKILLed at a random moment, again and again on one store. After
//! each kill `hoist fsck` must pass and the next pull must complete.
//!
//! Rounds: `HOIST_TORTURE_ROUNDS` (default 200, the CI run; `tests/torture/kill.sh` runs
//! 1000). Kill delays are uniform over 1.2× a measured pull, from a seed printed at the
//! start (`HOIST_TORTURE_SEED` replays one). Each round pulls one of three images the store
//! does not hold (every third round removes all three and collects their blobs), so kills
//! land in downloads, ingest, commit and index writes, beside an image that stays resident.
#![allow(clippy::unwrap_used)]

mod hostile_support;

use std::process::Command;
use std::time::{Duration, Instant};

use hoist_testkit::{push, ImageBuilder, Registry, Setup};
use hostile_support::{hoist_cmd, run, Run};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

struct World {
    tmp: tempfile::TempDir,
    registry: Registry,
}

impl World {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = hoist_cmd(
            &self.tmp.path().join("store"),
            &self.tmp.path().join("home"),
        );
        c.args(args);
        c
    }

    fn ok(&self, args: &[&str]) -> Run {
        let r = run(self.cmd(args));
        assert!(r.ok(), "hoist {args:?} failed: {}", r.all());
        r
    }

    fn reference(&self, name: &str) -> String {
        format!("{}/torture/{name}:v1", self.registry.host())
    }
}

#[test]
fn sigkill_during_pull_then_fsck_and_pull_again() {
    let rounds: usize = std::env::var("HOIST_TORTURE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("HOIST_TORTURE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
                | 1
        });
    eprintln!("torture: {rounds} rounds, HOIST_TORTURE_SEED={seed}");
    let mut rng = Rng(seed);
    let world = World {
        tmp: tempfile::tempdir().unwrap(),
        registry: Registry::start(Setup::NoAuth),
    };
    let layouts = tempfile::tempdir().unwrap();
    let names = ["resident", "a", "b", "c"];
    for (i, name) in names.iter().enumerate() {
        let dir = layouts.path().join(name);
        ImageBuilder::new(900 + i as u64)
            .layer(30_000)
            .layer(60_000)
            .layer(20_000)
            .tag("v1")
            .write(&dir)
            .unwrap();
        push(&dir, &format!("torture/{name}:v1"), &world.registry).unwrap();
    }
    world.ok(&["pull", "-q", "--plain-http", &world.reference("resident")]);
    // How long one pull takes here, to spread kills over all of it.
    let started = Instant::now();
    world.ok(&["pull", "-q", "--plain-http", &world.reference("a")]);
    let pull_time = started.elapsed();
    world.ok(&["rmi", &world.reference("a")]);
    world.ok(&["gc"]);
    let window_us = (pull_time.as_micros() as u64 * 6 / 5).max(1000);
    eprintln!("torture: one pull takes {pull_time:?}, kills within {window_us} µs");

    let (mut killed_running, mut finished_first) = (0usize, 0usize);
    for round in 0..rounds {
        let target = world.reference(names[1 + round % 3]);
        let mut child = world
            .cmd(&["pull", "-q", "--plain-http", &target])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next() % window_us));
        match child.try_wait().unwrap() {
            Some(_) => finished_first += 1,
            None => {
                child.kill().unwrap(); // SIGKILL
                killed_running += 1;
            }
        }
        let _ = child.wait();
        let fsck = run(world.cmd(&["fsck"]));
        assert!(
            fsck.ok(),
            "round {round} (seed {seed}): fsck after SIGKILL failed: {}",
            fsck.all()
        );
        world.ok(&["pull", "-q", "--plain-http", &target]);
        if round % 3 == 2 {
            // Leave the store without a, b and c, so the next rounds download again.
            let refs: Vec<String> = names[1..].iter().map(|n| world.reference(n)).collect();
            let mut args = vec!["rmi"];
            args.extend(refs.iter().map(String::as_str));
            world.ok(&args);
            world.ok(&["gc"]);
        }
    }
    eprintln!(
        "torture: {rounds} rounds, {killed_running} SIGKILLs of a running pull, \
         {finished_first} pulls finished before their kill"
    );
    assert!(
        killed_running * 2 >= rounds,
        "most kills must hit a running pull ({killed_running} of {rounds})"
    );
    // The resident image survived every crash intact.
    world.ok(&["inspect", &world.reference("resident")]);
    world.ok(&["fsck"]);
}
