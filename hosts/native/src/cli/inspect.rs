//! `hoist inspect` and `hoist history`: what the store holds for an image, read from its
//! stored manifest and config blobs (verified against their digests on read) and parsed by
//! the core.

use clap::Args;
use hoist_core::config::{ImageConfig, MAX_CONFIG_SIZE};
use hoist_core::digest::Digest;
use hoist_core::id::short_id;
use hoist_core::manifest::Manifest;
use hoist_core::store::{inspect, ImageRecord};
use serde_json::{json, Value};

use super::common::{self, human_ago, human_size, one_line, truncate, Table};
use super::settings::Settings;
use super::{CliError, Format};
use crate::store::{FsStore, ManifestDescriptor, MAX_MANIFEST_SIZE};

/// `hoist inspect IMAGE...`
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Images (ID, ID prefix, name, short name or `name@digest`).
    #[arg(required = true)]
    pub images: Vec<String>,
}

/// `hoist history IMAGE`
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The image (ID, ID prefix, name, short name or `name@digest`).
    pub image: String,
    /// Do not truncate IDs and CREATED BY.
    #[arg(long)]
    pub no_trunc: bool,
    /// Print only the IDs column.
    #[arg(short, long)]
    pub quiet: bool,
}

/// An image's stored documents.
struct Loaded {
    record: ImageRecord,
    descriptor: ManifestDescriptor,
    manifest: Manifest,
    config_digest: Digest,
    config: ImageConfig,
}

/// Resolves `input` (the core's rules) and reads the image's manifest and config.
fn load(settings: &Settings, store: &FsStore, input: &str) -> Result<Loaded, CliError> {
    let index = common::read_index(settings, store)?;
    let record = index.resolve(input).map_err(CliError::core)?.clone();
    let descriptor = inspect::manifest_of(&record, store.manifest_descriptor(&record.id)?)
        .map_err(CliError::core)?;
    let bytes = store.read_blob(&descriptor.digest, MAX_MANIFEST_SIZE)?;
    let manifest =
        Manifest::parse(&bytes, None, Some(&descriptor.media_type)).map_err(CliError::core)?;
    let config_digest = inspect::config_digest(&record, &manifest).map_err(CliError::core)?;
    let limit = u64::try_from(MAX_CONFIG_SIZE).unwrap_or(u64::MAX);
    let config_bytes = store.read_blob(&config_digest, limit)?;
    let config = ImageConfig::parse(&config_bytes).map_err(CliError::core)?;
    Ok(Loaded {
        record,
        descriptor,
        manifest,
        config_digest,
        config,
    })
}

/// The `inspect` document of one image (its shape is the core's).
fn document(l: &Loaded) -> Result<Value, CliError> {
    inspect::document(
        &l.record,
        &l.descriptor,
        &l.manifest,
        &l.config_digest,
        &l.config,
    )
    .map_err(|e| CliError::new("json", e.to_string()))
}

/// Runs `hoist inspect`: a JSON array with one document per image found (podman prints
/// an array too); images that cannot be found or read are reported after it, and make
/// the exit status non-zero.
pub fn run_inspect(settings: &Settings, args: InspectArgs) -> Result<(), CliError> {
    let store = common::open_store(settings)?;
    let mut docs = Vec::new();
    let mut failures = Vec::new();
    for input in &args.images {
        match load(settings, &store, input).and_then(|l| document(&l)) {
            Ok(doc) => docs.push(doc),
            Err(e) => failures.push(e),
        }
    }
    let text = match settings.format {
        Format::Json => serde_json::to_string(&docs),
        Format::Human => serde_json::to_string_pretty(&docs),
    }
    .map_err(|e| CliError::new("json", e.to_string()))?;
    println!("{text}");
    common::finish_with(failures)
}

/// One history line.
struct Step {
    id: Option<String>,
    created: Option<i64>,
    created_text: Option<String>,
    created_by: String,
    size: u64,
    comment: String,
    empty_layer: bool,
}

/// The config's history, newest first, with the compressed size of the layer each
/// non-empty step made (from the manifest, in order) and the image ID on the newest step
/// (`<missing>` elsewhere, as docker shows pulled images).
fn steps(l: &Loaded) -> Vec<Step> {
    let sizes: Vec<u64> = l
        .manifest
        .layers()
        .iter()
        .map(|x| x.size.unwrap_or(0))
        .collect();
    let mut layer = 0usize;
    let mut out: Vec<Step> = l
        .config
        .history()
        .iter()
        .map(|h| {
            let size = if h.empty_layer {
                0
            } else {
                let s = sizes.get(layer).copied().unwrap_or(0);
                layer += 1;
                s
            };
            Step {
                id: None,
                created: h.created.as_ref().map(|t| t.unix_seconds()),
                created_text: h.created.as_ref().map(|t| t.as_str().to_owned()),
                created_by: h.created_by.clone().unwrap_or_default(),
                size,
                comment: h.comment.clone().unwrap_or_default(),
                empty_layer: h.empty_layer,
            }
        })
        .collect();
    out.reverse();
    if let Some(top) = out.first_mut() {
        top.id = Some(l.record.id.to_string());
    }
    out
}

/// Runs `hoist history`.
pub fn run_history(settings: &Settings, args: HistoryArgs) -> Result<(), CliError> {
    let store = common::open_store(settings)?;
    let loaded = load(settings, &store, &args.image)?;
    let steps = steps(&loaded);
    if settings.format == Format::Json {
        let docs: Vec<Value> = steps
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "created": s.created_text,
                    "created_by": s.created_by,
                    "size": s.size,
                    "comment": s.comment,
                    "empty_layer": s.empty_layer,
                })
            })
            .collect();
        return common::print_json(&docs);
    }
    let id_cell = |s: &Step| match &s.id {
        Some(_) if args.no_trunc => loaded.record.id.to_string(),
        Some(_) => short_id(&loaded.record.id).to_owned(),
        None => "<missing>".to_owned(),
    };
    if args.quiet {
        for s in &steps {
            println!("{}", id_cell(s));
        }
        return Ok(());
    }
    let now = common::now_unix();
    let mut table = Table::new(&["ID", "CREATED", "CREATED BY", "SIZE", "COMMENT"]);
    for s in &steps {
        let created_by = one_line(&s.created_by);
        table.row(vec![
            id_cell(s),
            human_ago(s.created, now),
            if args.no_trunc {
                created_by
            } else {
                truncate(&created_by, 45)
            },
            human_size(s.size),
            one_line(&s.comment),
        ]);
    }
    common::print_table(&table);
    Ok(())
}
