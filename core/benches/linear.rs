//! Linear input, linear time: every parser that reads untrusted text is timed at 16 KiB,
//! 256 KiB and 1 MiB of hostile input (rejected or accepted), and must take under 10 ms
//! at 1 MiB and no more than 4× the per-byte time of 16 KiB at 1 MiB (so no quadratic
//! corner hides behind a fast small case).
//!
//! Run by `tests/bench/linear.sh` (`cargo bench -p hoist-core --bench linear`). It is a
//! benchmark, not a test: it prints a table, and exits 1 when a target is missed. Each
//! cell is the minimum CPU time (`/proc/self/task/*/schedstat`) over repeated runs, the
//! figure least disturbed by other work on a shared machine.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Duration;

use hoist_core::auth::{parse_challenges, DockerConfig};
use hoist_core::config::ImageConfig;
use hoist_core::digest::Digest;
use hoist_core::filter::Filters;
use hoist_core::manifest::Manifest;
use hoist_core::reference::{parse, parse_normalized};
use hoist_core::store::{ImageIndex, ImageRecord};

#[path = "support/cpu.rs"]
mod cpu;
use cpu::cpu_ns;

/// The 1 MiB budget.
const BUDGET: Duration = Duration::from_millis(10);
/// Largest allowed growth of time per byte from 16 KiB to 1 MiB.
const MAX_GROWTH: f64 = 4.0;
const SIZES: [usize; 3] = [16 << 10, 256 << 10, 1 << 20];

/// Minimum CPU ns of `f` over up to 50 runs (at least 5, at most ~0.5 s).
fn min_ns(mut f: impl FnMut()) -> u64 {
    let mut best = u64::MAX;
    let mut spent = 0u64;
    for i in 0..50 {
        let t = cpu_ns();
        f();
        let d = cpu_ns().saturating_sub(t).max(1);
        best = best.min(d);
        spent += d;
        if i >= 5 && spent > 500_000_000 {
            break;
        }
    }
    best
}

type Case = (&'static str, fn(usize) -> String, fn(&str));

fn cases() -> Vec<Case> {
    vec![
        (
            "reference: path",
            |n| "a".repeat(n),
            |s| {
                let _ = black_box(parse(black_box(s)));
            },
        ),
        (
            "reference: slashes",
            |n| "a/".repeat(n / 2),
            |s| {
                let _ = black_box(parse(black_box(s)));
            },
        ),
        (
            "reference: tag, normalized",
            |n| format!("a:{}", "b".repeat(n)),
            |s| {
                let _ = black_box(parse_normalized(black_box(s)));
            },
        ),
        (
            "filter: reference glob",
            |n| format!("reference={}", "*a".repeat(n / 2)),
            filter,
        ),
        (
            "filter: label",
            |n| format!("label={}", "a".repeat(n)),
            filter,
        ),
        ("filter: many clauses", |n| "label=x,".repeat(n / 8), filter),
        ("manifest: many layers", manifest_text, |s| {
            let _ = black_box(Manifest::parse(black_box(s.as_bytes()), None, None));
        }),
        (
            "manifest: deep nesting",
            |n| "[".repeat(n),
            |s| {
                let _ = black_box(Manifest::parse(black_box(s.as_bytes()), None, None));
            },
        ),
        ("config: many env", config_text, |s| {
            let _ = black_box(ImageConfig::parse(black_box(s.as_bytes())));
        }),
        ("auth file: many hosts", auth_text, |s| {
            let _ = black_box(DockerConfig::parse(black_box(s.as_bytes())));
        }),
        (
            "www-authenticate: many params",
            |n| format!("Bearer realm=\"https://a/t\"{}", ",k=\"v\"".repeat(n / 6)),
            |s| {
                let _ = black_box(parse_challenges(&[black_box(s)]));
            },
        ),
    ]
}

fn filter(s: &str) {
    thread_local! {
        static INDEX: ImageIndex = {
            let mut ix = ImageIndex::new();
            let mut r = ImageRecord::new(Digest::sha256_of(b"c"), Digest::sha256_of(b"m"));
            r.names.push("docker.io/library/redis:latest".to_owned());
            let _ = ix.add(r);
            ix
        };
    }
    INDEX.with(|ix| {
        let _ = black_box(
            Filters::parse(&[black_box(s)], ix, 0)
                .map(|f| ix.records().filter(|r| f.matches(r)).count()),
        );
    });
}

fn manifest_text(n: usize) -> String {
    let layer = format!(
        r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":1}}"#,
        Digest::sha256_of(b"l")
    );
    let count = n / (layer.len() + 1);
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":1}},"layers":[{}]}}"#,
        Digest::sha256_of(b"c"),
        vec![layer; count.max(1)].join(",")
    )
}

fn config_text(n: usize) -> String {
    let env: Vec<String> = (0..n / 16).map(|i| format!("\"K{i:07}=v\"")).collect();
    format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Env":[{}]}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#,
        env.join(",")
    )
}

fn auth_text(n: usize) -> String {
    let entries: Vec<String> = (0..n / 48)
        .map(|i| format!("\"r{i:07}.example.com\":{{\"auth\":\"dTpw\"}}"))
        .collect();
    format!(r#"{{"auths":{{{}}}}}"#, entries.join(","))
}

fn main() -> ExitCode {
    if std::env::args().any(|a| a == "--list") {
        for (name, _, _) in cases() {
            println!("{name}");
        }
        return ExitCode::SUCCESS;
    }
    println!(
        "{:<32} {:>12} {:>12} {:>12} {:>8}  verdict",
        "input", "16 KiB", "256 KiB", "1 MiB", "growth"
    );
    let mut failed = false;
    for (name, make, run) in cases() {
        let times: Vec<u64> = SIZES
            .iter()
            .map(|&n| {
                let input = make(n);
                min_ns(|| run(&input))
            })
            .collect();
        let per_byte = |i: usize| times[i] as f64 / SIZES[i] as f64;
        let growth = per_byte(2) / per_byte(0);
        let over = Duration::from_nanos(times[2]) > BUDGET;
        // Tiny inputs are dominated by fixed costs; only real growth counts.
        let nonlinear = growth > MAX_GROWTH && times[2] > 1_000_000;
        let verdict = match (over, nonlinear) {
            (false, false) => "ok",
            (true, _) => "OVER 10 ms",
            (false, true) => "NOT LINEAR",
        };
        failed |= over || nonlinear;
        let ms = |ns: u64| format!("{:.3} ms", ns as f64 / 1e6);
        println!(
            "{name:<32} {:>12} {:>12} {:>12} {growth:>7.2}×  {verdict}",
            ms(times[0]),
            ms(times[1]),
            ms(times[2])
        );
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
