//! What the service keeps in memory so that `ListImages` over 10k images stays in
//! milliseconds: the parsed index, reloaded only when `hoist.json` changes, and what each
//! image's config says (user, chain ID), which never changes for a given config digest.
//!
//! `hoist.json` is only ever replaced by rename (`FsStore`), so a change shows in its
//! stat: device, inode, size, mtime and ctime (nanoseconds) are compared on every call.
//! The stat is taken *before* reading, so a write racing with a reload at worst causes one
//! more reload. Writes by `hoist` commands in other processes are picked up the same way.
//! containerd's CRI plugin keeps the same kind of in-memory image store.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, Mutex};

use hoist_core::config::{ImageConfig, ImageUser};
use hoist_core::digest::Digest;
use hoist_core::id::chain_id;
use hoist_core::store::{ImageIndex, ImageRecord};

use super::{images, proto};
use crate::store::{FsStore, StoreIoError};

/// Largest config blob read for the facts (containers/image's config limit is 4 MiB).
const MAX_CONFIG: u64 = 8 << 20;

/// `hoist.json`'s identity: (device, inode, size, mtime ns, ctime ns).
type Stamp = (u64, u64, u64, i128, i128);

/// A built `ListImages` answer and the index version it was built from.
type Listed = (Arc<ImageIndex>, Arc<Vec<proto::Image>>);

/// What one image's config tells the CRI.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigFacts {
    /// config.User, split the cri-containerd way.
    pub user: Option<ImageUser>,
    /// The chain ID of the layers (`None` for an image without layers).
    pub chain_id: Option<Digest>,
}

/// The caches of one server.
pub struct Caches {
    store: FsStore,
    search: Vec<String>,
    index: Mutex<Option<(Stamp, Arc<ImageIndex>)>>,
    facts: Mutex<HashMap<Digest, Arc<ConfigFacts>>>,
    /// The full `ListImages` answer for one index version (by `Arc` identity).
    listed: Mutex<Option<Listed>>,
}

impl Caches {
    /// Empty caches over `store`; `search` are registries.conf's unqualified-search
    /// registries, set on every index handed out.
    pub fn new(store: FsStore, search: Vec<String>) -> Self {
        Caches {
            store,
            search,
            index: Mutex::new(None),
            facts: Mutex::new(HashMap::new()),
            listed: Mutex::new(None),
        }
    }

    fn stamp(&self) -> Result<Stamp, StoreIoError> {
        let path = self.store.paths().hoist_json();
        let m = std::fs::metadata(&path).map_err(|e| StoreIoError::Io {
            op: "stat",
            path: path.clone(),
            source: e,
        })?;
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        Ok((
            m.dev(),
            m.ino(),
            m.len(),
            ns(m.mtime(), m.mtime_nsec()),
            ns(m.ctime(), m.ctime_nsec()),
        ))
    }

    /// The committed index (blocking: may read `hoist.json`).
    pub fn index(&self) -> Result<Arc<ImageIndex>, StoreIoError> {
        let stamp = self.stamp()?;
        let mut guard = self.index.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((s, index)) = guard.as_ref() {
            if *s == stamp {
                return Ok(index.clone());
            }
        }
        let mut index = self.store.read_index()?;
        index.set_search_registries(&self.search);
        let index = Arc::new(index);
        // Forget the facts of removed images once they could dominate the cache.
        let mut facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        if facts.len() > 2 * index.len() + 64 {
            let live: std::collections::HashSet<&Digest> = index
                .records()
                .map(|r| r.config_digest.as_ref().unwrap_or(&r.id))
                .collect();
            facts.retain(|d, _| live.contains(d));
        }
        drop(facts);
        *guard = Some((stamp, index.clone()));
        Ok(index)
    }

    /// Every image, newest first, as `ListImages` returns them (blocking). Built once per
    /// index version and shared until the index changes; not kept while a config could not
    /// be read (its facts are retried next time).
    pub fn all_images(&self) -> Result<Arc<Vec<proto::Image>>, StoreIoError> {
        let index = self.index()?;
        if let Some((i, list)) = self
            .listed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            if Arc::ptr_eq(i, &index) {
                return Ok(list.clone());
            }
        }
        let mut complete = true;
        let list: Vec<proto::Image> = index
            .list(&Default::default())
            .into_iter()
            .map(|r| {
                let (facts, known) = self.facts_known(r);
                complete &= known;
                images::image(r, &facts)
            })
            .collect();
        let list = Arc::new(list);
        if complete {
            *self.listed.lock().unwrap_or_else(|p| p.into_inner()) = Some((index, list.clone()));
        }
        Ok(list)
    }

    /// The config facts of `record` (blocking on a miss: reads and parses the config).
    /// A config that cannot be read gives empty facts, which are not cached.
    pub fn facts(&self, record: &ImageRecord) -> Arc<ConfigFacts> {
        self.facts_known(record).0
    }

    /// [`Caches::facts`], and whether they are the config's (not empty for a failed read).
    fn facts_known(&self, record: &ImageRecord) -> (Arc<ConfigFacts>, bool) {
        let digest = record.config_digest.as_ref().unwrap_or(&record.id);
        if let Some(f) = self
            .facts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(digest)
        {
            return (f.clone(), true);
        }
        let Some(facts) = self.load_facts(digest) else {
            return (Arc::new(ConfigFacts::default()), false);
        };
        let facts = Arc::new(facts);
        self.facts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(digest.clone(), facts.clone());
        (facts, true)
    }

    fn load_facts(&self, digest: &Digest) -> Option<ConfigFacts> {
        let raw = self.store.read_blob(digest, MAX_CONFIG).ok()?;
        let config = ImageConfig::parse(&raw).ok()?;
        Some(ConfigFacts {
            user: config.user(),
            chain_id: chain_id(config.diff_ids()),
        })
    }

    /// Reads the facts of every image and builds the list (run once at start, in the
    /// background, so that the first `ListImages` after it is as fast as the next).
    pub fn warm(&self) {
        let _ = self.all_images();
    }
}
