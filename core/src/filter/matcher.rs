//! Clauses compiled against an index, and the per-record test.
//!
//! Everything that can be decided once (images named by `before`/`since`, `until` times,
//! globs, label splits) is decided in [`Compiled::new`]; [`Compiled::matches`] only
//! compares. Cheap tests run first.

use super::glob::Glob;
use super::parse::{Clause, FilterKey};
use super::time::{parse_until, Timestamp};
use super::FilterError;
use crate::digest::excerpt;
use crate::store::{canonical_repo_digest, ImageIndex, ImageRecord, StoreError};

/// The longest `reference` pattern accepted, in bytes. References are at most a few
/// hundred characters, so a longer pattern is a mistake or an attack; refusing it keeps a
/// megabyte of pattern from costing a megabyte-sized compiled glob.
pub const MAX_PATTERN_LEN: usize = 4096;

/// Go's zero `time.Time` (0001-01-01T00:00:00Z): libimage's `Created()` of an image whose
/// config has no `created`.
const GO_ZERO_UNIX: i64 = -62_135_596_800;

#[derive(Clone, Debug)]
enum Test {
    Dangling(bool),
    /// `created > at` when `after`, else `created < at`.
    Created {
        after: bool,
        at: Timestamp,
    },
    Id(String),
    Label {
        key: String,
        value: Option<String>,
    },
    DigestPrefix(String),
    RepoDigest(String),
}

impl Test {
    /// Evaluation order: cheapest first.
    fn cost(&self) -> u8 {
        match self {
            Test::Dangling(_) | Test::Created { .. } => 0,
            Test::Id(_) => 1,
            Test::Label { .. } => 2,
            Test::DigestPrefix(_) | Test::RepoDigest(_) => 3,
        }
    }

    fn holds(&self, r: &ImageRecord) -> bool {
        match self {
            Test::Dangling(want) => r.is_dangling() == *want,
            Test::Created { after, at } => {
                let created = Timestamp::from_secs(r.created.unwrap_or(GO_ZERO_UNIX));
                if *after {
                    created > *at
                } else {
                    created < *at
                }
            }
            Test::Id(prefix) => r.id.encoded().starts_with(prefix.as_str()),
            Test::Label { key, value } => has_label(r, key, value.as_deref()),
            Test::DigestPrefix(prefix) => {
                r.manifest_digest.as_str().starts_with(prefix.as_str())
                    || r.digests.iter().any(|d| {
                        d.split_once('@')
                            .is_some_and(|(_, dig)| dig.starts_with(prefix.as_str()))
                    })
            }
            Test::RepoDigest(full) => r.digests.iter().any(|d| d == full),
        }
    }
}

#[derive(Clone, Debug)]
struct Cond {
    test: Test,
    negate: bool,
}

/// One `reference` clause: the glob, and the image its value resolves to, if any.
#[derive(Clone, Debug)]
struct RefPattern {
    glob: Glob,
    image: Option<String>,
}

impl RefPattern {
    fn matches(&self, r: &ImageRecord) -> bool {
        if self.image.as_deref() == Some(r.id.as_str()) {
            return true;
        }
        r.names.iter().chain(r.digests.iter()).any(|name| {
            self.glob.may_match_within(name) && forms(name).iter().any(|f| self.glob.is_match(f))
        })
    }
}

/// The six forms libimage matches a name against: full; path; last component with tag or
/// digest; full without tag or digest; path with tag or digest; last component alone.
fn forms(name: &str) -> [&str; 6] {
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let sep = match name.find('@') {
        Some(i) => i,
        None => name[last_slash..]
            .rfind(':')
            .map_or(name.len(), |i| last_slash + i),
    };
    let domain_end = name.find('/').map_or(0, |i| i + 1).min(sep);
    let last_slash = last_slash.min(sep);
    [
        name,
        &name[domain_end..sep],
        &name[last_slash..],
        &name[..sep],
        &name[domain_end..],
        &name[last_slash..sep],
    ]
}

/// Whether the record has label `key` (with value `want`, when given).
///
/// Listing a large index is memory-bound, so small maps are scanned comparing lengths,
/// which sit in the map's own node, before any bytes, which sit elsewhere on the heap: a
/// key or value of the wrong length is rejected without reading it. Keys are unique, so a
/// key of the right length whose value has the wrong length means "no".
fn has_label(r: &ImageRecord, key: &str, want: Option<&str>) -> bool {
    if r.labels.len() > 8 {
        return match (r.labels.get(key), want) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(have), Some(want)) => have == want,
        };
    }
    r.labels.iter().any(|(k, v)| {
        k.len() == key.len()
            && want.is_none_or(|w| w.len() == v.len())
            && k == key
            && want.is_none_or(|w| w == v)
    })
}

