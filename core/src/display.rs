//! Presentation rules shared by every host's CLI: sizes, durations and tables printed the
//! way podman prints them (go-units `HumanSize`/`HumanDuration`, Go `tabwriter` as
//! podman's report writer configures it), so `hoist images` reads the same from the
//! native, WASI and Node hosts. Pure functions; printing is the host's job.

use crate::id::short_id;
use crate::store::ImageRecord;

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

/// `docker.io/library/redis:7` → (`docker.io/library/redis`, `7`). Names in the index are
/// canonical, so the tag is what follows the last `:` after the last `/`.
pub fn split_tag(name: &str) -> (&str, &str) {
    match name.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (name, "<none>"),
    }
}

/// The ID as the IMAGE ID column shows it: 12 hex digits, or in full with `--no-trunc`.
pub fn shown_id(record: &ImageRecord, no_trunc: bool) -> String {
    if no_trunc {
        record.id.to_string()
    } else {
        short_id(&record.id).to_owned()
    }
}

/// What `images -q` prints: each listed image's ID once, in list order.
pub fn image_ids(images: &[&ImageRecord], no_trunc: bool) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    images
        .iter()
        .filter(|r| seen.insert(&r.id))
        .map(|r| shown_id(r, no_trunc))
        .collect()
}

/// Columns of the `images` table.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImagesColumns {
    /// Add the DIGEST column (`--digests`).
    pub digests: bool,
    /// Full IDs (`--no-trunc`).
    pub no_trunc: bool,
    /// Leave the header line out (`--noheading`).
    pub no_heading: bool,
}

/// podman's `images` table: one row per name (`<none>` for an untagged image), with
/// REPOSITORY, TAG, [DIGEST,] IMAGE ID, CREATED (relative to `now`) and SIZE.
pub fn images_table(images: &[&ImageRecord], columns: ImagesColumns, now: i64) -> Table {
    let mut header = vec!["REPOSITORY", "TAG"];
    if columns.digests {
        header.push("DIGEST");
    }
    header.extend(["IMAGE ID", "CREATED", "SIZE"]);
    let mut table = Table::new(if columns.no_heading { &[] } else { &header[..] });
    for r in images {
        let names: Vec<(&str, &str)> = if r.names.is_empty() {
            vec![("<none>", "<none>")]
        } else {
            r.names.iter().map(|n| split_tag(n)).collect()
        };
        for (repo, tag) in names {
            let mut row = vec![repo.to_owned(), tag.to_owned()];
            if columns.digests {
                row.push(r.manifest_digest.to_string());
            }
            row.push(shown_id(r, columns.no_trunc));
            row.push(human_ago(r.created, now));
            row.push(human_size(r.size));
            table.row(row);
        }
    }
    table
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

    #[test]
    fn truncation() {
        assert_eq!(truncate("abc", 45), "abc");
        let long = "x".repeat(50);
        assert_eq!(truncate(&long, 45).chars().count(), 45);
        assert!(truncate(&long, 45).ends_with("..."));
        assert_eq!(one_line("a\nb\tc"), "a b c");
    }
}
