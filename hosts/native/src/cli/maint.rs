//! `hoist fsck` and `hoist gc`: check and clean the store.

use clap::Args;
use serde_json::{json, Value};

use super::common::{self, human_size};
use super::settings::Settings;
use super::{CliError, Format};
use crate::store::{FsckReport, IndexJsonState};

/// `hoist fsck`
#[derive(Debug, Args)]
pub struct FsckArgs {}

/// `hoist gc`
#[derive(Debug, Args)]
pub struct GcArgs {}

fn paths(list: &[std::path::PathBuf]) -> Vec<String> {
    list.iter().map(|p| p.display().to_string()).collect()
}

/// The problems of a report, one line each (none when it is clean).
fn problems(r: &FsckReport) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = &r.layout_error {
        out.push(format!("oci-layout: {e}"));
    }
    if let Some(e) = &r.metadata_error {
        out.push(format!("hoist.json: {e}"));
    }
    match &r.index_json {
        IndexJsonState::Agrees => {}
        IndexJsonState::Unknown => {
            out.push("index.json: not compared (hoist.json unreadable)".into())
        }
        IndexJsonState::Missing => out.push("index.json: missing".into()),
        IndexJsonState::Unreadable(e) => out.push(format!("index.json: {e}")),
        IndexJsonState::Differs { missing, extra } => out.push(format!(
            "index.json: differs from hoist.json ({} entries missing, {} extra)",
            missing.len(),
            extra.len()
        )),
    }
    for b in &r.corrupt_blobs {
        out.push(format!(
            "corrupt blob {}: content hashes to {}",
            b.digest, b.actual
        ));
    }
    for m in &r.missing_blobs {
        let by = match &m.parent {
            Some(p) => format!("manifest {p}"),
            None => "the image itself".to_owned(),
        };
        out.push(format!(
            "missing blob {} of image {} (needed by {by})",
            m.digest, m.image
        ));
    }
    for s in &r.size_mismatches {
        out.push(format!(
            "size mismatch: blob {} of image {} has {} bytes, its descriptor says {}",
            s.digest, s.image, s.actual, s.expected
        ));
    }
    for b in &r.bad_manifests {
        out.push(format!(
            "bad manifest {} of image {}: {}",
            b.digest, b.image, b.detail
        ));
    }
    for p in &r.stray_files {
        out.push(format!("stray file {}", p.display()));
    }
    out
}

fn index_json_value(state: &IndexJsonState) -> Value {
    let pairs = |v: &[(String, String)]| -> Vec<Value> {
        v.iter()
            .map(|(name, digest)| json!({ "name": name, "digest": digest }))
            .collect()
    };
    match state {
        IndexJsonState::Agrees => json!({ "state": "agrees" }),
        IndexJsonState::Unknown => json!({ "state": "unknown" }),
        IndexJsonState::Missing => json!({ "state": "missing" }),
        IndexJsonState::Unreadable(e) => json!({ "state": "unreadable", "detail": e }),
        IndexJsonState::Differs { missing, extra } => json!({
            "state": "differs",
            "missing": pairs(missing),
            "extra": pairs(extra),
        }),
    }
}

fn report_value(r: &FsckReport) -> Value {
    json!({
        "clean": r.is_clean(),
        "blobs_checked": r.blobs_checked,
        "corrupt_blobs": r.corrupt_blobs.iter().map(|b| json!({
            "digest": b.digest.as_str(), "actual": b.actual.as_str(), "size": b.size,
        })).collect::<Vec<_>>(),
        "missing_blobs": r.missing_blobs.iter().map(|m| json!({
            "image": m.image.as_str(), "digest": m.digest.as_str(),
            "parent": m.parent.as_ref().map(|p| p.as_str()),
        })).collect::<Vec<_>>(),
        "size_mismatches": r.size_mismatches.iter().map(|s| json!({
            "image": s.image.as_str(), "digest": s.digest.as_str(),
            "expected": s.expected, "actual": s.actual,
        })).collect::<Vec<_>>(),
        "bad_manifests": r.bad_manifests.iter().map(|b| json!({
            "image": b.image.as_str(), "digest": b.digest.as_str(), "detail": b.detail,
        })).collect::<Vec<_>>(),
        "layout_error": r.layout_error,
        "metadata_error": r.metadata_error,
        "index_json": index_json_value(&r.index_json),
        "stray_files": paths(&r.stray_files),
        "unreferenced_blobs": r.unreferenced_blobs.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "stale_ingest": paths(&r.stale_ingest),
    })
}

/// Runs `hoist fsck`: prints the report; fails with `store-not-clean` when it lists a
/// problem (unreferenced blobs and stale ingest files are not problems).
pub fn run_fsck(settings: &Settings, _args: FsckArgs) -> Result<(), CliError> {
    let store = common::open_store(settings)?;
    let report = store.fsck()?;
    let problems = problems(&report);
    match settings.format {
        Format::Json => common::print_json(&report_value(&report))?,
        Format::Human => {
            println!("checked {} blobs", report.blobs_checked);
            for p in &problems {
                println!("{p}");
            }
            if !report.unreferenced_blobs.is_empty() {
                println!(
                    "{} unreferenced blobs (hoist gc removes them)",
                    report.unreferenced_blobs.len()
                );
            }
            if !report.stale_ingest.is_empty() {
                println!(
                    "{} stale ingest entries (hoist gc removes them)",
                    report.stale_ingest.len()
                );
            }
            if report.is_clean() {
                println!("clean");
            }
        }
    }
    if report.is_clean() {
        return Ok(());
    }
    Err(CliError::new(
        "store-not-clean",
        format!(
            "fsck found {} problems in {}",
            problems.len().max(1),
            store.root().display()
        ),
    ))
}

/// Runs `hoist gc`: removes unreferenced blobs and ingest leftovers and prints them.
pub fn run_gc(settings: &Settings, _args: GcArgs) -> Result<(), CliError> {
    let store = common::open_store(settings)?;
    let r = store.gc()?;
    match settings.format {
        Format::Json => common::print_json(&json!({
            "removed_blobs": r.removed_blobs.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
            "freed_bytes": r.freed_bytes,
            "kept_blobs": r.kept_blobs,
            "removed_ingest": paths(&r.removed_ingest),
            "foreign": paths(&r.foreign),
        })),
        Format::Human => {
            for d in &r.removed_blobs {
                println!("removed blob {d}");
            }
            for p in &r.removed_ingest {
                println!("removed {}", p.display());
            }
            for p in &r.foreign {
                println!("left alone: {} (not a blob; see hoist fsck)", p.display());
            }
            println!(
                "{} blobs removed ({} freed), {} kept",
                r.removed_blobs.len(),
                human_size(r.freed_bytes),
                r.kept_blobs
            );
            Ok(())
        }
    }
}
