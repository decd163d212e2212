//! Reference parsing throughput over a deterministic corpus of 100 000 mixed references.
//!
//! `cargo bench --bench reference` runs the criterion benchmarks. Two extra modes serve
//! `tests/bench/reference/run.sh`, which compares against distribution/reference in Go:
//!
//! - `-- --dump-corpus` prints the corpus, one reference per line;
//! - `-- --count` prints how many references `parse` and `parse_normalized` accept, with
//!   FNV-1a checksums of the accepted line numbers and of the normalized strings, so the
//!   script can check that both implementations agree on every line;
//! - `-- --cpu-time SECONDS` prints CPU nanoseconds per reference for both functions,
//!   measured from `/proc/self/task/*/schedstat` exactly as the Go peer measures itself,
//!   so that the comparison holds on a machine shared with other work;
//! - `-- --one-pass-parse`, `-- --one-pass-normalized` and `-- --one-huge KIND` run one
//!   pass (or ten 1 MB inputs) and exit, for instruction-count profiling with
//!   `valgrind --tool=callgrind`, which is steady on a loaded machine.
//!
//! The corpus comes from a fixed-seed splitmix64 generator. It mixes familiar names,
//! registry references with ports, tags, sha256/sha512 digests and about one invalid
//! reference in six. It stays inside the grammar that distribution/reference v0.6.0 and
//! Debian's docker/distribution 2.8 (the Go peer) agree on: no IPv6 hosts, no names
//! whose domain pushes them past 255 characters, no uppercase namespace before a `/`.

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{Criterion, Throughput};

#[path = "support/cpu.rs"]
mod cpu;
use cpu::cpu_ns;
use hoist_core::reference::{parse, parse_normalized};

const CORPUS_SIZE: usize = 100_000;
const SEED: u64 = 0x686f_6973_745f_7265; // "hoist_re"

/// splitmix64: small, fast and fully determined by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// `min + below(spread)` characters from `alphabet`.
    fn chars(&mut self, alphabet: &[u8], min: usize, spread: usize) -> String {
        let len = min + if spread > 0 { self.below(spread) } else { 0 };
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const TAG: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

const WORDS: &[&str] = &[
    "ubuntu",
    "alpine",
    "busybox",
    "nginx",
    "redis",
    "postgres",
    "library",
    "app",
    "web",
    "api",
    "worker",
    "base",
    "tools",
    "pause",
    "coredns",
    "etcd",
    "kube-proxy",
    "my_app",
    "team",
    "infra",
    "ci",
    "node",
    "python",
    "golang",
    "rust",
    "debian",
    "fedora",
];
const HOSTS: &[&str] = &[
    "docker.io",
    "index.docker.io",
    "quay.io",
    "gcr.io",
    "registry.k8s.io",
    "ghcr.io",
    "localhost",
    "localhost:5000",
    "registry.example.com",
    "registry.example.com:443",
    "10.0.0.12:5000",
    "my-registry.internal:8443",
    "xn--n3h.com",
];
const TAGS: &[&str] = &[
    "latest",
    "1.0",
    "v1.2.3",
    "3.19",
    "20.04",
    "stable",
    "main",
    "sha-1a2b3c",
    "RC1",
];

fn component(rng: &mut Rng) -> String {
    if rng.chance(70) {
        rng.pick(WORDS).to_owned()
    } else {
        let mut s = rng.chars(LOWER, 1, 8);
        if rng.chance(40) {
            s.push_str(rng.pick(&[".", "_", "__", "-", "--"]));
            s.push_str(&rng.chars(LOWER, 1, 6));
        }
        s
    }
}

fn valid(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(55) {
        s.push_str(rng.pick(HOSTS));
        s.push('/');
    }
    let depth = 1 + rng.below(3);
    for i in 0..depth {
        if i > 0 {
            s.push('/');
        }
        s.push_str(&component(rng));
    }
    if rng.chance(60) {
        s.push(':');
        if rng.chance(70) {
            s.push_str(rng.pick(TAGS));
        } else {
            s.push_str(&rng.chars(TAG, 1, 20).replacen(['.', '-'], "x", 1));
        }
    }
    if rng.chance(20) {
        if rng.chance(85) {
            s.push_str("@sha256:");
            s.push_str(&rng.chars(HEX, 64, 0));
        } else {
            s.push_str("@sha512:");
            s.push_str(&rng.chars(HEX, 128, 0));
        }
    }
    s
}

fn invalid(rng: &mut Rng) -> String {
    let base = valid(rng);
    match rng.below(10) {
        0 => base.replacen('/', "//", 1) + "/x",
        1 => format!("{base}$"),
        2 => format!("-{base}"),
        3 => {
            // Uppercase the last path component only (an uppercase namespace before a `/`
            // is read as a domain by v0.6.0 but not by docker/distribution 2.8).
            let end = base.find(['@']).unwrap_or(base.len());
            let end = base[..end]
                .rfind(':')
                .filter(|&c| c > base.rfind('/').unwrap_or(0))
                .unwrap_or(end);
            let start = base[..end].rfind('/').map_or(0, |i| i + 1);
            format!(
                "{}{}{}",
                &base[..start],
                base[start..end].to_uppercase(),
                &base[end..]
            )
        }
        4 => format!(
            "{}:{}",
            base.split(['@', ':']).next().unwrap_or("a"),
            "t".repeat(129)
        ),
        5 => format!(
            "{}@sha256:{}",
            base.split('@').next().unwrap_or("a"),
            rng.chars(HEX, 40, 0)
        ),
        6 => format!("{base}/"),
        7 => base.replacen('a', "..", 1) + "..",
        8 => format!("{} x", base),
        _ => "a/".repeat(130) + "b",
    }
}

fn corpus() -> Vec<String> {
    let mut rng = Rng(SEED);
    (0..CORPUS_SIZE)
        .map(|_| {
            if rng.chance(84) {
                valid(&mut rng)
            } else {
                invalid(&mut rng)
            }
        })
        .collect()
}

/// FNV-1a, folded over bytes.
fn fnv(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn count(corpus: &[String]) {
    let (mut parsed, mut parsed_sum) = (0usize, FNV_OFFSET);
    let (mut normalized, mut normalized_sum) = (0usize, FNV_OFFSET);
    for (i, s) in corpus.iter().enumerate() {
        if parse(s).is_ok() {
            parsed += 1;
            parsed_sum = fnv(parsed_sum, format!("{i}\n").as_bytes());
        }
        if let Ok(r) = parse_normalized(s) {
            normalized += 1;
            normalized_sum = fnv(normalized_sum, format!("{r}\n").as_bytes());
        }
    }
    println!("lines={}", corpus.len());
    println!("parse_ok={parsed} parse_sum={parsed_sum:016x}");
    println!("normalized_ok={normalized} normalized_sum={normalized_sum:016x}");
}

fn bench(c: &mut Criterion, corpus: &[String]) {
    let mut group = c.benchmark_group("reference");
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| {
            for s in corpus {
                let _ = black_box(parse(black_box(s)));
            }
        })
    });
    group.bench_function("parse_normalized", |b| {
        b.iter(|| {
            for s in corpus {
                let _ = black_box(parse_normalized(black_box(s)));
            }
        })
    });
    group.finish();

    let huge = [
        "a".repeat(1 << 20),
        "A".repeat(1 << 20),
        format!("a:{}", "b".repeat(1 << 20)),
        "a/".repeat(1 << 19),
    ];
    let mut group = c.benchmark_group("reference_reject_1mb");
    for (name, input) in ["path", "uppercase", "tag", "slashes"].iter().zip(&huge) {
        group.bench_function(*name, |b| {
            b.iter(|| black_box(parse(black_box(input))).is_err())
        });
    }
    group.finish();
}

