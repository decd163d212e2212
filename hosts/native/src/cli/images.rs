//! `hoist images` (alias `ls`): the images in the store, newest first, podman style.
//!
//! Which images and in which order are the core's decisions (`Filters::parse`,
//! `ImageIndex::list`); this module only prints them.

use clap::Args;
use hoist_core::display::{image_ids, images_table, ImagesColumns};
use hoist_core::filter::Filters;

use super::common;
use super::settings::Settings;
use super::{CliError, Format};

/// `hoist images [IMAGE] [--filter K=V]... [--digests] [--no-trunc] [-q]`
#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Only images this reference matches (the same as `--filter reference=IMAGE`).
    pub image: Option<String>,
    /// Filter (podman's language: `dangling=`, `label=`, `before=`, `since=`, `until=`,
    /// `reference=`, `id=`, `digest=`); repeatable, and clauses may be comma-separated.
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// Show the manifest digest of each image (a DIGEST column).
    #[arg(long)]
    pub digests: bool,
    /// Show full image IDs (`sha256:…`).
    #[arg(long)]
    pub no_trunc: bool,
    /// Print only image IDs, each once.
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not print the header line.
    #[arg(short, long)]
    pub noheading: bool,
    /// Accepted for podman compatibility: hoist has no intermediate images, so every
    /// image is always listed.
    #[arg(short, long)]
    pub all: bool,
}

/// Runs `hoist images`.
pub fn run(settings: &Settings, args: ImagesArgs) -> Result<(), CliError> {
    let store = common::open_store(settings)?;
    let index = common::read_index(settings, &store)?;
    let now = common::now_unix();
    let mut clauses: Vec<&str> = args.filters.iter().map(String::as_str).collect();
    let reference;
    if let Some(image) = &args.image {
        reference = format!("reference={image}");
        clauses.push(&reference);
    }
    let filters = Filters::parse(&clauses, &index, now).map_err(CliError::core)?;
    let images = index.list(&filters);

    if args.quiet {
        for id in image_ids(&images, args.no_trunc) {
            println!("{id}");
        }
        return Ok(());
    }
    if settings.format == Format::Json {
        return common::print_json(&images);
    }
    let columns = ImagesColumns {
        digests: args.digests,
        no_trunc: args.no_trunc,
        no_heading: args.noheading,
    };
    let table = images_table(&images, columns, now);
    common::print_table(&table);
    Ok(())
}
