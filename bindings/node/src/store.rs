//! `store` and `filter` interfaces: the image index model (records, names, repo digests,
//! tag/untag/remove/resolve rules) and podman's filter language (see
//! `hoist_core::store`, `hoist_core::filter`).
//!
//! Records and changes cross as their persisted JSON form (`ImageRecord`: `id`, `names`,
//! `digests`, `created`, `pulled_at`, `labels`, `size`, `manifest_digest`,
//! `config_digest`, `os`, `architecture`, `pinned`), the same objects
//! `hoist images --format json` prints, so a record read from either compares equal.

use hoist_core::filter::{self, Filters, Glob};
use hoist_core::store::{self, layout, Change, ImageRecord, PullRecord};
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{core, from_value, to_value, Result};

fn changes(c: Vec<Change>) -> Result<Vec<Value>> {
    c.iter().map(to_value).collect()
}

fn records<'a>(it: impl Iterator<Item = &'a ImageRecord>) -> Result<Vec<Value>> {
    it.map(to_value).collect()
}

/// The image index: what a store knows about its images. Every rule (which tag moves
/// where, when removal needs force, how an ID prefix or short name resolves) is the
/// core's.
#[napi]
#[derive(Default)]
pub struct ImageIndex {
    inner: store::ImageIndex,
}

#[napi]
impl ImageIndex {
    /// An empty index.
    #[napi(constructor)]
    pub fn new() -> Self {
        ImageIndex::default()
    }

    /// Reads the persisted form (`{"version":1,"images":[…]}`), strictly.
    #[napi(factory)]
    pub fn from_json(bytes: Uint8Array) -> Result<ImageIndex> {
        core(store::ImageIndex::from_json(&bytes)).map(|inner| ImageIndex { inner })
    }

    /// The persisted form, byte for byte what every host writes.
    #[napi]
    pub fn to_json(&self) -> Uint8Array {
        Uint8Array::from(self.inner.to_json())
    }

    /// Registries that short names in `resolve` and filters are tried against.
    #[napi]
    pub fn set_search_registries(&mut self, registries: Vec<String>) {
        self.inner.set_search_registries(&registries);
    }

    /// Number of images.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }

    /// The record with exactly this ID, if any.
    #[napi]
    pub fn get(&self, id: String) -> Result<Option<Value>> {
        let id = crate::convert::digest(&id)?;
        self.inner.get(&id).map(to_value).transpose()
    }

    /// Every record, by ID.
    #[napi]
    pub fn records(&self) -> Result<Vec<Value>> {
        records(self.inner.records())
    }

    /// The records `filter` passes (all without one), newest first, then by ID.
    #[napi]
    pub fn list(&self, filter: Option<&Filter>) -> Result<Vec<Value>> {
        match filter {
            Some(f) => records(self.inner.list(&f.inner).into_iter()),
            None => {
                let all = core(Filters::parse(&[], &self.inner, 0))?;
                records(self.inner.list(&all).into_iter())
            }
        }
    }

    /// The record an ID, ID prefix, name or `name@digest` refers to.
    #[napi]
    pub fn resolve(&self, input: String) -> Result<Value> {
        to_value(core(self.inner.resolve(&input))?)
    }

    /// Adds or merges a record (names move from other images).
    #[napi]
    pub fn add(&mut self, record: Value) -> Result<Vec<Value>> {
        let record: ImageRecord = from_value("record", record)?;
        changes(core(self.inner.add(record))?)
    }

    /// Records a finished pull at `nowUnix` (seconds): the pulled name and repo digest.
    #[napi]
    pub fn record_pull(&mut self, pull: Value, now_unix: i64) -> Result<Vec<Value>> {
        let pull: PullRecord = from_value("pull", pull)?;
        changes(core(self.inner.record_pull(pull, now_unix))?)
    }

    /// Gives `image` the name `name` (normalized); the name moves from any other image.
    #[napi]
    pub fn tag(&mut self, image: String, name: String) -> Result<Vec<Value>> {
        changes(core(self.inner.tag(&image, &name))?)
    }

    /// Removes `name` from `image`, or every name when `name` is absent.
    #[napi]
    pub fn untag(&mut self, image: String, name: Option<String>) -> Result<Vec<Value>> {
        changes(core(self.inner.untag(&image, name.as_deref()))?)
    }

    /// Removes a name or an image (podman `rmi` rules; `force` for an image with several
    /// names given by ID).
    #[napi]
    pub fn remove(&mut self, image: String, force: Option<bool>) -> Result<Vec<Value>> {
        changes(core(self.inner.remove(&image, force.unwrap_or(false)))?)
    }

    /// Removes the image with all its names.
    #[napi]
    pub fn remove_all(&mut self, image: String) -> Result<Vec<Value>> {
        changes(core(self.inner.remove_all(&image))?)
    }
}

/// A parsed podman image filter (`dangling=true`, `label=k=v`, `reference=…`,
/// `before=`/`since=` an image of `index`, `until=` a time…).
#[napi]
pub struct Filter {
    inner: Filters,
}

#[napi]
impl Filter {
    /// Parses filter arguments (each may hold comma-separated clauses) against `index`
    /// (for `before`/`since`) at `nowUnix` seconds (for `until` durations).
    #[napi(factory)]
    pub fn parse(
        filters: Vec<String>,
        index: Option<&ImageIndex>,
        now_unix: Option<i64>,
    ) -> Result<Filter> {
        let args: Vec<&str> = filters.iter().map(String::as_str).collect();
        let empty = store::ImageIndex::new();
        let index = index.map_or(&empty, |i| &i.inner);
        core(Filters::parse(&args, index, now_unix.unwrap_or(0))).map(|inner| Filter { inner })
    }

