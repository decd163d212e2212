//! The core through the wasm component (wasmtime, typed WIT calls) against the same core
//! natively, in one run:
//!
//! - 100 000 references (the deterministic corpus of `core/benches/reference.rs`, given
//!   as a file: `tests/bench/wasm.sh` dumps it) through `parse-normalized`; the native
//!   side builds the same owned result the component returns (all parts, familiar and
//!   canonical forms), so both do the same work apart from the boundary;
//! - 10 000 manifest parses (the valid manifests of `tests/vectors/manifest_parse.json`,
//!   cycled).
//!
//! Prints per-item times (median of ROUNDS, alternating native and wasm) and the ratio.
//! Goal: wasm at most 3× native.
//!
//! A third row shows what the boundary itself costs: `familiar` over the same corpus,
//! the same parse with the smallest possible answer (one string), against the native
//! parse plus that one owned string. No result record can cross for less. Usage:
//! `cargo bench -p hoist-wasm-tests --bench component -- CORPUS [ROUNDS]`.

use std::hint::black_box;
use std::time::Instant;

use hoist_core::manifest::{Limits, Manifest};
use hoist_core::reference;
use hoist_wasm_tests::{component_path, Limits as SandboxLimits, Loaded};
use serde_json::Value;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The parts the component's `image-reference` record carries, owned.
type Owned = (
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
);

fn native_reference(s: &str) -> Option<Owned> {
    let r = reference::parse_normalized(s).ok()?;
    Some((
        r.as_str().to_owned(),
        r.domain().map(str::to_owned),
        r.path().to_owned(),
        r.name().to_owned(),
        r.tag().map(str::to_owned),
        r.digest().map(|d| d.to_string()),
        r.familiar().to_owned(),
        r.canonical(),
    ))
}

fn manifests() -> anyhow::Result<Vec<(Vec<u8>, Option<String>)>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vectors/manifest_parse.json"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut out = Vec::new();
    for case in file["cases"].as_array().into_iter().flatten() {
        let input = &case["input"];
        if case["expected"].get("ok").is_none()
            || input.get("limits").is_some()
            || input.get("parentMediaType").is_some()
        {
            continue;
        }
        let body = input["body"]
            .as_str()
            .unwrap_or_default()
            .as_bytes()
            .to_vec();
        out.push((body, input["contentType"].as_str().map(str::to_owned)));
    }
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let corpus_path = args
        .first()
        .ok_or_else(|| anyhow::anyhow!("usage: component CORPUS [ROUNDS]"))?;
    let rounds: usize = args.get(1).map_or(Ok(5), |r| r.parse())?;
    let corpus: Vec<String> = std::fs::read_to_string(corpus_path)?
        .lines()
        .map(str::to_owned)
        .collect();
    let docs = manifests()?;
    let loaded = Loaded::new(&component_path()?, false)?;
    let mut i = loaded.instantiate(&SandboxLimits::default())?;
    let reference_api = i.core.hoist_image_reference().clone();
    let manifest_api = i.core.hoist_image_manifest().clone();
    let limits = manifest_api.call_default_limits(&mut i.store)?;
    let core_limits = Limits::default();

    // Both sides must agree before their speed means anything.
    let (mut native_ok, mut wasm_ok) = (0usize, 0usize);
    for s in &corpus {
        native_ok += usize::from(native_reference(s).is_some());
        wasm_ok += usize::from(
            reference_api
                .call_parse_normalized(&mut i.store, s)?
                .is_ok(),
        );
    }
    anyhow::ensure!(
        native_ok == wasm_ok,
        "accepted: native {native_ok}, wasm {wasm_ok}"
    );
    anyhow::ensure!(!docs.is_empty(), "no manifests");

    let n_manifests = 10_000;
    let (mut rn, mut rw, mut mn, mut mw) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut fnat, mut fw) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        for s in &corpus {
            black_box(native_reference(black_box(s)));
        }
        rn.push(t.elapsed().as_nanos() as f64 / corpus.len() as f64);
        let t = Instant::now();
        for s in &corpus {
            black_box(
                reference_api
                    .call_parse_normalized(&mut i.store, black_box(s))?
                    .ok(),
            );
        }
        rw.push(t.elapsed().as_nanos() as f64 / corpus.len() as f64);
        let t = Instant::now();
        for s in &corpus {
            black_box(
                reference::parse_normalized(black_box(s))
                    .ok()
                    .map(|r| r.familiar().to_owned()),
            );
        }
        fnat.push(t.elapsed().as_nanos() as f64 / corpus.len() as f64);
        let t = Instant::now();
        for s in &corpus {
            black_box(
                reference_api
                    .call_familiar(&mut i.store, black_box(s))?
                    .ok(),
            );
        }
        fw.push(t.elapsed().as_nanos() as f64 / corpus.len() as f64);
        let t = Instant::now();
        for k in 0..n_manifests {
            let (body, ct) = &docs[k % docs.len()];
            black_box(Manifest::parse_with_limits(body, ct.as_deref(), None, &core_limits).ok());
        }
        mn.push(t.elapsed().as_nanos() as f64 / n_manifests as f64);
        let t = Instant::now();
        for k in 0..n_manifests {
            let (body, ct) = &docs[k % docs.len()];
            black_box(
                manifest_api
                    .call_parse_manifest(&mut i.store, body, ct.as_deref(), None, limits)?
                    .ok(),
            );
        }
        mw.push(t.elapsed().as_nanos() as f64 / n_manifests as f64);
    }
    let (rn, rw, mn, mw) = (median(rn), median(rw), median(mn), median(mw));
    let (fnat, fw) = (median(fnat), median(fw));
    println!("{} references ({native_ok} accepted), {} distinct manifests cycled to {n_manifests}, median of {rounds} rounds", corpus.len(), docs.len());
    println!("| benchmark | native | wasm component | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| parse-normalized, per reference | {rn:.1} ns | {rw:.1} ns | {:.2}x | <= 3x |",
        rw / rn
    );
    println!(
        "| (boundary floor) familiar, one string out | {fnat:.1} ns | {fw:.1} ns | {:.2}x | - |",
        fw / fnat
    );
    println!(
        "| parse-manifest, per manifest | {:.2} us | {:.2} us | {:.2}x | <= 3x |",
        mn / 1000.0,
        mw / 1000.0,
        mw / mn
    );
    Ok(())
}
