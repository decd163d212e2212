//! What the store commands share: opening the store, reading the index with the
//! registries.conf search list, the host clock, and podman-style human output (aligned
//! columns, SI sizes, "3 days ago").

use std::time::{SystemTime, UNIX_EPOCH};

use hoist_core::store::ImageIndex;
use serde::Serialize;

use super::settings::Settings;
use super::CliError;
use crate::store::FsStore;

/// The host clock in unix seconds (0 if the clock is before 1970).
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Opens (creating if needed) the store of `settings`.
pub fn open_store(settings: &Settings) -> Result<FsStore, CliError> {
    Ok(FsStore::open(&settings.store)?)
}

/// The search registries of registries.conf (`unqualified-search-registries`), which the
/// core uses to resolve short names.
pub fn search_registries(settings: &Settings) -> Vec<String> {
    settings
        .registries
        .as_ref()
        .map(|c| c.unqualified_search_registries().to_vec())
        .unwrap_or_default()
}

/// The committed index, set up to resolve short names like every other command.
pub fn read_index(settings: &Settings, store: &FsStore) -> Result<ImageIndex, CliError> {
    let mut index = store.read_index()?;
    index.set_search_registries(&search_registries(settings));
    Ok(index)
}

/// Prints `value` as one line of JSON.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string(value).map_err(|e| CliError::new("json", e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Reports every failure of a command that goes on after one: all but the last are printed
/// now (in the format `main` uses), the last is returned for `main` to print, so they come
/// out in order and the exit status is non-zero.
pub fn finish_with(mut failures: Vec<CliError>) -> Result<(), CliError> {
    let Some(last) = failures.pop() else {
        return Ok(());
    };
    for f in failures {
        eprintln!("{}", f.report_line());
    }
    Err(last)
}

pub use hoist_core::display::{human_ago, human_size, one_line, truncate, Table};

/// Prints `table` to stdout.
pub fn print_table(table: &Table) {
    for line in table.render() {
        println!("{line}");
    }
}
