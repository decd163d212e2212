//! `hoist images` (alias `ls`): the images in the store, newest first, podman style.
//!
//! Which images and in which order are the core's decisions (`Filters::parse`,
//! `ImageIndex::list`); this module only prints them.

use std::collections::HashSet;

use clap::Args;
use hoist_core::filter::Filters;
use hoist_core::id::short_id;
use hoist_core::store::ImageRecord;

use super::common::{self, human_ago, human_size, Table};
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

/// The ID as the IMAGE ID column shows it.
fn shown_id(record: &ImageRecord, no_trunc: bool) -> String {
    if no_trunc {
        record.id.to_string()
    } else {
        short_id(&record.id).to_owned()
    }
}

/// `docker.io/library/redis:7` → (`docker.io/library/redis`, `7`). Names in the index are
/// canonical, so the tag is what follows the last `:` after the last `/`.
pub fn split_tag(name: &str) -> (&str, &str) {
    match name.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (name, "<none>"),
    }
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
        let mut seen = HashSet::new();
        for r in &images {
            if seen.insert(&r.id) {
                println!("{}", shown_id(r, args.no_trunc));
            }
        }
        return Ok(());
    }
    if settings.format == Format::Json {
        return common::print_json(&images);
    }

    let mut header = vec!["REPOSITORY", "TAG"];
    if args.digests {
        header.push("DIGEST");
    }
    header.extend(["IMAGE ID", "CREATED", "SIZE"]);
    let mut table = Table::new(if args.noheading { &[] } else { &header[..] });
    for r in &images {
        let names: Vec<(&str, &str)> = if r.names.is_empty() {
            vec![("<none>", "<none>")]
        } else {
            r.names.iter().map(|n| split_tag(n)).collect()
        };
        for (repo, tag) in names {
            let mut row = vec![repo.to_owned(), tag.to_owned()];
            if args.digests {
                row.push(r.manifest_digest.to_string());
            }
            row.push(shown_id(r, args.no_trunc));
            row.push(human_ago(r.created, now));
            row.push(human_size(r.size));
            table.row(row);
        }
    }
    table.print();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_tag;

    #[test]
    fn tags() {
        assert_eq!(
            split_tag("docker.io/library/redis:7"),
            ("docker.io/library/redis", "7")
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/test/app:v1"),
            ("127.0.0.1:5000/test/app", "v1")
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/test/app"),
            ("127.0.0.1:5000/test/app", "<none>")
        );
    }
}
