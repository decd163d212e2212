//! Maintenance: sweeping `ingest/`, garbage collection, consistency checks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hoist_core::digest::{Algorithm, Digest};

use super::error::{Result, StoreIoError};
use super::fsutil::{self, Paths, PULL_PREFIX, TMP_PREFIX};
use super::lock::{self, TryLock};
use super::meta::{self, Meta};
use super::walk::{self, MAX_MANIFEST_SIZE, MAX_WALK_DEPTH};
use super::FsStore;

/// The algorithms whose directories may exist under `blobs/`.
const ALGORITHMS: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Sha512];

/// Removes leftovers from `ingest/`. The caller holds the store lock (temp files are only
/// written under it). Removed: `tmp-*` files; `pull-<id>/` directories and `pull-<id>.lock`
/// files whose lock nobody holds; free digest lock files; with `partials`, partial files
/// whose digest lock nobody holds. Returns what was removed.
pub(crate) fn sweep_ingest(paths: &Paths, partials: bool) -> Result<Vec<PathBuf>> {
    let ingest = paths.ingest();
    let mut removed = Vec::new();
    for (name, is_dir) in fsutil::list_dir(&ingest)? {
        let path = ingest.join(&name);
        if name.starts_with(TMP_PREFIX) && !is_dir {
            if fsutil::remove_file(&path)? {
                removed.push(path);
            }
        } else if name.starts_with(PULL_PREFIX) && is_dir {
            match lock::try_removable(&ingest.join(format!("{name}.lock")), false)? {
                TryLock::Busy => {}
                TryLock::Acquired(guard) => {
                    if fsutil::remove_dir_all(&path)? {
                        removed.push(path);
                    }
                    removed.push(guard.path().to_path_buf());
                    drop(guard);
                }
                TryLock::Absent => {
                    if fsutil::remove_dir_all(&path)? {
                        removed.push(path);
                    }
                }
            }
        } else if let Some(stem) = name.strip_suffix(".lock").filter(|_| !is_dir) {
            // A pull lock whose directory exists is handled with the directory.
            if stem.starts_with(PULL_PREFIX) && ingest.join(stem).is_dir() {
                continue;
            }
            if let TryLock::Acquired(guard) = lock::try_removable(&path, false)? {
                removed.push(path);
                drop(guard);
            }
        } else if let Some(stem) = name.strip_suffix(".partial").filter(|_| !is_dir) {
            if !partials {
                continue;
            }
            if let TryLock::Acquired(guard) =
                lock::try_removable(&ingest.join(format!("{stem}.lock")), true)?
            {
                if fsutil::remove_file(&path)? {
                    removed.push(path);
                }
                drop(guard);
            }
        }
    }
    Ok(removed)
}

/// What [`FsStore::gc`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GcReport {
    /// Blobs removed from `blobs/` (reachable from no image).
    pub removed_blobs: Vec<Digest>,
    /// Their total size.
    pub freed_bytes: u64,
    /// Blobs kept.
    pub kept_blobs: usize,
    /// Leftovers removed from `ingest/` (stale staging, partial files, locks, temp files).
    pub removed_ingest: Vec<PathBuf>,
    /// Files in `blobs/` whose names are not digests: left alone (see `fsck`).
    pub foreign: Vec<PathBuf>,
}

/// One blob whose content does not match its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorruptBlob {
    /// The digest its path names.
    pub digest: Digest,
    /// What it hashes to.
    pub actual: Digest,
    /// Its length.
    pub size: u64,
}

/// A blob an image reaches that is not in `blobs/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingBlob {
    /// The image.
    pub image: Digest,
    /// The missing blob.
    pub digest: Digest,
    /// The manifest that references it; `None` when it is the image's own manifest.
    pub parent: Option<Digest>,
}

/// A reachable blob whose size is not its descriptor's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeMismatch {
    /// The image.
    pub image: Digest,
    /// The blob.
    pub digest: Digest,
    /// The descriptor's size.
    pub expected: u64,
    /// The file's size.
    pub actual: u64,
}

/// A manifest an image reaches that cannot be read as one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadManifest {
    /// The image.
    pub image: Digest,
    /// The manifest.
    pub digest: Digest,
    /// Why.
    pub detail: String,
}

/// How `index.json` compares with the one derived from `hoist.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexJsonState {
    /// Byte-identical.
    Agrees,
    /// `hoist.json` could not be read, so there is nothing to compare with.
    Unknown,
    /// There is no `index.json`.
    Missing,
    /// It is not an OCI index.
    Unreadable(String),
    /// It differs: `(ref name, manifest digest)` entries it lacks and entries it has in
    /// excess (both empty when only the bytes differ).
    Differs {
        /// Expected entries not found.
        missing: Vec<(String, String)>,
        /// Entries found but not expected.
        extra: Vec<(String, String)>,
    },
}