    /// The clauses: `[{key, negate, value}]`.
    #[napi]
    pub fn clauses(&self) -> Result<Vec<Value>> {
        self.inner.clauses().iter().map(to_value).collect()
    }

    /// Whether `record` passes every clause.
    #[napi]
    pub fn matches(&self, record: Value) -> Result<bool> {
        let record: ImageRecord = from_value("record", record)?;
        Ok(self.inner.matches(&record))
    }
}

/// Go's `path.Match` as the `reference=` filter uses it.
#[napi]
pub fn glob_match(pattern: String, name: String) -> Result<bool> {
    core(Glob::new(&pattern)).map(|g| g.is_match(&name))
}

/// An `until=` value (RFC 3339 time, unix time, or duration before `nowUnix`) as
/// `"<seconds>.<9-digit nanos>"`.
#[napi]
pub fn parse_until(value: String, now_unix: i64) -> Result<String> {
    core(filter::parse_until(&value, now_unix)).map(|t| t.to_string())
}

/// `hoist.json` in memory (the store format every host writes, `hoist_core::store::layout`):
/// the image index plus each image's manifest descriptor, from which `index.json` is
/// derived. Every update is all-or-nothing.
#[napi]
#[derive(Default)]
pub struct StoreMeta {
    inner: layout::StoreMeta,
}

#[napi]
impl StoreMeta {
    /// An empty store's meta.
    #[napi(constructor)]
    pub fn new() -> Self {
        StoreMeta::default()
    }

    /// Reads `hoist.json` strictly (`invalid-store-layout` on anything unexpected).
    #[napi(factory)]
    pub fn from_json(bytes: Uint8Array) -> Result<StoreMeta> {
        core(layout::StoreMeta::from_json(&bytes)).map(|inner| StoreMeta { inner })
    }

    /// The `hoist.json` bytes.
    #[napi]
    pub fn to_json(&self) -> Uint8Array {
        Uint8Array::from(self.inner.to_json())
    }

    /// The `index.json` bytes derived from it (OCI `image-layout.md`).
    #[napi]
    pub fn index_json(&self) -> Uint8Array {
        Uint8Array::from(self.inner.index_json())
    }

    /// A copy of the image index (for `list`, `resolve` and filters).
    #[napi]
    pub fn index(&self) -> ImageIndex {
        ImageIndex {
            inner: self.inner.index.clone(),
        }
    }

    /// The manifest descriptor recorded for image `id`, if any.
    #[napi]
    pub fn manifest_descriptor(&self, id: String) -> Result<Option<Value>> {
        let id = crate::convert::digest(&id)?;
        self.inner.manifests.get(&id).map(to_value).transpose()
    }

    /// Records a committed pull (`PullRecord` JSON form) whose platform manifest is
    /// `manifest` (a descriptor object), at `nowUnix` seconds; returns the record.
    #[napi]
    pub fn record_pull(&mut self, pull: Value, manifest: Value, now_unix: i64) -> Result<Value> {
        let pull: PullRecord = from_value("pull", pull)?;
        let manifest = layout::ManifestDescriptor::from(&crate::convert::descriptor_in(&manifest)?);
        to_value(&core(self.inner.record_pull(pull, manifest, now_unix))?)
    }

    /// `ImageIndex.tag` on the meta.
    #[napi]
    pub fn tag(&mut self, image: String, name: String) -> Result<Vec<Value>> {
        changes(core(self.inner.apply(|i| i.tag(&image, &name)))?)
    }

    /// `ImageIndex.untag` on the meta.
    #[napi]
    pub fn untag(&mut self, image: String, name: Option<String>) -> Result<Vec<Value>> {
        changes(core(
            self.inner.apply(|i| i.untag(&image, name.as_deref())),
        )?)
    }

    /// `ImageIndex.remove` on the meta (descriptors of removed images are dropped).
    #[napi]
    pub fn remove(&mut self, image: String, force: Option<bool>) -> Result<Vec<Value>> {
        changes(core(
            self.inner
                .apply(|i| i.remove(&image, force.unwrap_or(false))),
        )?)
    }

    /// `ImageIndex.removeAll` on the meta.
    #[napi]
    pub fn remove_all(&mut self, image: String) -> Result<Vec<Value>> {
        changes(core(self.inner.apply(|i| i.remove_all(&image)))?)
    }
}

/// The bytes of the `oci-layout` file hoist writes.
#[napi]
pub fn oci_layout_bytes() -> Uint8Array {
    Uint8Array::from(layout::OCI_LAYOUT_BYTES.to_vec())
}

/// Checks an existing `oci-layout` file (`imageLayoutVersion` must be `1.0.0`).
#[napi]
pub fn check_oci_layout(bytes: Uint8Array) -> Result<()> {
    core(layout::check_oci_layout(&bytes))
}

/// A blob's path inside the layout (`blobs/<alg>/<hex>`). Only a parsed digest becomes a
/// path.
#[napi]
pub fn blob_path(digest: String) -> Result<String> {
    Ok(layout::blob_path(&crate::convert::digest(&digest)?))
}

/// How many manifests an `index.json` lists (a layout without `hoist.json` that lists
/// some was written by another tool; hoist does not import it).
#[napi]
pub fn count_index_entries(bytes: Uint8Array) -> Result<u32> {
    core(layout::read_index_pairs(&bytes)).map(|p| u32::try_from(p.len()).unwrap_or(u32::MAX))
}
