//! Shared helpers of the `store_*` integration tests: test images (hoist-testkit), pulling
//! them into an `FsStore` the way the drive loop will, tree snapshots, skopeo.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use hoist::store::{FsStore, Ingest, ManifestDescriptor, ManifestPlatform, Staging};
use hoist_core::digest::Digest;
use hoist_core::store::{ImageRecord, PullRecord};
use hoist_testkit::{BuiltImage, BuiltManifest, ImageBuilder};

/// One single-platform image, blobs in memory.
#[derive(Clone, Debug)]
pub struct TestImage {
    pub manifest: ManifestDescriptor,
    pub manifest_bytes: Vec<u8>,
    pub config: Digest,
    pub config_bytes: Vec<u8>,
    pub layers: Vec<(Digest, Vec<u8>)>,
    /// The multi-platform index it belongs to, if built as one.
    pub index: Option<(Digest, Vec<u8>)>,
}

impl TestImage {
    /// A `linux/amd64` OCI image with layers of the given sizes.
    pub fn build(seed: u64, layers: &[usize]) -> TestImage {
        let mut b = ImageBuilder::new(seed);
        for l in layers {
            b = b.layer(*l);
        }
        Self::from_builder(b)
    }

    pub fn from_builder(b: ImageBuilder) -> TestImage {
        let dir = tempfile::tempdir().unwrap();
        let built = b.write(dir.path()).unwrap();
        let m = built.manifests[0].clone();
        Self::from_built(&built, &m)
    }

    pub fn from_built(built: &BuiltImage, m: &BuiltManifest) -> TestImage {
        let layers = m
            .layers
            .iter()
            .map(|l| {
                let d = Digest::parse(&l.descriptor.digest).unwrap();
                (d, fs::read(built.blob_path(&l.descriptor.digest)).unwrap())
            })
            .collect();
        let mut manifest = ManifestDescriptor::new(
            m.descriptor.media_type.clone(),
            Digest::parse(&m.descriptor.digest).unwrap(),
            m.descriptor.size,
        );
        let index = if built.is_index() {
            manifest.platform = Some(ManifestPlatform {
                architecture: m.platform.architecture.clone(),
                os: m.platform.os.clone(),
                os_version: None,
                os_features: Vec::new(),
                variant: m.platform.variant.clone(),
            });
            Some((Digest::parse(built.digest()).unwrap(), built.bytes.clone()))
        } else {
            None
        };
        TestImage {
            manifest,
            manifest_bytes: m.bytes.clone(),
            config: Digest::parse(&m.config.digest).unwrap(),
            config_bytes: m.config_bytes.clone(),
            layers,
            index,
        }
    }

    /// The image ID (config digest).
    pub fn id(&self) -> Digest {
        self.config.clone()
    }

    /// Every blob: layers, config, manifest.
    pub fn blobs(&self) -> Vec<Digest> {
        let mut v: Vec<Digest> = self.layers.iter().map(|(d, _)| d.clone()).collect();
        v.push(self.config.clone());
        v.push(self.manifest.digest.clone());
        v
    }

    pub fn size(&self) -> u64 {
        (self.layers.iter().map(|(_, b)| b.len()).sum::<usize>()
            + self.config_bytes.len()
            + self.manifest_bytes.len()) as u64
    }

    pub fn pull_record(&self, reference: &str) -> PullRecord {
        PullRecord {
            reference: reference.to_owned(),
            id: self.id(),
            manifest_digest: self.manifest.digest.clone(),
            resolved_digest: self.index.as_ref().map(|(d, _)| d.clone()),
            config_digest: Some(self.config.clone()),
            created: Some(1_577_836_800),
            labels: BTreeMap::new(),
            size: self.size(),
            os: Some("linux".into()),
            architecture: Some("amd64".into()),
        }
    }

    /// Stages every blob of the image (layers through blob writers, in `chunk`-byte
    /// writes); returns how many blobs were actually written (not already present).
    pub fn stage(&self, staging: &Staging, chunk: usize) -> usize {
        let mut written = 0;
        for (d, bytes) in &self.layers {
            match staging.blob_writer(d, bytes.len() as u64, 0).unwrap() {
                Ingest::Write(mut w) => {
                    for c in bytes.chunks(chunk.max(1)) {
                        w.write(c).unwrap();
                    }
                    assert_eq!(w.finish().unwrap(), bytes.len() as u64);
                    written += 1;
                }
                Ingest::AlreadyPresent(_) => {}
            }
        }
        staging.put_blob(&self.config, &self.config_bytes).unwrap();
        staging
            .put_blob(&self.manifest.digest, &self.manifest_bytes)
            .unwrap();
        written
    }

    /// A whole pull: begin, stage, commit with `reference` at time `now`.
    pub fn pull(&self, store: &FsStore, reference: &str, now: i64) -> ImageRecord {
        let staging = store.begin_pull().unwrap();
        self.stage(&staging, 64 << 10);
        let record = staging
            .commit(
                &self.blobs(),
                self.manifest.clone(),
                self.pull_record(reference),
                now,
            )
            .unwrap();
        staging.discard().unwrap();
        record
    }
}

/// Every file and directory under `root`, with a hash of each file's content: two equal
/// snapshots mean a byte-identical tree.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<Digest>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<Digest>>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if e.file_type().unwrap().is_dir() {
                out.insert(rel, None);
                walk(root, &path, out);
            } else {
                out.insert(rel, Some(Digest::sha256_of(&fs::read(&path).unwrap())));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The visible part of a snapshot (everything but `ingest/`).
pub fn visible(snap: &BTreeMap<PathBuf, Option<Digest>>) -> BTreeMap<PathBuf, Option<Digest>> {
    snap.iter()
        .filter(|(p, _)| !p.starts_with("ingest"))
        .map(|(p, d)| (p.clone(), d.clone()))
        .collect()
}

/// `skopeo` with the given arguments; panics with its stderr on failure.
pub fn skopeo(args: &[&str]) -> Vec<u8> {
    let bin = std::env::var("HOIST_TEST_SKOPEO_BIN").unwrap_or_else(|_| "skopeo".into());
    let out = Command::new(&bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    assert!(
        out.status.success(),
        "skopeo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `oci:ROOT:NAME`.
pub fn oci_ref(root: &Path, name: &str) -> String {
    format!("oci:{}:{name}", root.display())
}

/// The `(ref name, digest)` entries of the store's `index.json`.
pub fn index_entries(root: &Path) -> Vec<(String, String)> {
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(root.join("index.json")).unwrap()).unwrap();
    v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["annotations"]["org.opencontainers.image.ref.name"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                e["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A fresh store in a temp dir.
pub fn new_store() -> (tempfile::TempDir, FsStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path().join("store")).unwrap();
    (dir, store)
}