/// What [`FsStore::fsck`] found. Every list is sorted; [`FsckReport::is_clean`] is true when
/// there is no problem (unreferenced blobs and stale ingest files are not problems).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FsckReport {
    /// How many files under `blobs/` were hashed.
    pub blobs_checked: usize,
    /// Blobs whose content does not hash to their name.
    pub corrupt_blobs: Vec<CorruptBlob>,
    /// Blobs an image reaches that are not committed.
    pub missing_blobs: Vec<MissingBlob>,
    /// Reachable blobs of the wrong size.
    pub size_mismatches: Vec<SizeMismatch>,
    /// Reachable manifests that are too large or not manifests.
    pub bad_manifests: Vec<BadManifest>,
    /// `oci-layout` is missing or wrong.
    pub layout_error: Option<String>,
    /// `hoist.json` is missing or unreadable.
    pub metadata_error: Option<String>,
    /// `index.json` against `hoist.json`.
    pub index_json: IndexJsonState,
    /// Files in the visible layout that do not belong there: temp files, unknown entries at
    /// the root or under `blobs/`, blob files not named by a digest.
    pub stray_files: Vec<PathBuf>,
    /// Committed blobs no image reaches (`gc` removes them). Not a problem.
    pub unreferenced_blobs: Vec<Digest>,
    /// Entries of `ingest/` that no live pull or writer owns (`open`/`gc` remove them). Not
    /// a problem.
    pub stale_ingest: Vec<PathBuf>,
}

impl FsckReport {
    /// No corruption, no missing or wrong-size blob, readable metadata that agrees with
    /// `index.json`, no stray file.
    pub fn is_clean(&self) -> bool {
        self.corrupt_blobs.is_empty()
            && self.missing_blobs.is_empty()
            && self.size_mismatches.is_empty()
            && self.bad_manifests.is_empty()
            && self.layout_error.is_none()
            && self.metadata_error.is_none()
            && self.index_json == IndexJsonState::Agrees
            && self.stray_files.is_empty()
    }
}

/// Committed blobs with their paths.
type BlobFiles = Vec<(Digest, PathBuf)>;

/// Committed blobs, by digest, and files under `blobs/` that are not blobs.
fn list_blobs(paths: &Paths) -> Result<(BlobFiles, Vec<PathBuf>)> {
    let blobs = paths.blobs();
    let mut found = Vec::new();
    let mut stray = Vec::new();
    for (name, is_dir) in fsutil::list_dir(&blobs)? {
        let path = blobs.join(&name);
        let Some(alg) = ALGORITHMS
            .iter()
            .find(|a| a.as_str() == name)
            .filter(|_| is_dir)
        else {
            stray.push(path);
            continue;
        };
        for (hex, is_dir) in fsutil::list_dir(&path)? {
            let file = path.join(&hex);
            match Digest::parse(&format!("{}:{hex}", alg.as_str())) {
                Ok(d) if !is_dir => found.push((d, file)),
                _ => stray.push(file),
            }
        }
    }
    Ok((found, stray))
}

impl FsStore {
    /// Removes every committed blob no image reaches, and stale ingest leftovers
    /// (staging of pulls that are gone, partial files nobody is writing, free lock files,
    /// temp files), under the store lock.
    ///
    /// Reachability: each record's manifest (from `hoist.json`) → config and layers; an
    /// index → its child manifests that are present, recursively. If a record's manifest is
    /// missing or unreadable, its children are unknown and gc refuses (`blob-missing` /
    /// `store-corrupt`) rather than guess: run `fsck`, then remove the broken image.
    /// Files under `blobs/` not named by a digest are left alone and listed.
    pub fn gc(&self) -> Result<GcReport> {
        let _guard = self.lock()?;
        let meta = self.load_meta()?;
        let mut reachable = BTreeSet::new();
        for record in meta.index.records() {
            let mut queue = vec![(record.manifest_digest.clone(), 0usize)];
            while let Some((digest, depth)) = queue.pop() {
                if !reachable.insert(digest.clone()) {
                    continue;
                }
                let bytes = self.read_manifest_blob(&digest).map_err(|e| match e {
                    StoreIoError::BlobMissing { digest, .. } => StoreIoError::BlobMissing {
                        digest,
                        needed_by: format!("image {}", record.id),
                    },
                    other => other,
                })?;
                let path = self.paths().blob(&digest);
                let children = walk::children(&bytes).map_err(|e| {
                    StoreIoError::corrupt(&path, format!("manifest of image {}: {e}", record.id))
                })?;
                for child in children {
                    if child.is_manifest {
                        if depth < MAX_WALK_DEPTH && self.stat(&child.digest)?.is_some() {
                            queue.push((child.digest, depth + 1));
                        } else {
                            reachable.insert(child.digest);
                        }
                    } else {
                        reachable.insert(child.digest);
                    }
                }
            }
        }
        let (blobs, foreign) = list_blobs(self.paths())?;
        let mut report = GcReport {
            foreign,
            ..GcReport::default()
        };
        let mut touched = BTreeSet::new();
        for (digest, path) in blobs {
            if reachable.contains(&digest) {
                report.kept_blobs += 1;
                continue;
            }
            let len = fsutil::file_len(&path)?.unwrap_or(0);
            if fsutil::remove_file(&path)? {
                report.freed_bytes += len;
                touched.insert(digest.algorithm());
                report.removed_blobs.push(digest);
            }
        }
        for alg in touched {
            fsutil::sync_dir(&self.paths().blob_dir(alg))?;
        }
        report.removed_ingest = sweep_ingest(self.paths(), true)?;
        Ok(report)
    }

