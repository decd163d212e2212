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

/// A table printed the way podman's report writer prints one (Go `tabwriter` with
/// minimum width 12 and padding 2): every column but the last is padded to
/// `max(12, widest cell + 2)`.
pub struct Table {
    rows: Vec<Vec<String>>,
}

/// Go `tabwriter` minimum cell width in podman's report writer.
const MIN_WIDTH: usize = 12;
/// Go `tabwriter` padding in podman's report writer.
const PADDING: usize = 2;

impl Table {
    /// A table with a header row (none when `header` is empty).
    pub fn new(header: &[&str]) -> Self {
        let rows = if header.is_empty() {
            Vec::new()
        } else {
            vec![header.iter().map(|h| (*h).to_owned()).collect()]
        };
        Table { rows }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The rendered lines, without trailing spaces.
    pub fn render(&self) -> Vec<String> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0usize; columns];
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        self.rows
            .iter()
            .map(|row| {
                let mut line = String::new();
                for (i, cell) in row.iter().enumerate() {
                    line.push_str(cell);
                    if i + 1 < row.len() {
                        let width = MIN_WIDTH.max(widths[i] + PADDING);
                        let pad = width.saturating_sub(cell.chars().count());
                        line.extend(std::iter::repeat_n(' ', pad));
                    }
                }
                line.trim_end().to_owned()
            })
            .collect()
    }

    /// Prints the table to stdout.
    pub fn print(&self) {
        for line in self.render() {
            println!("{line}");
        }
    }
}

/// Go's `fmt.Sprintf("%.*g", precision, x)` for finite, non-negative `x`: `precision`
/// significant digits, trailing zeros dropped, exponent form (`1e+03`) when the exponent
/// is below -4 or at least `precision`.
fn go_format_g(x: f64, precision: usize) -> String {
    fn trim(s: &str) -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s.to_owned()
        }
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let precision = precision.max(1);
    let sci = format!("{:.*e}", precision - 1, x);
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let p = i32::try_from(precision).unwrap_or(i32::MAX);
    if exp < -4 || exp >= p {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.unsigned_abs())
    } else {
        let decimals = usize::try_from(p - 1 - exp).unwrap_or(0);
        trim(&format!("{x:.decimals$}"))
    }
}

/// A size the way podman prints one (go-units `HumanSizeWithPrecision(size, 3)`): SI
/// units (1 kB = 1000 B), three significant digits: `5.6 MB`, `977 kB`, `0 B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    // Precision loss above 2^53 bytes is irrelevant at three significant digits.
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{} {}", go_format_g(size, 3), UNITS[unit])
}

/// A duration the way podman prints one (go-units `HumanDuration`): `Less than a second`,
/// `About a minute`, `5 hours`, `3 days`, `2 weeks`, `4 months`, `3 years`.
pub fn human_duration(seconds: i64) -> String {
    if seconds < 1 {
        return "Less than a second".to_owned();
    }
    if seconds == 1 {
        return "1 second".to_owned();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = seconds / 60;
    if minutes == 1 {
        return "About a minute".to_owned();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    // Go: int(math.Round(d.Hours())), halves away from zero.
    let hours = (seconds + 1800) / 3600;
    if hours == 1 {
        return "About an hour".to_owned();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", seconds / 3600 / 24 / 365)
}

/// `created` relative to `now` as podman shows it (`3 days ago`); `unknown` when the image
/// has no creation time.
pub fn human_ago(created: Option<i64>, now: i64) -> String {
    match created {
        Some(c) => format!("{} ago", human_duration(now.saturating_sub(c))),
        None => "unknown".to_owned(),
    }
}

/// One line for a table cell: control characters (newlines, tabs) become spaces.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `s` cut to `max` characters, the last three replaced by `...` when cut (podman's
/// `history` truncation of CREATED BY).
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_go_units() {
        let cases = [
            (0, "0 B"),
            (1, "1 B"),
            (999, "999 B"),
            (1000, "1 kB"),
            (1234, "1.23 kB"),
            (5_600_000, "5.6 MB"),
            (5_870_000, "5.87 MB"),
            (12_345_678, "12.3 MB"),
            (123_456_789, "123 MB"),
            // Go's %.3g of 999.95 is "1e+03".
            (999_950, "1e+03 kB"),
            (7_000_000_000, "7 GB"),
        ];
        for (n, want) in cases {
            assert_eq!(human_size(n), want, "{n}");
        }
    }

    #[test]
    fn durations_like_go_units() {
        let cases = [
            (-5, "Less than a second"),
            (0, "Less than a second"),
            (1, "1 second"),
            (59, "59 seconds"),
            (60, "About a minute"),
            (119, "About a minute"),
            (120, "2 minutes"),
            (3599, "59 minutes"),
            (3600, "About an hour"),
            (5399, "About an hour"),
            (5400, "2 hours"),
            (47 * 3600, "47 hours"),
            (48 * 3600, "2 days"),
            (13 * 86400, "13 days"),
            (14 * 86400, "2 weeks"),
            (59 * 86400, "8 weeks"),
            (60 * 86400, "2 months"),
            (729 * 86400, "24 months"),
            (730 * 86400, "2 years"),
        ];
        for (s, want) in cases {
            assert_eq!(human_duration(s), want, "{s}");
        }
        assert_eq!(human_ago(Some(0), 3 * 86400), "3 days ago");
        assert_eq!(human_ago(None, 3), "unknown");
    }

    #[test]
    fn table_alignment() {
        let mut t = Table::new(&["REPOSITORY", "TAG", "IMAGE ID"]);
        t.row(vec![
            "docker.io/library/alpine".into(),
            "latest".into(),
            "c059bfaa849c".into(),
        ]);
        let lines = t.render();
        assert_eq!(lines[0], "REPOSITORY                TAG         IMAGE ID");
        assert_eq!(
            lines[1],
            "docker.io/library/alpine  latest      c059bfaa849c"
        );
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate("abc", 45), "abc");
        let long = "x".repeat(50);
        assert_eq!(truncate(&long, 45).chars().count(), 45);
        assert!(truncate(&long, 45).ends_with("..."));
        assert_eq!(one_line("a\nb\tc"), "a b c");
    }
}
