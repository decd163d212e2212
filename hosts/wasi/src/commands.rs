//! The commands. Every rule (which images a filter keeps, how a name resolves, which
//! tag moves, what `inspect` shows) is the core's; this module reads the store, calls
//! the core and prints what the native CLI prints.

use hoist_core::config::{ImageConfig, MAX_CONFIG_SIZE};
use hoist_core::display::{image_ids, images_table, ImagesColumns, Table};
use hoist_core::filter::Filters;
use hoist_core::manifest::Manifest;
use hoist_core::reference::describe;
use hoist_core::store::{inspect, Change};
use serde::Serialize;
use serde_json::{json, Value};

use crate::cli::{parse, Format, Global, Spec};
use crate::error::{Error, Result};
use crate::store::Store;

/// Largest manifest read back from the store (the core's 4 MiB manifest limit).
const MAX_MANIFEST_SIZE: u64 = 4 << 20;

/// Wall-clock seconds since the Unix epoch (`wasi:clocks/wall-clock` under WASI).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string(value).map_err(|e| Error::new("json", e.to_string()))?;
    println!("{text}");
    Ok(())
}

fn print_table(table: &Table) {
    for line in table.render() {
        println!("{line}");
    }
}

/// Prints all failures but the last, and returns the last (non-zero exit).
fn finish_with(mut failures: Vec<Error>) -> Result<()> {
    let Some(last) = failures.pop() else {
        return Ok(());
    };
    for e in failures {
        eprintln!("{e}");
    }
    Err(last)
}

fn open(global: &Global) -> Result<Store> {
    Store::open(&global.store)
}

/// `images [IMAGE] [--filter K=V]... [--digests] [--no-trunc] [-q] [-n]`
pub fn images(global: &Global, args: &[String]) -> Result<()> {
    let p = parse(
        args,
        &[
            Spec("filter", Some('f'), true),
            Spec("digests", None, false),
            Spec("no-trunc", None, false),
            Spec("quiet", Some('q'), false),
            Spec("noheading", Some('n'), false),
            Spec("all", Some('a'), false),
        ],
    )?;
    let store = open(global)?;
    let index = store.read_index()?;
    let now = now_unix();
    let mut clauses: Vec<String> = p.values("filter").to_vec();
    if let Some(image) = p.positional.first() {
        clauses.push(format!("reference={image}"));
    }
    let clauses: Vec<&str> = clauses.iter().map(String::as_str).collect();
    let filters = Filters::parse(&clauses, &index, now).map_err(Error::core)?;
    let images = index.list(&filters);
    let no_trunc = p.flag("no-trunc");
    if p.flag("quiet") {
        for id in image_ids(&images, no_trunc) {
            println!("{id}");
        }
        return Ok(());
    }
    if global.format == Format::Json {
        return print_json(&images);
    }
    let columns = ImagesColumns {
        digests: p.flag("digests"),
        no_trunc,
        no_heading: p.flag("noheading"),
    };
    let table = images_table(&images, columns, now);
    print_table(&table);
    Ok(())
}

/// One image's `inspect` document, from its stored (and re-verified) manifest and config.
fn inspect_one(store: &Store, input: &str) -> Result<Value> {
    let index = store.read_index()?;
    let record = index.resolve(input).map_err(Error::core)?.clone();
    let descriptor = inspect::manifest_of(&record, store.manifest_descriptor(&record.id)?)
        .map_err(Error::core)?;
    let bytes = store.read_blob(&descriptor.digest, MAX_MANIFEST_SIZE)?;
    let manifest =
        Manifest::parse(&bytes, None, Some(&descriptor.media_type)).map_err(Error::core)?;
    let config_digest = inspect::config_digest(&record, &manifest).map_err(Error::core)?;
    let limit = u64::try_from(MAX_CONFIG_SIZE).unwrap_or(u64::MAX);
    let config =
        ImageConfig::parse(&store.read_blob(&config_digest, limit)?).map_err(Error::core)?;
    inspect::document(&record, &descriptor, &manifest, &config_digest, &config)
        .map_err(|e| Error::new("json", e.to_string()))
}

