//! `hoist tag`, `untag`, `rmi` and `prune`: name and image removal.
//!
//! Every rule (normalization, which name moves, when removal needs `--force`, what
//! "dangling" means) is the core's: each command runs `ImageIndex::tag` / `untag` /
//! `remove` / `remove_all` inside `FsStore::update`, which writes nothing when the core
//! refuses. This module turns the core's [`Change`]s into podman's output lines.

use clap::Args;
use hoist_core::filter::Filters;
use hoist_core::store::{Change, ImageIndex};
use serde_json::json;

use super::common::{self, search_registries};
use super::settings::Settings;
use super::{CliError, Format};
use crate::store::FsStore;

/// `hoist tag IMAGE NAME...`
#[derive(Debug, Args)]
pub struct TagArgs {
    /// The image (ID, ID prefix, name, short name or `name@digest`).
    pub image: String,
    /// New names (`repo[:tag]`, normalized like docker: `app` is
    /// `docker.io/library/app:latest`).
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// `hoist untag IMAGE [NAME...]`
#[derive(Debug, Args)]
pub struct UntagArgs {
    /// The image.
    pub image: String,
    /// Names to remove (a tag or a repo digest); none removes every tag.
    pub names: Vec<String>,
}

/// `hoist rmi [-f] IMAGE...`
#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Images to remove.
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Remove an image named by ID or digest even when it has several names.
    #[arg(short, long)]
    pub force: bool,
}

/// `hoist prune [-a] [--filter K=V]...`
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Remove every image, not only dangling ones (podman `image prune -a`: every image
    /// no container uses; hoist has no containers).
    #[arg(short, long)]
    pub all: bool,
    /// Only images that also pass this filter (the `images --filter` language).
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// Accepted for podman compatibility: hoist never asks for confirmation.
    #[arg(short, long)]
    pub force: bool,
}

/// Applies `op` to the index with the search registries of registries.conf set, so short
/// names resolve as in every other command.
fn update<F>(settings: &Settings, store: &FsStore, op: F) -> Result<Vec<Change>, CliError>
where
    F: FnOnce(&mut ImageIndex) -> Result<Vec<Change>, hoist_core::store::StoreError>,
{
    let registries = search_registries(settings);
    Ok(store.update(|index| {
        index.set_search_registries(&registries);
        op(index)
    })?)
}

/// Runs `hoist tag`: every name or none (one atomic update). Prints nothing, as podman.
pub fn run_tag(settings: &Settings, args: TagArgs) -> Result<(), CliError> {
    let store = common::open_store(settings)?;
    let changes = update(settings, &store, |index| {
        let mut all = Vec::new();
        for name in &args.names {
            all.extend(index.tag(&args.image, name)?);
        }
        Ok(all)
    })?;
    if settings.format == Format::Json {
        common::print_json(&changes)?;
    }
    Ok(())
}

/// Runs `hoist untag`: the names given, or every tag (one atomic update). Prints nothing,
/// as podman.
pub fn run_untag(settings: &Settings, args: UntagArgs) -> Result<(), CliError> {
    let store = common::open_store(settings)?;
    let changes = update(settings, &store, |index| {
        if args.names.is_empty() {
            return index.untag(&args.image, None);
        }
        let mut all = Vec::new();
        for name in &args.names {
            all.extend(index.untag(&args.image, Some(name))?);
        }
        Ok(all)
    })?;
    if settings.format == Format::Json {
        common::print_json(&changes)?;
    }
    Ok(())
}

/// What removals did, in podman's terms.
#[derive(Default)]
struct Removed {
    untagged: Vec<String>,
    deleted: Vec<String>,
}

impl Removed {
    fn add(&mut self, changes: &[Change], human: bool) {
        for c in changes {
            match c {
                Change::NameRemoved { name, .. } => {
                    if human {
                        println!("Untagged: {name}");
                    }
                    self.untagged.push(name.clone());
                }
                Change::ImageRemoved { id } => {
                    if human {
                        println!("Deleted: {}", id.encoded());
                    }
                    self.deleted.push(id.to_string());
                }
                _ => {}
            }
        }
    }
}

/// Runs `hoist rmi`: each image in turn, each in its own update, so one failure does not
/// stop the others (podman); any failure makes the exit status non-zero.
pub fn run_rmi(settings: &Settings, args: RmiArgs) -> Result<(), CliError> {
    let store = common::open_store(settings)?;
    let human = settings.format == Format::Human;
    let mut removed = Removed::default();
    let mut failures = Vec::new();
    for image in &args.images {
        match update(settings, &store, |index| index.remove(image, args.force)) {
            Ok(changes) => removed.add(&changes, human),
            Err(e) => failures.push(e),
        }
    }
    if !human {
        common::print_json(&json!({
            "untagged": removed.untagged,
            "deleted": removed.deleted,
        }))?;
    }
    common::finish_with(failures)
}

/// Runs `hoist prune`: removes dangling images (every image with `--all`) that pass the
/// filters, in one update, then garbage-collects their blobs. Prints the removed IDs.
pub fn run_prune(settings: &Settings, args: PruneArgs) -> Result<(), CliError> {
    let store = common::open_store(settings)?;
    let now = common::now_unix();
    let mut clauses: Vec<&str> = args.filters.iter().map(String::as_str).collect();
    if !args.all {
        clauses.push("dangling=true");
    }
    let registries = search_registries(settings);
    let mut filter_error = None;
    let changes = store.update(|index| {
        index.set_search_registries(&registries);
        let filters = match Filters::parse(&clauses, index, now) {
            Ok(f) => f,
            Err(e) => {
                filter_error = Some(CliError::core(e));
                return Ok(Vec::new());
            }
        };
        let ids: Vec<String> = index
            .list(&filters)
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        let mut all = Vec::new();
        for id in ids {
            all.extend(index.remove_all(&id)?);
        }
        Ok(all)
    })?;
    if let Some(e) = filter_error {
        return Err(e);
    }
    let human = settings.format == Format::Human;
    let mut removed = Removed::default();
    for c in &changes {
        if let Change::ImageRemoved { id } = c {
            if human {
                println!("{}", id.encoded());
            }
            removed.deleted.push(id.to_string());
        }
    }
    let gc = store.gc()?;
    if !human {
        common::print_json(&json!({
            "deleted": removed.deleted,
            "removed_blobs": gc.removed_blobs.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
            "freed_bytes": gc.freed_bytes,
        }))?;
    }
    Ok(())
}
