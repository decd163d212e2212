//! Registry rate-limit headers, shown to users in pull events.
//!
//! Docker Hub sends `RateLimit-Limit: 100;w=21600` and `RateLimit-Remaining: 76;w=21600`
//! (the IETF `draft-ietf-httpapi-ratelimit-headers` form: a count, then `;w=` the window in
//! seconds). Some registries send the older `X-RateLimit-*` names; both are read.

/// A parsed rate-limit state, as reported by the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: Option<u64>,
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// The window length in seconds, when given.
    pub window_secs: Option<u64>,
}

/// Reads rate-limit headers; `None` when the response has none.
/// `header` looks a header up by lowercase name.
pub fn parse_rate_limit<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Option<RateLimit> {
    let limit = header("ratelimit-limit").or_else(|| header("x-ratelimit-limit"));
    let remaining = header("ratelimit-remaining").or_else(|| header("x-ratelimit-remaining"));
    if limit.is_none() && remaining.is_none() {
        return None;
    }
    let (limit, w1) = limit.map(split).unwrap_or((None, None));
    let (remaining, w2) = remaining.map(split).unwrap_or((None, None));
    Some(RateLimit {
        limit,
        remaining,
        window_secs: w1.or(w2),
    })
}

fn split(v: &str) -> (Option<u64>, Option<u64>) {
    let mut parts = v.split(';').map(str::trim);
    let count = parts.next().and_then(|c| c.parse().ok());
    let window = parts
        .filter_map(|p| p.strip_prefix("w="))
        .find_map(|w| w.parse().ok());
    (count, window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_form() {
        let h = |name: &str| match name {
            "ratelimit-limit" => Some("100;w=21600"),
            "ratelimit-remaining" => Some("76;w=21600"),
            _ => None,
        };
        assert_eq!(
            parse_rate_limit(h),
            Some(RateLimit {
                limit: Some(100),
                remaining: Some(76),
                window_secs: Some(21600)
            })
        );
        assert_eq!(parse_rate_limit(|_| None), None);
        let x = |name: &str| (name == "x-ratelimit-remaining").then_some("garbage");
        assert_eq!(
            parse_rate_limit(x),
            Some(RateLimit {
                limit: None,
                remaining: None,
                window_secs: None
            })
        );
    }
}
