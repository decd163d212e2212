//! RFC 3339 timestamps as image configs carry them (`created`, `history[].created`).
//!
//! Grammar accepted (RFC 3339 §5.6, restricted the way Go's `time.Time` JSON decoding
//! restricts it, because docker, containerd and podman all decode configs with it):
//!
//! ```text
//! date-time    = full-date "T" full-time
//! full-date    = 4DIGIT "-" 2DIGIT "-" 2DIGIT          ; year 0000-9999, real calendar day
//! full-time    = 2DIGIT ":" 2DIGIT ":" 2DIGIT [ "." 1*DIGIT ] time-offset
//! time-offset  = "Z" / ( "+" / "-" ) 2DIGIT ":" 2DIGIT  ; offset hour < 24, minute < 60
//! ```
//!
//! Deviations from RFC 3339, each matching Go: `T` and `Z` must be upper case, a leap
//! second (`:60`) is rejected, and fractional digits past the ninth are truncated (the
//! value keeps nanoseconds). The verbatim text is kept, so nothing is lost for display.

use std::cmp::Ordering;
use std::fmt;

use serde::{Serialize, Serializer};

use super::ConfigError;
use crate::digest::excerpt;

/// A parsed RFC 3339 timestamp that remembers its exact text.
///
/// Ordering is chronological (then by text, so it stays consistent with equality).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    text: String,
    unix_seconds: i64,
    nanos: u32,
    offset_seconds: i32,
}

/// Seconds from 0001-01-01T00:00:00Z (Go's zero `time.Time`) to the unix epoch.
const GO_ZERO_UNIX: i64 = -62_135_596_800;

impl Timestamp {
    /// Parses an RFC 3339 date-time (see the module docs for the exact grammar).
    pub fn parse(s: &str) -> Result<Self, ConfigError> {
        parse(s).ok_or_else(|| ConfigError::InvalidTimestamp { input: excerpt(s) })
    }

    /// Go's zero `time.Time`, `0001-01-01T00:00:00Z`: what Go tools write for a missing
    /// creation time.
    pub(crate) fn go_zero() -> Self {
        Timestamp {
            text: "0001-01-01T00:00:00Z".to_owned(),
            unix_seconds: GO_ZERO_UNIX,
            nanos: 0,
            offset_seconds: 0,
        }
    }

    /// The text exactly as it appeared in the document.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whole seconds since 1970-01-01T00:00:00Z (negative before it).
    pub fn unix_seconds(&self) -> i64 {
        self.unix_seconds
    }

    /// The sub-second part in nanoseconds (`0..1_000_000_000`).
    pub fn nanos(&self) -> u32 {
        self.nanos
    }

    /// The written UTC offset in seconds (`Z` is 0; east is positive).
    pub fn offset_seconds(&self) -> i32 {
        self.offset_seconds
    }

    /// The form Go's `time.Time.MarshalJSON` writes for this instant (RFC3339Nano: the
    /// written offset kept, `Z` for a zero offset, trailing fractional zeros trimmed).
    /// Used where hoist must reproduce bytes a Go tool produced.
    pub(crate) fn go_rfc3339_nano(&self) -> String {
        let local = self.unix_seconds + i64::from(self.offset_seconds);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut out = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        );
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        if self.offset_seconds == 0 {
            out.push('Z');
        } else {
            let sign = if self.offset_seconds < 0 { '-' } else { '+' };
            let abs = self.offset_seconds.unsigned_abs();
            out.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60));
        }
        out
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.unix_seconds, self.nanos, &self.text).cmp(&(
            other.unix_seconds,
            other.nanos,
            &other.text,
        ))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

fn parse(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    // "2006-01-02T15:04:05" is 19 bytes; then fraction and offset.
    let head = b.get(..19)?;
    if head[4] != b'-'
        || head[7] != b'-'
        || head[10] != b'T'
        || head[13] != b':'
        || head[16] != b':'
    {
        return None;
    }
    let year = digits(&head[0..4])?;
    let month = digits(&head[5..7])?;
    let day = digits(&head[8..10])?;
    let hour = digits(&head[11..13])?;
    let minute = digits(&head[14..16])?;
    let second = digits(&head[17..19])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some((&b'.', after)) = rest.split_first() {
        let n = after.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let mut scale = 100_000_000u32;
        for d in &after[..n.min(9)] {
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
        }
        rest = &after[n..];
    }
    let offset_seconds = match rest {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = digits(&[*h1, *h2])?;
            let om = digits(&[*m1, *m2])?;
            if oh > 23 || om > 59 {
                return None;
            }
            let abs = i32::try_from(oh * 3600 + om * 60).ok()?;
            if *sign == b'-' {
                -abs
            } else {
                abs
            }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(year), month, day);
    let local = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(Timestamp {
        text: s.to_owned(),
        unix_seconds: local - i64::from(offset_seconds),
        nanos,
        offset_seconds,
    })
}

