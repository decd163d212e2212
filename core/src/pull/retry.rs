//! Retry decisions: which failures are worth another attempt, and how long to wait.
//!
//! Retried: 5xx answers (`500`, `502`, `503`, `504`), `429 Too Many Requests`, `408`, and
//! transport failures that say nothing about the content (reset, refused, timeout).
//! Never retried: other 4xx answers, digest or size mismatches, documents that fail to
//! parse — repeating those cannot change the answer, and retrying a digest mismatch could
//! hide an attack.
//!
//! Backoff is exponential from [`RetryPolicy::base_delay_ms`], capped at
//! [`RetryPolicy::max_delay_ms`]. `Retry-After` (RFC 9110 §10.2.3) wins when present and
//! no larger than [`RetryPolicy::max_retry_after_ms`]; a longer one fails the pull rather
//! than parking it for hours. The schedule is deterministic: the core has no randomness,
//! and hosts that want jitter can add it to `Wait { until }`.

/// How often and how patiently to retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included. `1` disables retries.
    pub max_attempts: u32,
    /// Delay before the second attempt; doubles for each later one.
    pub base_delay_ms: u64,
    /// Upper bound on the computed backoff.
    pub max_delay_ms: u64,
    /// Upper bound on an honoured `Retry-After`.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    /// Five attempts, 250 ms doubling to at most 8 s, `Retry-After` up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay_ms: 250,
            max_delay_ms: 8_000,
            max_retry_after_ms: 60_000,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again at this host-monotonic time (ms).
    RetryAt(u64),
    /// Give up: the failure is final or attempts are exhausted.
    GiveUp,
}

impl RetryPolicy {
    /// True for the HTTP statuses worth retrying.
    pub fn is_retryable_status(status: u16) -> bool {
        matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
    }

    /// The backoff before attempt `attempt + 1`, where `attempt` counts attempts made (≥ 1).
    pub fn backoff_ms(&self, attempt: u32) -> u64 {
        let shift = attempt.saturating_sub(1).min(32);
        self.base_delay_ms
            .saturating_mul(1u64 << shift)
            .min(self.max_delay_ms)
    }

    /// Decides the next step after `attempts` failed attempts at time `now`, given the
    /// server's `Retry-After` (already parsed to milliseconds), if any.
    pub fn decide(&self, attempts: u32, now: u64, retry_after_ms: Option<u64>) -> RetryDecision {
        if attempts >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let delay = match retry_after_ms {
            Some(ms) if ms > self.max_retry_after_ms => return RetryDecision::GiveUp,
            Some(ms) => ms,
            None => self.backoff_ms(attempts),
        };
        RetryDecision::RetryAt(now.saturating_add(delay))
    }
}

/// Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an IMF-fixdate that is
/// turned into a delay using the response's own `Date` header (so no wall clock is
/// needed). Returns milliseconds; `None` when absent or unparseable.
pub fn parse_retry_after(value: &str, date_header: Option<&str>) -> Option<u64> {
    let v = value.trim();
    if !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse::<u64>().ok().map(|s| s.saturating_mul(1000));
    }
    let at = parse_imf_fixdate(v)?;
    let now = parse_imf_fixdate(date_header?.trim())?;
    Some(at.saturating_sub(now).saturating_mul(1000))
}

/// Parses `Sun, 06 Nov 1994 08:49:37 GMT` to unix seconds.
fn parse_imf_fixdate(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 29 || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let day = num(5..7)?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| Some(*m) == s.get(8..11))? as u64 + 1;
    let year = num(12..16)?;
    let (hh, mm, ss) = (num(17..19)?, num(20..22)?, num(23..25)?);
    if b[16] != b' ' || b[19] != b':' || b[22] != b':' || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    if !(1..=31).contains(&day) || year < 1970 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ms(1), 250);
        assert_eq!(p.backoff_ms(2), 500);
        assert_eq!(p.backoff_ms(10), 8_000);
        assert_eq!(p.backoff_ms(u32::MAX), 8_000);
        assert_eq!(p.decide(1, 1000, None), RetryDecision::RetryAt(1250));
        assert_eq!(p.decide(1, 1000, Some(3000)), RetryDecision::RetryAt(4000));
        assert_eq!(p.decide(1, 1000, Some(3_600_000)), RetryDecision::GiveUp);
        assert_eq!(p.decide(5, 1000, None), RetryDecision::GiveUp);
        assert!(RetryPolicy::is_retryable_status(503));
        assert!(!RetryPolicy::is_retryable_status(404));
    }

    #[test]
    fn retry_after() {
        assert_eq!(parse_retry_after("120", None), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", None), Some(0));
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(parse_imf_fixdate(date), Some(784_111_777));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", Some(date)),
            Some(30_000)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", None),
            None
        );
        assert_eq!(parse_retry_after("soon", None), None);
        assert_eq!(parse_retry_after("99999999999999999999", None), None);
    }
}
