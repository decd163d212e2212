//! The image filter language of `podman images --filter` / `docker images --filter`, parsed
//! once and matched against [`ImageRecord`]s.
//!
//! Syntax: clauses `key=value` or `key!=value` (negated), several per argument separated by
//! commas, or several arguments (see `parse.rs`). Keys and their values, following
//! containers/common `libimage/filters.go`:
//!
//! | key | value | matches an image … |
//! |---|---|---|
//! | `dangling` | Go `ParseBool` (`1 t T TRUE true True 0 f F FALSE false False`) | with no tags (`true`) or with tags (`false`) |
//! | `label` | `key` or `key=value` | with that label key (any value when the value is empty or missing) or that exact pair |
//! | `before` | image (ID, prefix, name) | created strictly before that image |
//! | `since`, `after` | image | created strictly after that image |
//! | `until` | duration, RFC 3339, unix seconds (`time.rs`) | created strictly before that time |
//! | `reference` | glob (`glob.rs`, Go `path.Match`) | see below |
//! | `id` | hex prefix, optional `sha256:` | whose ID starts with it |
//! | `digest` | `sha256:` + prefix, or `name@digest` | whose manifest digest or a repo digest starts with it; or that holds that repo digest |
//!
//! How clauses combine (libimage `applyFilters`): every clause must hold (AND), including
//! several `label`, `id`, `digest`, `since`, `before` and `until` clauses, except
//! `reference`: positive `reference` clauses OR together, negative ones AND together
//! (libimage `filterReferences(wanted, unwanted)`). `!=` negates one clause. Two
//! `dangling` clauses that mean opposite things are `conflicting-filter-values` (libimage
//! rejects a boolean key given twice with different values).
//!
//! `reference=P` matches an image when `P` resolves to it through
//! [`ImageIndex::resolve`] (so `reference=alpine@sha256:…` works), or when the glob
//! matches one of these forms of one of its names or repo digests, e.g. for
//! `docker.io/library/redis:7`: `docker.io/library/redis:7`, `library/redis`, `redis:7`,
//! `docker.io/library/redis`, `library/redis:7`, `redis` (libimage
//! `imageMatchesReferenceFilter`; docker's `FamiliarMatch` forms are among them).
//!
//! `before`, `since` and `after` resolve their image when the filters are parsed; an
//! unknown image is `filter-image-not-found`. An image without `created` counts as
//! created at Go's zero time (year 1), as in libimage.
//!
//! Matching costs `O(clauses)` per record plus the reference globs, so
//! [`Filters::parse`] once and [`Filters::matches`] per record is linear in the number of
//! records; at most [`MAX_CLAUSES`] clauses are accepted, a `reference` pattern may be
//! at most [`MAX_PATTERN_LEN`] bytes (every reference is far shorter: a name is at most 255
//! characters) and an `until` value at most [`MAX_TIME_LEN`]. Other values may be of any
//! length; they are handled in linear time.

use std::fmt;

use crate::store::{ImageIndex, ImageRecord};
use crate::ErrorCode;

mod glob;
mod matcher;
mod parse;
mod time;

pub use glob::Glob;
pub use matcher::MAX_PATTERN_LEN;
pub use parse::{Clause, FilterKey, MAX_CLAUSES};
pub use time::{parse_until, Timestamp, MAX_TIME_LEN};