fn is_leap(y: u32) -> bool {
    y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400))
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn table() {
        // (input, Some((unix seconds, nanos, offset seconds)) or None for invalid)
        type Parsed = (i64, u32, i32);
        let cases: &[(&str, Option<Parsed>)] = &[
            ("1970-01-01T00:00:00Z", Some((0, 0, 0))),
            (
                "2015-10-31T22:22:56.015925234Z",
                Some((1_446_330_176, 15_925_234, 0)),
            ),
            (
                "2015-10-31T22:22:56.0159252349999Z",
                Some((1_446_330_176, 15_925_234, 0)),
            ),
            (
                "2015-10-31T23:22:56.5+01:00",
                Some((1_446_330_176, 500_000_000, 3600)),
            ),
            ("2015-10-31T21:52:56-00:30", Some((1_446_330_176, 0, -1800))),
            ("0001-01-01T00:00:00Z", Some((GO_ZERO_UNIX, 0, 0))),
            ("2000-02-29T00:00:00Z", Some((951_782_400, 0, 0))),
            ("9999-12-31T23:59:59Z", Some((253_402_300_799, 0, 0))),
            ("1969-12-31T23:59:59Z", Some((-1, 0, 0))),
            ("1900-02-29T00:00:00Z", None),
            ("2015-10-31t22:22:56Z", None),
            ("2015-10-31T22:22:56z", None),
            ("2015-10-31T22:22:60Z", None),
            ("2015-10-31T24:00:00Z", None),
            ("2015-13-01T00:00:00Z", None),
            ("2015-10-31T22:22:56", None),
            ("2015-10-31T22:22:56.Z", None),
            ("2015-10-31T22:22:56+24:00", None),
            ("2015-10-31T22:22:56+0100", None),
            ("2015-10-31 22:22:56Z", None),
            ("15-10-31T22:22:56Z", None),
            ("", None),
            ("2015-10-31T22:22:56Z ", None),
            ("２015-10-31T22:22:56Z", None),
        ];
        for (input, want) in cases {
            let got = Timestamp::parse(input)
                .ok()
                .map(|t| (t.unix_seconds(), t.nanos(), t.offset_seconds()));
            assert_eq!(got, *want, "{input}");
        }
        let err = Timestamp::parse("nope").expect_err("invalid");
        assert_eq!(err.code(), "invalid-timestamp");
    }

    #[test]
    fn go_format() {
        let cases = [
            (
                "2015-10-31T22:22:56.015925234Z",
                "2015-10-31T22:22:56.015925234Z",
            ),
            ("2015-10-31T22:22:56.500000000Z", "2015-10-31T22:22:56.5Z"),
            ("2015-10-31T22:22:56.000Z", "2015-10-31T22:22:56Z"),
            ("2015-10-31T22:22:56+00:00", "2015-10-31T22:22:56Z"),
            ("2015-10-31T22:22:56-00:00", "2015-10-31T22:22:56Z"),
            ("2015-10-31T23:22:56.1+01:00", "2015-10-31T23:22:56.1+01:00"),
            ("2015-01-01T00:10:00-05:30", "2015-01-01T00:10:00-05:30"),
            ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ];
        for (input, want) in cases {
            let t = Timestamp::parse(input).expect("valid");
            assert_eq!(t.go_rfc3339_nano(), want, "{input}");
        }
        assert_eq!(
            Timestamp::go_zero().go_rfc3339_nano(),
            "0001-01-01T00:00:00Z"
        );
    }

    #[test]
    fn ordering_is_chronological() {
        let a = Timestamp::parse("2015-10-31T23:00:00+02:00").expect("valid");
        let b = Timestamp::parse("2015-10-31T22:00:00Z").expect("valid");
        assert!(a < b);
    }
}