/// Go `strconv.ParseBool`.
fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Compiled clauses.
#[derive(Clone, Debug, Default)]
pub(super) struct Compiled {
    conds: Vec<Cond>,
    wanted: Vec<RefPattern>,
    unwanted: Vec<RefPattern>,
}

impl Compiled {
    pub(super) fn new(
        clauses: &[Clause],
        index: &ImageIndex,
        now_unix: i64,
    ) -> Result<Self, FilterError> {
        let mut out = Compiled::default();
        let mut dangling: Option<bool> = None;
        for c in clauses {
            let key = c.key.as_str();
            let value = c.value.as_str();
            let test = match c.key {
                FilterKey::Dangling => {
                    let b = go_bool(value).ok_or_else(|| FilterError::InvalidBoolean {
                        key: key.to_owned(),
                        value: excerpt(value),
                    })?;
                    let effective = b != c.negate;
                    if dangling.is_some_and(|d| d != effective) {
                        return Err(FilterError::ConflictingValues {
                            key: key.to_owned(),
                        });
                    }
                    dangling = Some(effective);
                    Test::Dangling(b)
                }
                FilterKey::Label => {
                    let (k, v) = match value.split_once('=') {
                        Some((k, v)) => (k, (!v.is_empty()).then(|| v.to_owned())),
                        None => (value, None),
                    };
                    if k.is_empty() {
                        return Err(FilterError::MissingValue {
                            key: key.to_owned(),
                        });
                    }
                    Test::Label {
                        key: k.to_owned(),
                        value: v,
                    }
                }
                FilterKey::Before | FilterKey::Since => {
                    let record = index.resolve(value).map_err(|e| match e {
                        StoreError::AmbiguousIdPrefix { .. }
                        | StoreError::AmbiguousShortName { .. } => FilterError::AmbiguousImage {
                            key: key.to_owned(),
                            value: excerpt(value),
                        },
                        _ => FilterError::ImageNotFound {
                            key: key.to_owned(),
                            value: excerpt(value),
                        },
                    })?;
                    Test::Created {
                        after: c.key == FilterKey::Since,
                        at: Timestamp::from_secs(record.created.unwrap_or(GO_ZERO_UNIX)),
                    }
                }
                FilterKey::Until => Test::Created {
                    after: false,
                    at: parse_until(value, now_unix)?,
                },
                FilterKey::Id => {
                    Test::Id(value.strip_prefix("sha256:").unwrap_or(value).to_owned())
                }
                FilterKey::Digest => {
                    if value.contains('@') {
                        let full = canonical_repo_digest(value).map_err(|_| {
                            FilterError::InvalidDigest {
                                key: key.to_owned(),
                                value: excerpt(value),
                            }
                        })?;
                        Test::RepoDigest(full)
                    } else if value.starts_with("sha256:") {
                        Test::DigestPrefix(value.to_owned())
                    } else {
                        return Err(FilterError::InvalidDigest {
                            key: key.to_owned(),
                            value: excerpt(value),
                        });
                    }
                }
                FilterKey::Reference => {
                    if value.len() > MAX_PATTERN_LEN {
                        return Err(FilterError::ValueTooLong {
                            key: key.to_owned(),
                            limit: MAX_PATTERN_LEN,
                        });
                    }
                    let glob = Glob::new(value)?;
                    let image = index.resolve(value).ok().map(|r| r.id.as_str().to_owned());
                    let p = RefPattern { glob, image };
                    if c.negate {
                        out.unwanted.push(p);
                    } else {
                        out.wanted.push(p);
                    }
                    continue;
                }
            };
            out.conds.push(Cond {
                test,
                negate: c.negate,
            });
        }
        out.conds.sort_by_key(|c| c.test.cost());
        Ok(out)
    }

