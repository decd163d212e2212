//! Points in time for the `until` filter, read the way docker and podman read them.
//!
//! podman's `until` goes through `timetype.GetTimestamp` and `ParseTimestamps`
//! (containers/common `pkg/timetype`, a copy of moby `api/types/time/timestamp.go`). A value
//! is tried, in order, as:
//!
//! 1. a Go duration (`time.ParseDuration`: `24h`, `1h30m`, `1.5h`, `-10m`, `300ms`), taken
//!    back from `now`; the result keeps whole seconds only, as moby's `Unix()` does. The
//!    value `0` is not a duration here: it is the unix time 0.
//! 2. an RFC 3339 date or date-time, possibly partial: `2006-01-02`, `2006-01-02Z07:00`,
//!    `2006-01-02T15`, `2006-01-02T15:04`, `2006-01-02T15:04:05`, each with an optional
//!    `Z` or `±hh:mm` zone and an optional fraction of a second. moby reads a value without
//!    a zone in the daemon's local zone; the core has no local zone, so such a value is
//!    read as UTC (hosts that want local time pass an explicit offset).
//! 3. unix seconds with an optional fraction (`1136073600`, `1136073600.000000001`).
//!
//! A value that contains `-` but is not a valid date is an error at step 2, as in moby.
//! Everything here is linear in the length of the value.

use std::fmt;

use super::FilterError;
use crate::digest::excerpt;

/// A point in time: unix seconds and nanoseconds within the second.
///
/// Ordered chronologically, so `created < until` is a plain comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since the unix epoch (negative before 1970).
    pub secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    /// A whole second.
    pub fn from_secs(secs: i64) -> Self {
        Timestamp { secs, nanos: 0 }
    }
}

