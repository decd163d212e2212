//! CRI server benchmark (`tests/bench/cri.sh`, or `cargo bench -p hoist --bench cri`):
//!
//! 1. `ListImages` latency with 10,000 images in the store (goal: < 50 ms), measured over
//!    the unix socket with a tonic client against a real `hoist serve --cri` process: the
//!    first call after start, then the median and p95 of 30 calls; plus a filtered call.
//! 2. `PullImage` of the medium bench image (8 layers × 25 MB, as `tests/bench/pull.sh`)
//!    next to `hoist pull` of the same image from the same registry in the same run, cold
//!    store each time, alternating (goal: < 10 % overhead).
//!
//! The 10k-image store is written directly (config and manifest blobs, `hoist.json`) with
//! the core's `ImageIndex`; `FsStore::open` derives `index.json` from it.
//! Args: `[RUNS]` (pull runs, default 5).

#[path = "../tests/cri_support/mod.rs"]
mod cri_support;

use std::path::Path;
use std::time::{Duration, Instant};

use cri_support::*;
use hoist::store::{FsStore, ManifestDescriptor};
use hoist_core::digest::Digest;
use hoist_core::store::{ImageIndex, ImageRecord};
use hoist_testkit::{push, ImageBuilder, Registry, Setup};

const IMAGES: usize = 10_000;

fn write_blob(root: &Path, bytes: &[u8]) -> Digest {
    let d = Digest::sha256_of(bytes);
    std::fs::write(root.join("blobs/sha256").join(d.encoded()), bytes).expect("blob");
    d
}

/// A store with `n` single-layer images named `bench.local/app/NNNNN:v1`.
fn big_store(root: &Path, n: usize) {
    std::fs::create_dir_all(root.join("blobs/sha256")).expect("mkdir");
    std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("layout");
    let mut index = ImageIndex::new();
    let mut manifests = serde_json::Map::new();
    for i in 0..n {
        let layer = Digest::sha256_of(format!("layer {i}").as_bytes());
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:{:02}Z","config":{{"User":"{}","Labels":{{"bench":"{i}"}}}},"rootfs":{{"type":"layers","diff_ids":["{layer}"]}}}}"#,
            i % 60,
            if i % 2 == 0 { "1000" } else { "app" },
        );
        let config_digest = write_blob(root, config.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer}","size":1000}}]}}"#,
            config.len()
        );
        let manifest_digest = write_blob(root, manifest.as_bytes());
        let mut r = ImageRecord::new(config_digest.clone(), manifest_digest.clone());
        r.names = vec![format!("bench.local/app/{i:05}:v1")];
        r.digests = vec![format!("bench.local/app/{i:05}@{manifest_digest}")];
        r.created = Some(1_704_067_200 + (i % 60) as i64);
        r.labels.insert("bench".into(), i.to_string());
        r.size = (config.len() + manifest.len() + 1000) as u64;
        r.config_digest = Some(config_digest.clone());
        index.add(r).expect("add");
        let desc = ManifestDescriptor::new(
            "application/vnd.oci.image.manifest.v1+json",
            manifest_digest,
            manifest.len() as u64,
        );
        manifests.insert(
            config_digest.to_string(),
            serde_json::to_value(desc).expect("desc"),
        );
    }
    let mut meta = b"{\"version\":1,\"index\":".to_vec();
    meta.extend_from_slice(&index.to_json());
    meta.extend_from_slice(b",\"manifests\":");
    meta.extend_from_slice(&serde_json::to_vec(&manifests).expect("json"));
    meta.extend_from_slice(b"}\n");
    std::fs::write(root.join("hoist.json"), meta).expect("hoist.json");
    FsStore::open(root).expect("store opens and derives index.json");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn list_images_bench(work: &Path) {
    let store = work.join("big");
    let t = Instant::now();
    big_store(&store, IMAGES);
    eprintln!(
        "wrote {IMAGES} images in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let server = Server::start(&store, &work.join("big.sock"), &[]);
    let mut c = server.client().await;
    let t = Instant::now();
    let n = list(&mut c, None).await.len();
    let first = ms(t.elapsed());
    assert_eq!(n, IMAGES);
    let mut times = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let images = list(&mut c, None).await;
        times.push(ms(t.elapsed()));
        assert_eq!(images.len(), IMAGES);
    }
    let med = median(&mut times);
    let p95 = times[times.len() * 95 / 100];
    let mut filtered = Vec::new();
    for i in 0..30 {
        let t = Instant::now();
        let got = list(&mut c, Some(&format!("app/{:05}:v1", i * 333))).await;
        filtered.push(ms(t.elapsed()));
        assert_eq!(got.len(), 1);
    }
    println!("ListImages, {IMAGES} images (goal < 50 ms):");
    println!("  first call after start   {first:8.1} ms");
    println!("  median of 30             {med:8.1} ms   p95 {p95:.1} ms");
    println!(
        "  filter.image (short name) {:7.2} ms median",
        median(&mut filtered)
    );
}

async fn pull_bench(work: &Path, runs: usize) {
    let registry = Registry::start(Setup::NoAuth);
    let layouts = work.join("layouts");
    let mut b = ImageBuilder::new(77).tag("latest");
    for _ in 0..8 {
        b = b.layer(25_000_000);
    }
    let t = Instant::now();
    b.write(&layouts).expect("image");
    push(&layouts, "bench/medium:latest", &registry).expect("push");
    eprintln!(
        "medium image built and pushed in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let reference = format!("{}/bench/medium:latest", registry.host());
    let (mut cli, mut cri) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let store = work.join(format!("cli-{i}"));
        let t = Instant::now();
        let out = hoist_command(&store)
            .args(["pull", "-q", "--plain-http", &reference])
            .output()
            .expect("hoist pull");
        cli.push(t.elapsed().as_secs_f64());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::remove_dir_all(&store).expect("rm");

        let store = work.join(format!("cri-{i}"));
        let server = Server::start(&store, &work.join(format!("cri-{i}.sock")), &[]);
        let mut c = server.client().await;
        let t = Instant::now();
        pull(&mut c, &reference, None).await.expect("PullImage");
        cri.push(t.elapsed().as_secs_f64());
        drop(server);
        std::fs::remove_dir_all(&store).expect("rm");
    }
    let (cli_min, cri_min) = (
        cli.iter().copied().fold(f64::MAX, f64::min),
        cri.iter().copied().fold(f64::MAX, f64::min),
    );
    let (cli_med, cri_med) = (median(&mut cli), median(&mut cri));
    println!("PullImage vs hoist pull, medium image (8 x 25 MB), {runs} runs, cold store (goal: overhead < 10 %):");
    println!("  hoist pull   min {cli_min:.3} s  median {cli_med:.3} s");
    println!("  PullImage    min {cri_min:.3} s  median {cri_med:.3} s");
    println!(
        "  overhead (median) {:+.1} %",
        (cri_med / cli_med - 1.0) * 100.0
    );
}

fn main() {
    // `cargo bench` passes `--bench`; the only argument of ours is the run count.
    let runs = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let work = tempfile::tempdir().expect("tmp");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        list_images_bench(work.path()).await;
        pull_bench(work.path(), runs).await;
    });
}
