//! Filtering a large index: 100k generated records, a realistic mixed filter
//! (`dangling=false`, `since=…`, `label=…`, `reference=…` glob), parsed once and matched
//! per record. Target: under 20 ms for the whole listing.
//!
//! Also measured: a reference-glob-only filter (every record runs the globs), the full
//! `list` (filter + newest-first sort), and parsing a 1 MB filter string.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hoist_core::digest::Digest;
use hoist_core::filter::Filters;
use hoist_core::store::{ImageIndex, ImageRecord};

const RECORDS: usize = 100_000;

const REGISTRIES: [&str; 4] = [
    "docker.io/library",
    "quay.io/podman",
    "ghcr.io/acme",
    "localhost",
];
const APPS: [&str; 10] = [
    "redis", "nginx", "postgres", "alpine", "busybox", "node", "python", "golang", "api", "web",
];
const TIERS: [&str; 3] = ["web", "db", "cache"];

fn index() -> ImageIndex {
    let mut index = ImageIndex::new();
    for i in 0..RECORDS {
        let id = Digest::sha256_of(format!("image {i}").as_bytes());
        let manifest = Digest::sha256_of(format!("manifest {i}").as_bytes());
        let mut r = ImageRecord::new(id, manifest.clone());
        let app = APPS[i % APPS.len()];
        let registry = REGISTRIES[(i / APPS.len()) % REGISTRIES.len()];
        if i % 10 != 0 {
            r.names.push(format!("{registry}/{app}:v{i}"));
            if i % 3 == 0 {
                r.names.push(format!("{registry}/{app}-extra:v{i}"));
            }
            r.digests.push(format!("{registry}/{app}@{manifest}"));
        }
        r.created = Some(1_600_000_000 + (i as i64) * 37 % 100_000_000);
        let mut labels = BTreeMap::new();
        labels.insert("tier".to_owned(), TIERS[i % TIERS.len()].to_owned());
        labels.insert("maintainer".to_owned(), format!("team-{}", i % 17));
        labels.insert(
            "org.opencontainers.image.version".to_owned(),
            format!("{i}"),
        );
        r.labels = labels;
        r.size = 1 << 20;
        if let Err(e) = index.add(r) {
            panic!("bench data: {e}");
        }
    }
    // Hosts load the index from its persisted form; reading it back also lays the records
    // out in memory in the order they are listed.
    match ImageIndex::from_json(&index.to_json()) {
        Ok(loaded) => loaded,
        Err(e) => panic!("bench data: {e}"),
    }
}

fn bench(c: &mut Criterion) {
    let index = index();
    let since = Digest::sha256_of(b"image 50000");
    let since = since.encoded()[..12].to_owned();
    let mixed_args = [
        "dangling=false".to_owned(),
        format!("since={since}"),
        "label=tier=web".to_owned(),
        "reference=*redis*,reference=quay.io/podman/*".to_owned(),
    ];
    let mixed_refs: Vec<&str> = mixed_args.iter().map(String::as_str).collect();
    let mixed = match Filters::parse(&mixed_refs, &index, 1_700_000_000) {
        Ok(f) => f,
        Err(e) => panic!("filter: {e}"),
    };
    let glob_only = match Filters::parse(&["reference=*/ngin?:v*1"], &index, 1_700_000_000) {
        Ok(f) => f,
        Err(e) => panic!("filter: {e}"),
    };
    let hits = index.records().filter(|r| mixed.matches(r)).count();
    let glob_hits = index.records().filter(|r| glob_only.matches(r)).count();
    eprintln!("{RECORDS} records; mixed filter matches {hits}; glob-only matches {glob_hits}");

    c.bench_function("filter 100k mixed (matches only)", |b| {
        b.iter(|| {
            black_box(
                index
                    .records()
                    .filter(|r| mixed.matches(black_box(r)))
                    .count(),
            )
        })
    });
    c.bench_function("filter 100k mixed (list: filter + sort)", |b| {
        b.iter(|| black_box(index.list(black_box(&mixed)).len()))
    });
    c.bench_function("filter 100k reference glob only", |b| {
        b.iter(|| {
            black_box(
                index
                    .records()
                    .filter(|r| glob_only.matches(black_box(r)))
                    .count(),
            )
        })
    });
    c.bench_function("parse mixed filter against 100k index", |b| {
        b.iter(|| black_box(Filters::parse(black_box(&mixed_refs), &index, 1_700_000_000).is_ok()))
    });

    // A megabyte of filter text, parsed and matched against a one-image index.
    let mut small = ImageIndex::new();
    let mut r = ImageRecord::new(Digest::sha256_of(b"c"), Digest::sha256_of(b"m"));
    r.names.push("docker.io/library/redis:latest".to_owned());
    if let Err(e) = small.add(r) {
        panic!("{e}");
    }
    const MB: usize = 1 << 20;
    let inputs = [
        (
            "reference pattern (rejected)",
            format!("reference={}", "*a".repeat(MB / 2)),
        ),
        ("label key (matched)", format!("label={}", "a".repeat(MB))),
        (
            "until duration (rejected)",
            format!("until={}", "1h".repeat(MB / 2)),
        ),
        (
            "since image (not found)",
            format!("since={}", "a".repeat(MB)),
        ),
        ("clauses (rejected)", "label=x,".repeat(MB / 8)),
    ];
    for (what, text) in &inputs {
        c.bench_function(&format!("1 MB filter: {what}"), |b| {
            b.iter(|| {
                black_box(
                    Filters::parse(&[black_box(text.as_str())], &small, 0)
                        .map(|f| small.records().filter(|r| f.matches(r)).count()),
                )
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