/// Why filter arguments were rejected. Every variant names the key at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterError {
    /// The key is not one of the supported keys.
    UnknownKey {
        /// The key, cut to 80 characters.
        key: String,
    },
    /// `key` or `key=` without a value.
    MissingValue {
        /// The key.
        key: String,
    },
    /// An empty clause (`a=1,,b=2` or a trailing comma).
    EmptyFilter,
    /// Not a Go boolean.
    InvalidBoolean {
        /// The key.
        key: String,
        /// The value, cut to 80 characters.
        value: String,
    },
    /// Not a duration, RFC 3339 time or unix time.
    InvalidTime {
        /// The key.
        key: String,
        /// The value, cut to 80 characters.
        value: String,
    },
    /// The image named by `before` / `since` / `after` is not in the index.
    ImageNotFound {
        /// The key.
        key: String,
        /// The value, cut to 80 characters.
        value: String,
    },
    /// The image named by `before` / `since` / `after` is ambiguous.
    AmbiguousImage {
        /// The key.
        key: String,
        /// The value, cut to 80 characters.
        value: String,
    },
    /// A malformed glob (Go `path.ErrBadPattern`).
    InvalidPattern {
        /// The key.
        key: String,
        /// The value, cut to 80 characters.
        value: String,
    },
    /// A `digest` value that is neither `sha256:…` nor `name@digest`.
    InvalidDigest {
        /// The key.
        key: String,
        /// The value, cut to 80 characters.
        value: String,
    },
    /// A boolean key given twice with opposite meanings.
    ConflictingValues {
        /// The key.
        key: String,
    },
    /// More than [`MAX_CLAUSES`] clauses.
    TooManyFilters {
        /// The limit.
        limit: usize,
    },
    /// A `reference` pattern longer than [`MAX_PATTERN_LEN`] bytes.
    ValueTooLong {
        /// The key.
        key: String,
        /// The limit in bytes.
        limit: usize,
    },
}

impl ErrorCode for FilterError {
    fn code(&self) -> &'static str {
        match self {
            FilterError::UnknownKey { .. } => "unknown-filter-key",
            FilterError::MissingValue { .. } => "filter-missing-value",
            FilterError::EmptyFilter => "empty-filter",
            FilterError::InvalidBoolean { .. } => "invalid-filter-boolean",
            FilterError::InvalidTime { .. } => "invalid-filter-time",
            FilterError::ImageNotFound { .. } => "filter-image-not-found",
            FilterError::AmbiguousImage { .. } => "filter-image-ambiguous",
            FilterError::InvalidPattern { .. } => "invalid-filter-pattern",
            FilterError::InvalidDigest { .. } => "invalid-filter-digest",
            FilterError::ConflictingValues { .. } => "conflicting-filter-values",
            FilterError::TooManyFilters { .. } => "too-many-filters",
            FilterError::ValueTooLong { .. } => "filter-value-too-long",
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::UnknownKey { key } => write!(f, "unknown filter key {key:?}"),
            FilterError::MissingValue { key } => write!(f, "filter {key:?} needs a value"),
            FilterError::EmptyFilter => f.write_str("empty filter"),
            FilterError::InvalidBoolean { key, value } => {
                write!(f, "filter {key:?} needs true or false, got {value:?}")
            }
            FilterError::InvalidTime { key, value } => {
                write!(f, "filter {key:?} needs a time or duration, got {value:?}")
            }
            FilterError::ImageNotFound { key, value } => {
                write!(f, "filter {key:?}: no local image {value:?}")
            }
            FilterError::AmbiguousImage { key, value } => {
                write!(f, "filter {key:?}: {value:?} matches several images")
            }
            FilterError::InvalidPattern { key, value } => {
                write!(f, "filter {key:?}: malformed pattern {value:?}")
            }
            FilterError::InvalidDigest { key, value } => {
                write!(
                    f,
                    "filter {key:?} needs sha256:… or name@digest, got {value:?}"
                )
            }
            FilterError::ConflictingValues { key } => {
                write!(f, "filter {key:?} given twice with different values")
            }
            FilterError::TooManyFilters { limit } => {
                write!(f, "more than {limit} filters")
            }
            FilterError::ValueTooLong { key, limit } => {
                write!(f, "filter {key:?} value longer than {limit} bytes")
            }
        }
    }
}

impl std::error::Error for FilterError {}