impl fmt::Display for Timestamp {
    /// moby's wire form, `%d.%09d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

/// Why a value is not a time. Mapped to `invalid-filter-time` by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BadTime;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// The longest `until` value read. The longest meaningful one (an RFC 3339 time with nine
/// fraction digits and an offset, or a duration naming every unit) is under 64 bytes; only
/// padding such as `0s0s0s…` is longer, and Go would read even that, but at ~90
/// instructions per segment a megabyte of it would cost milliseconds for nothing.
pub const MAX_TIME_LEN: usize = 1024;

/// Reads an `until` value relative to `now_unix` (moby `GetTimestamp` + `ParseTimestamps`);
/// anything else, or anything longer than [`MAX_TIME_LEN`], is `invalid-filter-time`.
pub fn parse_until(value: &str, now_unix: i64) -> Result<Timestamp, FilterError> {
    let parsed = if value.len() > MAX_TIME_LEN {
        Err(BadTime)
    } else {
        parse_until_inner(value, now_unix)
    };
    parsed.map_err(|BadTime| FilterError::InvalidTime {
        key: "until".to_owned(),
        value: excerpt(value),
    })
}

fn parse_until_inner(value: &str, now_unix: i64) -> Result<Timestamp, BadTime> {
    if value != "0" {
        if let Ok(d) = parse_go_duration(value) {
            let at = i128::from(now_unix) * NANOS_PER_SEC - d;
            // moby keeps `reference.Add(-d).Unix()`: whole seconds, rounded down.
            let secs = at.div_euclid(NANOS_PER_SEC);
            return i64::try_from(secs)
                .map(Timestamp::from_secs)
                .map_err(|_| BadTime);
        }
    }
    match parse_rfc3339ish(value) {
        Ok(t) => Ok(t),
        Err(BadTime) if value.contains('-') => Err(BadTime),
        Err(BadTime) => parse_unix(value),
    }
}

/// Go's `time.ParseDuration`, in nanoseconds: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`.
pub(crate) fn parse_go_duration(s: &str) -> Result<i128, BadTime> {
    const MAX: u64 = 1 << 63;
    let b = s.as_bytes();
    let mut i = 0;
    let mut neg = false;
    if let Some(&c) = b.first() {
        if c == b'-' || c == b'+' {
            neg = c == b'-';
            i = 1;
        }
    }
    if &b[i..] == b"0" {
        return Ok(0);
    }
    if i == b.len() {
        return Err(BadTime);
    }
    let mut total: u64 = 0;
    while i < b.len() {
        let c = b[i];
        if !(c == b'.' || c.is_ascii_digit()) {
            return Err(BadTime);
        }
        // Integer part.
        let start = i;
        let mut v: u64 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            if v > MAX / 10 {
                return Err(BadTime);
            }
            v = v * 10 + u64::from(b[i] - b'0');
            if v > MAX {
                return Err(BadTime);
            }
            i += 1;
        }
        let pre = i != start;
        // Fraction.
        let mut f: u64 = 0;
        let mut scale = 1.0f64;
        let mut post = false;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let fstart = i;
            let mut overflow = false;
            while i < b.len() && b[i].is_ascii_digit() {
                if !overflow {
                    if f > (MAX - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(b[i] - b'0');
                        if y > MAX {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            post = i != fstart;
        }
        if !pre && !post {
            return Err(BadTime);
        }
        // Unit.
        let ustart = i;
        while i < b.len() && !(b[i] == b'.' || b[i].is_ascii_digit()) {
            i += 1;
        }
        let unit: u64 = match &b[ustart..i] {
            b"ns" => 1,
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60 * 1_000_000_000,
            b"h" => 3_600 * 1_000_000_000,
            _ => return Err(BadTime),
        };
        v = match v.checked_mul(unit) {
            Some(x) if x <= MAX => x,
            _ => return Err(BadTime),
        };
        if f > 0 {
            // Go uses float64 here too, to stay nanosecond-accurate for fractions of hours.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let frac = (f as f64 * (unit as f64 / scale)) as u64;
            v = v.saturating_add(frac);
            if v > MAX {
                return Err(BadTime);
            }
        }
        total = total.saturating_add(v);
        if total > MAX {
            return Err(BadTime);
        }
    }
    if neg {
        return Ok(-i128::from(total));
    }
    if total > MAX - 1 {
        return Err(BadTime);
    }
    Ok(i128::from(total))
}

/// One element of a Go time layout, limited to the layouts moby uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    /// `.999999999`: an optional fraction.
    Frac,
    /// `Z07:00`: `Z` or `±hh:mm`.
    Zone,
    Lit(u8),
}

use Tok::{Day, Frac, Hour, Lit, Minute, Month, Second, Year, Zone};

const DATE: [Tok; 5] = [Year, Lit(b'-'), Month, Lit(b'-'), Day];

/// moby's choice of layout, then a parse with it.
fn parse_rfc3339ish(value: &str) -> Result<Timestamp, BadTime> {
    let in_location =
        !value.contains(['z', 'Z', '+']) && value.bytes().filter(|&c| c == b'-').count() != 3;
    let mut layout: Vec<Tok> = DATE.to_vec();
    if value.contains('.') {
        layout.extend([Lit(b'T'), Hour, Lit(b':'), Minute, Lit(b':'), Second, Frac]);
    } else if value.contains('T') {
        let mut colons = value.bytes().filter(|&c| c == b':').count();
        if !in_location && !value.contains(['z', 'Z']) && colons > 0 {
            colons -= 1;
        }
        layout.extend([Lit(b'T'), Hour]);
        match colons {
            0 => {}
            1 => layout.extend([Lit(b':'), Minute]),
            _ => layout.extend([Lit(b':'), Minute, Lit(b':'), Second]),
        }
    }
    if !in_location {
        layout.push(Zone);
    }
    parse_layout(value.as_bytes(), &layout)
}

/// `getnum`: one or two digits when `fixed` is false, exactly two when true.
fn getnum(v: &[u8], fixed: bool) -> Result<(u32, usize), BadTime> {
    let d0 = match v.first() {
        Some(c) if c.is_ascii_digit() => u32::from(c - b'0'),
        _ => return Err(BadTime),
    };
    match v.get(1) {
        Some(c) if c.is_ascii_digit() => Ok((d0 * 10 + u32::from(c - b'0'), 2)),
        _ if fixed => Err(BadTime),
        _ => Ok((d0, 1)),
    }
}

/// Reads a fraction `[.,]digits` (at least one digit) into nanoseconds, keeping nine digits.
fn fraction(v: &[u8]) -> Option<(u32, usize)> {
    if v.len() < 2 || !(v[0] == b'.' || v[0] == b',') || !v[1].is_ascii_digit() {
        return None;
    }
    let mut n = 1;
    let mut nanos: u32 = 0;
    let mut digits = 0;
    while n < v.len() && v[n].is_ascii_digit() {
        if digits < 9 {
            nanos = nanos * 10 + u32::from(v[n] - b'0');
            digits += 1;
        }
        n += 1;
    }
    for _ in digits..9 {
        nanos *= 10;
    }
    Some((nanos, n))
}

fn parse_layout(v: &[u8], layout: &[Tok]) -> Result<Timestamp, BadTime> {
    let (mut year, mut month, mut day) = (0i64, 0u32, 0u32);
    let (mut hour, mut minute, mut second, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    let mut offset: i64 = 0;
    let mut i = 0;
    for (k, tok) in layout.iter().enumerate() {
        let rest = &v[i..];
        match *tok {
            Lit(c) => {
                if rest.first() != Some(&c) {
                    return Err(BadTime);
                }
                i += 1;
            }
            Year => {
                if rest.len() < 4 || !rest[..4].iter().all(u8::is_ascii_digit) {
                    return Err(BadTime);
                }
                year = rest[..4]
                    .iter()
                    .fold(0i64, |a, c| a * 10 + i64::from(c - b'0'));
                i += 4;
            }
            Month => {
                let (m, n) = getnum(rest, true)?;
                if !(1..=12).contains(&m) {
                    return Err(BadTime);
                }
                month = m;
                i += n;
            }
            Day => {
                let (d, n) = getnum(rest, true)?;
                day = d;
                i += n;
            }
            Hour => {
                let (h, n) = getnum(rest, false)?;
                if h >= 24 {
                    return Err(BadTime);
                }
                hour = h;
                i += n;
            }
            Minute => {
                let (m, n) = getnum(rest, true)?;
                if m >= 60 {
                    return Err(BadTime);
                }
                minute = m;
                i += n;
            }
            Second => {
                let (s, n) = getnum(rest, true)?;
                if s >= 60 {
                    return Err(BadTime);
                }
                second = s;
                i += n;
                // Go reads a fraction after the seconds even when the layout has none.
                if layout.get(k + 1) != Some(&Frac) {
                    if let Some((ns, n)) = fraction(&v[i..]) {
                        nanos = ns;
                        i += n;
                    }
                }
            }
            Frac => {
                if let Some((ns, n)) = fraction(rest) {
                    nanos = ns;
                    i += n;
                }
            }
            Zone => {
                if rest.first() == Some(&b'Z') {
                    i += 1;
                } else {
                    if rest.len() < 6 || rest[3] != b':' {
                        return Err(BadTime);
                    }
                    let (hh, _) = getnum(&rest[1..3], true)?;
                    let (mm, _) = getnum(&rest[4..6], true)?;
                    if hh > 24 || mm > 60 {
                        return Err(BadTime);
                    }
                    let off = i64::from(hh * 60 + mm) * 60;
                    offset = match rest[0] {
                        b'+' => off,
                        b'-' => -off,
                        _ => return Err(BadTime),
                    };
                    i += 6;
                }
            }
        }
    }
    if i != v.len() {
        return Err(BadTime);
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(BadTime);
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second)
        - offset;
    Ok(Timestamp { secs, nanos })
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// moby `parseTimestamp`: `seconds[.fraction]`, with Go `ParseInt` on both halves.
fn parse_unix(value: &str) -> Result<Timestamp, BadTime> {
    let (s, frac) = match value.split_once('.') {
        Some((s, f)) => (s, Some(f)),
        None => (value, None),
    };
    let secs = go_parse_int(s)?;
    let Some(n) = frac else {
        return Ok(Timestamp::from_secs(secs));
    };
    let raw = go_parse_int(n)?;
    let exp = 9 - i32::try_from(n.len()).unwrap_or(i32::MAX - 9);
    // moby scales with float64 and truncates; a fraction of any length stays below 1e9.
    #[allow(clippy::cast_possible_truncation)]
    let nsec = (raw as f64 * 10f64.powi(exp)) as i64;
    // time.Unix normalizes nanoseconds outside [0, 1e9).
    let total = i128::from(secs) * NANOS_PER_SEC + i128::from(nsec);
    let secs = i64::try_from(total.div_euclid(NANOS_PER_SEC)).map_err(|_| BadTime)?;
    let nanos = u32::try_from(total.rem_euclid(NANOS_PER_SEC)).map_err(|_| BadTime)?;
    Ok(Timestamp { secs, nanos })
}

/// Go `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits, no overflow.
fn go_parse_int(s: &str) -> Result<i64, BadTime> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(BadTime);
    }
    let mut v: i128 = 0;
    for c in digits.bytes() {
        v = v * 10 + i128::from(c - b'0');
        if v > i128::from(i64::MAX) + 1 {
            return Err(BadTime);
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).map_err(|_| BadTime)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// moby api/types/time/timestamp_test.go TestGetTimestamp, with `now` in UTC.
    #[test]
    fn get_timestamp_table() {
        let now = 1_700_000_000;
        let cases: &[(&str, Option<&str>)] = &[
            (
                "2006-01-02T15:04:05.999999999+07:00",
                Some("1136189045.999999999"),
            ),
            (
                "2006-01-02T15:04:05.999999999Z",
                Some("1136214245.999999999"),
            ),
            (
                "2006-01-02T15:04:05.999999999",
                Some("1136214245.999999999"),
            ),
            ("2006-01-02T15:04:05Z", Some("1136214245.000000000")),
            ("2006-01-02T15:04:05", Some("1136214245.000000000")),
            ("2006-01-02T15:04:0Z", None),
            ("2006-01-02T15:04:0", None),
            ("2006-01-02T15:04Z", Some("1136214240.000000000")),
            ("2006-01-02T15:04+00:00", Some("1136214240.000000000")),
            ("2006-01-02T15:04-00:00", Some("1136214240.000000000")),
            ("2006-01-02T15:04", Some("1136214240.000000000")),
            ("2006-01-02T15:0Z", None),
            ("2006-01-02T15:0", None),
            ("2006-01-02T15Z", Some("1136214000.000000000")),
            ("2006-01-02T15+00:00", Some("1136214000.000000000")),
            ("2006-01-02T15-00:00", Some("1136214000.000000000")),
            ("2006-01-02T15", Some("1136214000.000000000")),
            ("2006-01-02T1Z", Some("1136163600.000000000")),
            ("2006-01-02T1", Some("1136163600.000000000")),
            ("2006-01-02TZ", None),
            ("2006-01-02T", None),
            ("2006-01-02+00:00", Some("1136160000.000000000")),
            ("2006-01-02-00:00", Some("1136160000.000000000")),
            ("2006-01-02-00:01", Some("1136160060.000000000")),
            ("2006-01-02Z", Some("1136160000.000000000")),
            ("2006-01-02", Some("1136160000.000000000")),
            ("2015-05-13T20:39:09Z", Some("1431549549.000000000")),
            ("1136073600", Some("1136073600.000000000")),
            ("1136073600.000000001", Some("1136073600.000000001")),
            ("1m", Some("1699999940.000000000")),
            ("1.5h", Some("1699994600.000000000")),
            ("1h30m", Some("1699994600.000000000")),
            ("invalid", None),
            ("", None),
            // Beyond the moby table.
            ("0", Some("0.000000000")),
            ("-1h", Some("1700003600.000000000")),
            ("2023-02-29", None),
            ("2024-02-29", Some("1709164800.000000000")),
            ("1136073600.00000001", Some("1136073600.000000010")),
            ("1136073600.0000000010", Some("1136073600.000000001")),
            ("foo.bar", None),
            ("1136073600.bar", None),
            ("99999999999999999999h", None),
            ("2006-01-02T15:04:05,5Z", Some("1136214245.500000000")),
        ];
        for (input, want) in cases {
            let got = parse_until(input, now).ok().map(|t| t.to_string());
            assert_eq!(got.as_deref(), *want, "{input}");
        }
    }

    /// Go time/time_test.go parseDurationTests (a selection).
    #[test]
    fn go_durations() {
        let ok: &[(&str, i128)] = &[
            ("0", 0),
            ("5s", 5_000_000_000),
            ("30s", 30_000_000_000),
            ("1478s", 1_478_000_000_000),
            ("-5s", -5_000_000_000),
            ("+5s", 5_000_000_000),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5_000_000_000),
            ("5.6s", 5_600_000_000),
            ("5.s", 5_000_000_000),
            (".5s", 500_000_000),
            ("1.0s", 1_000_000_000),
            ("1.00s", 1_000_000_000),
            ("1.004s", 1_004_000_000),
            ("1.0040s", 1_004_000_000),
            ("100.00100s", 100_001_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12\u{b5}s", 12_000),
            ("12\u{3bc}s", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14_000_000_000),
            ("15m", 900_000_000_000),
            ("16h", 57_600_000_000_000),
            ("3h30m", 12_600_000_000_000),
            ("10.5s4m", 250_500_000_000),
            ("-2m3.4s", -123_400_000_000),
            ("1h2m3s4ms5us6ns", 3_723_004_005_006),
            ("39h9m14.425s", 140_954_425_000_000),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 1_200_000_000_000),
            ("9007199254740993ns", 9_007_199_254_740_993),
            ("9223372036854775807ns", 9_223_372_036_854_775_807),
            ("9223372036854775.807us", 9_223_372_036_854_775_807),
            ("-9223372036854775808ns", -9_223_372_036_854_775_808),
            ("0.100000000000000000000h", 360_000_000_000),
            ("0.830103483285477580700h", 2_988_372_539_827),
        ];
        for (s, want) in ok {
            assert_eq!(parse_go_duration(s), Ok(*want), "{s}");
        }
        for bad in [
            "",
            "3",
            "-",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\u{85}\u{85}",
            "\u{ffd}",
            "9223372036854775810ns",
            "9223372036854775808ns",
            "9223372036854775.808us",
            "3000000h",
        ] {
            assert_eq!(parse_go_duration(bad), Err(BadTime), "{bad:?}");
        }
    }

    #[test]
    fn long_inputs() {
        for long in [
            "9".repeat(1 << 20),
            format!("{}h", "1".repeat(1 << 20)),
            "0s".repeat(1 << 19),
        ] {
            assert!(parse_until(&long, 0).is_err());
            // The parsers underneath stay linear even without the cap.
            assert!(parse_until_inner(&long, 0).is_ok() == long.starts_with("0s"));
        }
        let at_cap = "0s".repeat(MAX_TIME_LEN / 2);
        assert_eq!(parse_until(&at_cap, 7), Ok(Timestamp::from_secs(7)));
    }
}