    pub(super) fn matches(&self, r: &ImageRecord) -> bool {
        if !self.conds.iter().all(|c| c.test.holds(r) != c.negate) {
            return false;
        }
        if self.unwanted.iter().any(|p| p.matches(r)) {
            return false;
        }
        self.wanted.is_empty() || self.wanted.iter().any(|p| p.matches(r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Filters;
    use super::*;
    use crate::digest::Digest;
    use crate::ErrorCode;

    #[test]
    fn name_forms() {
        assert_eq!(
            forms("docker.io/library/redis:7"),
            [
                "docker.io/library/redis:7",
                "library/redis",
                "redis:7",
                "docker.io/library/redis",
                "library/redis:7",
                "redis"
            ]
        );
        assert_eq!(
            forms("localhost:5000/a@sha256:00"),
            [
                "localhost:5000/a@sha256:00",
                "a",
                "a@sha256:00",
                "localhost:5000/a",
                "a@sha256:00",
                "a"
            ]
        );
        // Never panics on odd input.
        for s in ["", "a", ":", "@", "/", "a:b/c", "a@b/c:d", "x/y@"] {
            let _ = forms(s);
        }
    }

    fn d(hex: &str) -> Digest {
        Digest::parse(&format!("sha256:{hex:0<64}")).expect("digest")
    }

    fn index() -> ImageIndex {
        let mut index = ImageIndex::new();
        type Spec<'a> = (
            &'a str,
            &'a [&'a str],
            Option<i64>,
            &'a [(&'a str, &'a str)],
        );
        let specs: &[Spec<'_>] = &[
            (
                "a1",
                &["docker.io/library/redis:7"],
                Some(100),
                &[("tier", "db")],
            ),
            (
                "b2",
                &["quay.io/x/app:1"],
                Some(200),
                &[("tier", "web"), ("x", "")],
            ),
            ("c3", &[], Some(300), &[]),
            ("d4", &[], None, &[]),
        ];
        for (id, names, created, labels) in specs {
            let mut r = ImageRecord::new(d(id), d("e"));
            r.names = names.iter().map(|s| (*s).to_owned()).collect();
            r.created = *created;
            r.labels = labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            index.add(r).expect("add");
        }
        index
    }

    fn ids(index: &ImageIndex, args: &[&str]) -> Result<Vec<String>, &'static str> {
        let f = Filters::parse(args, index, 1_000).map_err(|e| e.code())?;
        Ok(index
            .records()
            .filter(|r| f.matches(r))
            .map(|r| r.id.encoded()[..2].to_owned())
            .collect())
    }

    #[test]
    fn table() {
        let index = index();
        type Case<'a> = (&'a [&'a str], Result<&'a [&'a str], &'a str>);
        let cases: &[Case<'_>] = &[
            (&[], Ok(&["a1", "b2", "c3", "d4"])),
            (&["dangling=true"], Ok(&["c3", "d4"])),
            (&["dangling=1"], Ok(&["c3", "d4"])),
            (&["dangling!=true"], Ok(&["a1", "b2"])),
            (&["dangling=true", "dangling!=false"], Ok(&["c3", "d4"])),
            (
                &["dangling=true", "dangling=false"],
                Err("conflicting-filter-values"),
            ),
            (&["dangling=yes"], Err("invalid-filter-boolean")),
            (&["label=tier"], Ok(&["a1", "b2"])),
            (&["label=tier="], Ok(&["a1", "b2"])),
            (&["label=tier=db"], Ok(&["a1"])),
            (&["label!=tier=db"], Ok(&["b2", "c3", "d4"])),
            (&["label=tier", "label=x"], Ok(&["b2"])),
            (&["label=="], Err("filter-missing-value")),
            (&["since=redis:7"], Ok(&["b2", "c3"])),
            (&["after=a1"], Ok(&["b2", "c3"])),
            (&["before=c3"], Ok(&["a1", "b2", "d4"])),
            (&["before=nope"], Err("filter-image-not-found")),
            (&["since=0"], Err("filter-image-not-found")),
            (&["until=250"], Ok(&["a1", "b2", "d4"])),
            (&["until=800s"], Ok(&["a1", "d4"])),
            (&["until!=800s"], Ok(&["b2", "c3"])),
            (&["until=soon"], Err("invalid-filter-time")),
            (&["reference=redis"], Ok(&["a1"])),
            (&["reference=*"], Ok(&["a1", "b2"])),
            (&["reference=quay.io/*"], Ok(&[])),
            (&["reference=quay.io/*/*"], Ok(&["b2"])),
            (&["reference=redis", "reference=app"], Ok(&["a1", "b2"])),
            (&["reference!=redis"], Ok(&["b2", "c3", "d4"])),
            (&["reference=*", "reference!=app"], Ok(&["a1"])),
            (&["reference=a1"], Ok(&["a1"])),
            (&["reference=[z-a"], Err("invalid-filter-pattern")),
            (&["id=a"], Ok(&["a1"])),
            (&["id=sha256:b"], Ok(&["b2"])),
            (&["id=a", "id=b"], Ok(&[])),
            (&["id!=a"], Ok(&["b2", "c3", "d4"])),
            (&["digest=sha256:e"], Ok(&["a1", "b2", "c3", "d4"])),
            (&["digest=sha256:f"], Ok(&[])),
            (&["digest=e"], Err("invalid-filter-digest")),
            (&["dangling=false,label=tier=web"], Ok(&["b2"])),
        ];
        for (args, want) in cases {
            let want = want.map(|w| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
            assert_eq!(ids(&index, args), want, "{args:?}");
        }
    }
}