/// Compiled filters: parse once, then [`Filters::matches`] each record.
///
/// `Filters::default()` has no clauses and matches every record.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    clauses: Vec<Clause>,
    compiled: matcher::Compiled,
}

impl Filters {
    /// Parses `args` (each `key=value[,key=value…]`) and resolves the images `before` /
    /// `since` name against `index`; `now_unix` anchors relative `until` durations.
    pub fn parse(args: &[&str], index: &ImageIndex, now_unix: i64) -> Result<Self, FilterError> {
        let clauses = parse::split(args)?;
        let compiled = matcher::Compiled::new(&clauses, index, now_unix)?;
        Ok(Filters { clauses, compiled })
    }

    /// Whether `record` passes every clause.
    pub fn matches(&self, record: &ImageRecord) -> bool {
        self.compiled.matches(record)
    }

    /// The clauses as parsed, in order (`after` reported as `since`).
    pub fn clauses(&self) -> &[Clause] {
        &self.clauses
    }

    /// True when there are no clauses (everything matches).
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;

    /// A megabyte of filter text is rejected or matched, in linear time (the bench
    /// `core/benches/filter.rs` measures it).
    #[test]
    fn megabyte_inputs() {
        const MB: usize = 1 << 20;
        let mut index = ImageIndex::new();
        let mut r = ImageRecord::new(Digest::sha256_of(b"config"), Digest::sha256_of(b"manifest"));
        r.names.push("docker.io/library/redis:latest".to_owned());
        r.labels.insert("a".repeat(MB), "b".repeat(MB));
        if let Err(e) = index.add(r) {
            panic!("{e}");
        }
        let huge = |prefix: &str, fill: &str| format!("{prefix}{}", fill.repeat(MB / fill.len()));
        let cases: Vec<(String, Result<usize, &str>)> = vec![
            (huge("reference=", "*a"), Err("filter-value-too-long")),
            (huge("reference=", "*"), Err("filter-value-too-long")),
            (huge("label=", "a"), Ok(1)),
            (
                format!("label={}={}", "a".repeat(MB), "b".repeat(MB)),
                Ok(1),
            ),
            (format!("label={}=c", "a".repeat(MB)), Ok(0)),
            (huge("label=", "x"), Ok(0)),
            (huge("id=", "0"), Ok(0)),
            (huge("digest=sha256:", "0"), Ok(0)),
            (huge("until=", "9"), Err("invalid-filter-time")),
            (huge("until=", "1h"), Err("invalid-filter-time")),
            (huge("since=", "a"), Err("filter-image-not-found")),
            (huge("before=", "sha256:a"), Err("filter-image-not-found")),
            (huge("dangling=", "t"), Err("invalid-filter-boolean")),
            (huge("", "label=x,"), Err("too-many-filters")),
            (huge("", ","), Err("empty-filter")),
            (huge("", "k"), Err("unknown-filter-key")),
        ];
        for (text, want) in cases {
            let got = Filters::parse(&[text.as_str()], &index, 0)
                .map(|f| index.records().filter(|r| f.matches(r)).count())
                .map_err(|e| e.code());
            assert_eq!(got, want, "{}", crate::digest::excerpt(&text));
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_arbitrary_filters_never_panics(
            args in proptest::collection::vec("\\PC{0,40}", 0..4),
            now in proptest::num::i64::ANY,
        ) {
            let mut index = ImageIndex::new();
            let mut r = ImageRecord::new(Digest::sha256_of(b"c"), Digest::sha256_of(b"m"));
            r.names.push("docker.io/library/redis:latest".to_owned());
            r.created = Some(now);
            let _ = index.add(r);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            if let Ok(f) = Filters::parse(&args, &index, now) {
                let _ = index.list(&f);
            }
        }

        #[test]
        fn until_never_panics(v in "[-+0-9.:TZhmsnuµ]{0,30}", now in proptest::num::i64::ANY) {
            let _ = parse_until(&v, now);
        }
    }
}