    /// Checks the whole store without changing it, under the store lock (so it sees no
    /// commit half-done): `oci-layout`; `hoist.json` parses; every blob under `blobs/`
    /// hashes to its name (every byte is read); every blob an image reaches exists with its
    /// descriptor's size; `index.json` is byte-identical to the one derived from
    /// `hoist.json`; no stray files in the visible layout. Also lists unreferenced blobs and
    /// stale ingest entries. I/O errors abort; content problems are reported.
    pub fn fsck(&self) -> Result<FsckReport> {
        let _guard = self.lock()?;
        let paths = self.paths();
        let mut report = FsckReport {
            blobs_checked: 0,
            corrupt_blobs: Vec::new(),
            missing_blobs: Vec::new(),
            size_mismatches: Vec::new(),
            bad_manifests: Vec::new(),
            layout_error: None,
            metadata_error: None,
            index_json: IndexJsonState::Unknown,
            stray_files: Vec::new(),
            unreferenced_blobs: Vec::new(),
            stale_ingest: Vec::new(),
        };
        if let Err(e) = self.check_oci_layout(false) {
            match e {
                StoreIoError::Corrupt { detail, .. } => report.layout_error = Some(detail),
                other => return Err(other),
            }
        }
        for (name, _) in fsutil::list_dir(&paths.root)? {
            if ![
                fsutil::OCI_LAYOUT,
                fsutil::INDEX_JSON,
                fsutil::HOIST_JSON,
                fsutil::BLOBS,
                fsutil::INGEST,
                fsutil::LOCK,
            ]
            .contains(&name.as_str())
            {
                report.stray_files.push(paths.root.join(name));
            }
        }
        let (blobs, stray) = list_blobs(paths)?;
        report.stray_files.extend(stray);
        let mut present = BTreeSet::new();
        for (digest, path) in &blobs {
            let (actual, size) = fsutil::hash_file(path, digest.algorithm())?;
            report.blobs_checked += 1;
            if &actual != digest {
                report.corrupt_blobs.push(CorruptBlob {
                    digest: digest.clone(),
                    actual,
                    size,
                });
            }
            present.insert(digest.clone());
        }

        let meta = match self.load_meta() {
            Ok(m) => Some(m),
            Err(StoreIoError::Corrupt { detail, .. }) => {
                report.metadata_error = Some(detail);
                None
            }
            Err(e) => return Err(e),
        };
        if let Some(meta) = &meta {
            let reachable = self.fsck_images(meta, &mut report)?;
            report.unreferenced_blobs = present
                .iter()
                .filter(|d| !reachable.contains(*d))
                .cloned()
                .collect();
            report.index_json = index_state(meta, &paths.index_json())?;
        }
        report.stale_ingest = stale_ingest(paths)?;
        report.stray_files.sort();
        report.missing_blobs.sort_by(|a, b| {
            (&a.image, &a.digest, &a.parent).cmp(&(&b.image, &b.digest, &b.parent))
        });
        report.missing_blobs.dedup();
        report
            .size_mismatches
            .sort_by(|a, b| (&a.image, &a.digest).cmp(&(&b.image, &b.digest)));
        report.size_mismatches.dedup();
        report
            .bad_manifests
            .sort_by(|a, b| (&a.image, &a.digest).cmp(&(&b.image, &b.digest)));
        Ok(report)
    }

