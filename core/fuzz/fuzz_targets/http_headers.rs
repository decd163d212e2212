#![no_main]
//! Response headers the pull machine reads besides `WWW-Authenticate`: `Retry-After`
//! (with `Date`), the rate-limit headers, and the retry policy that consumes them.
//!
//! Input: UTF-8 lines. Line 1 is a `Retry-After` value, line 2 a `Date` value; every line
//! of the form `name: value` is also a header for `parse_rate_limit`.
//!
//! Invariants beyond "no panic":
//! - a delta-seconds `Retry-After` is that many seconds in milliseconds;
//! - an HTTP-date `Retry-After` needs a `Date`, and is zero when not after it;
//! - `decide` never schedules before `now`, and gives up exactly when attempts are spent
//!   or the server asks for longer than the policy allows;
//! - `backoff_ms` is monotonic and capped.
use hoist_core::pull::ratelimit::parse_rate_limit;
use hoist_core::pull::retry::{parse_retry_after, RetryDecision, RetryPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let retry_after = lines.next().unwrap_or_default();
    let date = lines.next();

    let parsed = parse_retry_after(retry_after, date);
    let trimmed = retry_after.trim();
    if !trimmed.is_empty() && trimmed.len() <= 10 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let secs: u64 = trimmed.parse().expect("ten digits fit in u64");
        assert_eq!(parsed, Some(secs * 1000));
    } else if parsed.is_some() {
        assert!(
            date.is_some(),
            "an HTTP-date Retry-After needs a Date header"
        );
        assert_eq!(parse_retry_after(retry_after, Some(retry_after)), Some(0));
        assert!(parse_retry_after(retry_after, None).is_none());
    }
    if let Some(d) = date {
        // A date against itself is no delay; swapping the two never makes both positive.
        if let Some(back) = parse_retry_after(d, Some(retry_after)) {
            if !d.trim().bytes().all(|b| b.is_ascii_digit()) {
                assert!(back == 0 || parsed.unwrap_or(0) == 0);
            }
        }
    }

    let headers: Vec<(String, &str)> = text
        .split('\n')
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim()))
        .collect();
    let lookup = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    let _ = parse_rate_limit(lookup);

    let b = data.first().copied().unwrap_or(0);
    let policy = RetryPolicy {
        max_attempts: u32::from(b % 8),
        base_delay_ms: u64::from(b) * 37,
        max_delay_ms: u64::from(b) * 1000 + 1,
        max_retry_after_ms: 60_000,
    };
    let mut last = 0;
    for attempt in 1..=40 {
        let d = policy.backoff_ms(attempt);
        assert!(d >= last && d <= policy.max_delay_ms);
        last = d;
    }
    let now = u64::from(b) << 40;
    for attempts in 0..10 {
        match policy.decide(attempts, now, parsed) {
            RetryDecision::RetryAt(t) => {
                assert!(t >= now);
                assert!(attempts < policy.max_attempts);
                assert!(parsed.is_none_or(|ms| ms <= policy.max_retry_after_ms));
            }
            RetryDecision::GiveUp => assert!(
                attempts >= policy.max_attempts
                    || parsed.is_some_and(|ms| ms > policy.max_retry_after_ms)
            ),
        }
    }
    assert!(RetryPolicy::is_retryable_status(503));
});