/// Passes over the corpus until `seconds` of CPU time are used; CPU ns per reference.
fn cpu_time(corpus: &[String], seconds: f64, f: impl Fn(&str) -> bool) -> f64 {
    let mut sink = 0usize;
    for s in corpus {
        sink += usize::from(f(black_box(s)));
    }
    let start = cpu_ns();
    let mut passes = 0u64;
    loop {
        for s in corpus {
            sink += usize::from(f(black_box(s)));
        }
        passes += 1;
        if (cpu_ns() - start) as f64 >= seconds * 1e9 {
            break;
        }
    }
    black_box(sink);
    (cpu_ns() - start) as f64 / (passes as f64 * corpus.len() as f64)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let corpus = corpus();
    if args.iter().any(|a| a == "--dump-corpus") {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        for line in &corpus {
            let _ = writeln!(out, "{line}");
        }
        return;
    }
    // One pass of one function, for instruction-count profiling (valgrind, perf).
    if args.iter().any(|a| a == "--one-pass-parse") {
        let ok = corpus.iter().filter(|s| parse(s).is_ok()).count();
        println!("{ok}");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--one-huge") {
        let input = match args.get(i + 1).map(String::as_str) {
            Some("uppercase") => "A".repeat(1 << 20),
            Some("slashes") => "a/".repeat(1 << 19),
            Some("tag") => format!("a:{}", "b".repeat(1 << 20)),
            _ => "a".repeat(1 << 20),
        };
        let ok = (0..10).filter(|_| parse(&input).is_ok()).count();
        println!("{ok}");
        return;
    }
    if args.iter().any(|a| a == "--one-pass-normalized") {
        let ok = corpus
            .iter()
            .filter(|s| parse_normalized(s).is_ok())
            .count();
        println!("{ok}");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--cpu-time") {
        let seconds = args
            .get(i + 1)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(2.0);
        let parse_ns = cpu_time(&corpus, seconds, |s| parse(s).is_ok());
        let normalized_ns = cpu_time(&corpus, seconds, |s| parse_normalized(s).is_ok());
        println!("rust_parse_cpu_ns={parse_ns:.1}");
        println!("rust_normalized_cpu_ns={normalized_ns:.1}");
        return;
    }
    if args.iter().any(|a| a == "--count") {
        count(&corpus);
        return;
    }
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    bench(&mut c, &corpus);
    c.final_summary();
}