    /// Walks every image for fsck; returns every digest reached.
    fn fsck_images(&self, meta: &Meta, report: &mut FsckReport) -> Result<BTreeSet<Digest>> {
        let mut reachable = BTreeSet::new();
        for record in meta.index.records() {
            let image = &record.id;
            let root_size = meta.manifests.get(image).map(|d| d.size);
            let mut queue = vec![(record.manifest_digest.clone(), root_size, None, 0usize)];
            let mut seen = BTreeSet::new();
            while let Some((digest, size, parent, depth)) = queue.pop() {
                if !seen.insert(digest.clone()) {
                    continue;
                }
                reachable.insert(digest.clone());
                let Some(len) = self.stat(&digest)? else {
                    report.missing_blobs.push(MissingBlob {
                        image: image.clone(),
                        digest,
                        parent,
                    });
                    continue;
                };
                if let Some(expected) = size.filter(|s| *s != len) {
                    report.size_mismatches.push(SizeMismatch {
                        image: image.clone(),
                        digest: digest.clone(),
                        expected,
                        actual: len,
                    });
                }
                let path = self.paths().blob(&digest);
                let bytes = match fsutil::read_bounded(&path, MAX_MANIFEST_SIZE)? {
                    None => continue,
                    Some(Err(len)) => {
                        report.bad_manifests.push(BadManifest {
                            image: image.clone(),
                            digest,
                            detail: format!("{len} bytes is more than {MAX_MANIFEST_SIZE}"),
                        });
                        continue;
                    }
                    Some(Ok(b)) => b,
                };
                let children = match walk::children(&bytes) {
                    Ok(c) => c,
                    Err(detail) => {
                        report.bad_manifests.push(BadManifest {
                            image: image.clone(),
                            digest,
                            detail,
                        });
                        continue;
                    }
                };
                for child in children {
                    if child.is_manifest {
                        if depth < MAX_WALK_DEPTH && self.stat(&child.digest)?.is_some() {
                            queue.push((child.digest, child.size, Some(digest.clone()), depth + 1));
                        }
                        continue;
                    }
                    reachable.insert(child.digest.clone());
                    match self.stat(&child.digest)? {
                        None if child.required => report.missing_blobs.push(MissingBlob {
                            image: image.clone(),
                            digest: child.digest,
                            parent: Some(digest.clone()),
                        }),
                        None => {}
                        Some(len) => {
                            if let Some(expected) = child.size.filter(|s| *s != len) {
                                report.size_mismatches.push(SizeMismatch {
                                    image: image.clone(),
                                    digest: child.digest,
                                    expected,
                                    actual: len,
                                });
                            }
                        }
                    }
                }
            }
        }
        Ok(reachable)
    }

    /// A committed manifest's bytes (bounded), for the walks.
    fn read_manifest_blob(&self, digest: &Digest) -> Result<Vec<u8>> {
        self.read_blob(digest, MAX_MANIFEST_SIZE)
    }
}

fn index_state(meta: &Meta, path: &Path) -> Result<IndexJsonState> {
    let derived = meta.index_json();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(IndexJsonState::Missing),
        Err(e) => return Err(StoreIoError::io("read", path, e)),
    };
    if bytes == derived {
        return Ok(IndexJsonState::Agrees);
    }
    let actual: BTreeSet<(String, String)> = match meta::read_index_pairs(&bytes) {
        Ok(p) => p.into_iter().collect(),
        Err(e) => return Ok(IndexJsonState::Unreadable(e)),
    };
    let expected: BTreeSet<(String, String)> = meta
        .index_entries()
        .into_iter()
        .map(|(n, d)| (n.unwrap_or("").to_owned(), d.digest.to_string()))
        .collect();
    Ok(IndexJsonState::Differs {
        missing: expected.difference(&actual).cloned().collect(),
        extra: actual.difference(&expected).cloned().collect(),
    })
}

/// Entries of `ingest/` nobody owns, found without removing or creating anything.
fn stale_ingest(paths: &Paths) -> Result<Vec<PathBuf>> {
    let ingest = paths.ingest();
    let mut out = Vec::new();
    for (name, is_dir) in fsutil::list_dir(&ingest)? {
        let path = ingest.join(&name);
        let lock_path = if is_dir && name.starts_with(PULL_PREFIX) {
            ingest.join(format!("{name}.lock"))
        } else if let Some(stem) = name.strip_suffix(".partial") {
            ingest.join(format!("{stem}.lock"))
        } else if name.ends_with(".lock") {
            if name.starts_with(PULL_PREFIX) {
                continue;
            }
            path.clone()
        } else {
            out.push(path);
            continue;
        };
        match lock::try_removable(&lock_path, false)? {
            TryLock::Busy => {}
            TryLock::Acquired(guard) => {
                guard.release_keeping_file();
                out.push(path);
            }
            TryLock::Absent => out.push(path),
        }
    }
    Ok(out)
}