/// `inspect IMAGE...`: a JSON array, one document per image found.
pub fn inspect(global: &Global, args: &[String]) -> Result<()> {
    let p = parse(args, &[])?;
    if p.positional.is_empty() {
        return Err(Error::new("usage", "inspect needs at least one image"));
    }
    let store = open(global)?;
    let mut docs = Vec::new();
    let mut failures = Vec::new();
    for input in &p.positional {
        match inspect_one(&store, input) {
            Ok(d) => docs.push(d),
            Err(e) => failures.push(e),
        }
    }
    let text = match global.format {
        Format::Json => serde_json::to_string(&docs),
        Format::Human => serde_json::to_string_pretty(&docs),
    }
    .map_err(|e| Error::new("json", e.to_string()))?;
    println!("{text}");
    finish_with(failures)
}

/// `tag IMAGE NAME...`
pub fn tag(global: &Global, args: &[String]) -> Result<()> {
    let p = parse(args, &[])?;
    let [image, names @ ..] = &p.positional[..] else {
        return Err(Error::new("usage", "tag needs an image and a name"));
    };
    if names.is_empty() {
        return Err(Error::new("usage", "tag needs an image and a name"));
    }
    let store = open(global)?;
    let changes = store.update(|index| {
        let mut all = Vec::new();
        for name in names {
            all.extend(index.tag(image, name)?);
        }
        Ok(all)
    })?;
    if global.format == Format::Json {
        print_json(&changes)?;
    }
    Ok(())
}

/// `untag IMAGE [NAME...]` (no names: every name).
pub fn untag(global: &Global, args: &[String]) -> Result<()> {
    let p = parse(args, &[])?;
    let [image, names @ ..] = &p.positional[..] else {
        return Err(Error::new("usage", "untag needs an image"));
    };
    let store = open(global)?;
    let changes = store.update(|index| {
        if names.is_empty() {
            return index.untag(image, None);
        }
        let mut all = Vec::new();
        for name in names {
            all.extend(index.untag(image, Some(name))?);
        }
        Ok(all)
    })?;
    if global.format == Format::Json {
        print_json(&changes)?;
    }
    Ok(())
}

/// `rmi [-f] IMAGE...`: podman's `Untagged:` / `Deleted:` lines, or one JSON object.
pub fn rmi(global: &Global, args: &[String]) -> Result<()> {
    let p = parse(args, &[Spec("force", Some('f'), false)])?;
    if p.positional.is_empty() {
        return Err(Error::new("usage", "rmi needs at least one image"));
    }
    let store = open(global)?;
    let human = global.format == Format::Human;
    let (mut untagged, mut deleted) = (Vec::new(), Vec::new());
    let mut failures = Vec::new();
    for image in &p.positional {
        match store.update(|index| index.remove(image, p.flag("force"))) {
            Ok(changes) => {
                for c in changes {
                    match c {
                        Change::NameRemoved { name, .. } => {
                            if human {
                                println!("Untagged: {name}");
                            }
                            untagged.push(name);
                        }
                        Change::ImageRemoved { id } => {
                            if human {
                                println!("Deleted: {}", id.encoded());
                            }
                            deleted.push(id.to_string());
                        }
                        _ => {}
                    }
                }
            }
            Err(e) => failures.push(e),
        }
    }
    if !human {
        print_json(&json!({ "untagged": untagged, "deleted": deleted }))?;
    }
    finish_with(failures)
}

/// `ref REF...`: one JSON object per input, as the native `hoist ref`.
pub fn reference(_global: &Global, args: &[String]) -> Result<()> {
    let p = parse(args, &[])?;
    let mut bad = 0usize;
    for input in &p.positional {
        let v = describe(input);
        if v.get("error").is_some() {
            bad += 1;
        }
        println!("{v}");
    }
    if bad > 0 {
        return Err(Error::new(
            "invalid-reference-format",
            format!("{bad} of the inputs are not valid references"),
        ));
    }
    Ok(())
}
