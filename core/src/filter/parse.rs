//! Splitting filter arguments into clauses: `key=value` and `key!=value`, several per
//! argument separated by commas (podman's `--filter` is a string slice, so
//! `--filter a=1,b=2` is two filters), or repeated arguments.
//!
//! The key ends at the first `=`; a `!` just before it makes the clause negated. So
//! `label!=a=b` is key `label`, operator `!=`, value `a=b`, as in libimage
//! `compileImageFilters`; `label=a!=b` is key `label`, value `a!=b` (libimage looks for `!=`
//! anywhere first and would report an unknown key `label=a`). A value cannot contain a
//! comma.

use serde::Serialize;

use super::FilterError;
use crate::digest::excerpt;

/// The most clauses one [`Filters`](super::Filters) accepts; more is `too-many-filters`.
/// Matching is linear in records × clauses, so this keeps a hostile filter string from
/// multiplying the cost of a listing.
pub const MAX_CLAUSES: usize = 256;

/// A filter key (libimage `compileImageFilters`; keys about containers, layers and
/// manifest lists, which the index does not model, are unknown here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FilterKey {
    /// `dangling=true|false`: the image has no tags.
    Dangling,
    /// `label=key` or `label=key=value`.
    Label,
    /// `before=IMAGE`: created strictly before that image.
    Before,
    /// `since=IMAGE` (alias `after`): created strictly after that image.
    Since,
    /// `until=TIME`: created strictly before a time.
    Until,
    /// `reference=PATTERN`: a name matches the glob.
    Reference,
    /// `id=PREFIX`: the ID starts with the prefix.
    Id,
    /// `digest=sha256:PREFIX` or `digest=NAME@DIGEST`.
    Digest,
}

impl FilterKey {
    /// The key as written (`since` for `after`).
    pub fn as_str(self) -> &'static str {
        match self {
            FilterKey::Dangling => "dangling",
            FilterKey::Label => "label",
            FilterKey::Before => "before",
            FilterKey::Since => "since",
            FilterKey::Until => "until",
            FilterKey::Reference => "reference",
            FilterKey::Id => "id",
            FilterKey::Digest => "digest",
        }
    }

    fn from_str(s: &str) -> Option<Self> {
        Some(match s {
            "dangling" => FilterKey::Dangling,
            "label" => FilterKey::Label,
            "before" => FilterKey::Before,
            "since" | "after" => FilterKey::Since,
            "until" => FilterKey::Until,
            "reference" => FilterKey::Reference,
            "id" => FilterKey::Id,
            "digest" => FilterKey::Digest,
            _ => return None,
        })
    }
}

/// One parsed clause, before it is compiled against an index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Clause {
    /// The key.
    pub key: FilterKey,
    /// `!=` rather than `=`.
    pub negate: bool,
    /// The value as written.
    pub value: String,
}

/// Splits every argument into clauses, checking keys and that each has a value.
pub fn split(args: &[&str]) -> Result<Vec<Clause>, FilterError> {
    let mut out = Vec::new();
    for arg in args {
        for part in arg.split(',') {
            if out.len() == MAX_CLAUSES {
                return Err(FilterError::TooManyFilters { limit: MAX_CLAUSES });
            }
            out.push(clause(part)?);
        }
    }
    Ok(out)
}

fn clause(part: &str) -> Result<Clause, FilterError> {
    if part.is_empty() {
        return Err(FilterError::EmptyFilter);
    }
    let (key, negate, value) = match part.split_once('=') {
        Some((k, v)) => match k.strip_suffix('!') {
            Some(k) => (k, true, Some(v)),
            None => (k, false, Some(v)),
        },
        None => (part, false, None),
    };
    let key =
        FilterKey::from_str(key).ok_or_else(|| FilterError::UnknownKey { key: excerpt(key) })?;
    match value {
        Some(v) if !v.is_empty() => Ok(Clause {
            key,
            negate,
            value: v.to_owned(),
        }),
        _ => Err(FilterError::MissingValue {
            key: key.as_str().to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn table() {
        type Case<'a> = (&'a [&'a str], &'a [(FilterKey, bool, &'a str)]);
        let ok: &[Case<'_>] = &[
            (&["dangling=true"], &[(FilterKey::Dangling, false, "true")]),
            (
                &["label!=a=b", "after=x"],
                &[
                    (FilterKey::Label, true, "a=b"),
                    (FilterKey::Since, false, "x"),
                ],
            ),
            (
                &["reference=a,reference!=b"],
                &[
                    (FilterKey::Reference, false, "a"),
                    (FilterKey::Reference, true, "b"),
                ],
            ),
            (&["label=a!=b"], &[(FilterKey::Label, false, "a!=b")]),
            (&[], &[]),
        ];
        for (args, want) in ok {
            let got: Vec<(FilterKey, bool, String)> = split(args)
                .expect("ok")
                .into_iter()
                .map(|c| (c.key, c.negate, c.value))
                .collect();
            let want: Vec<(FilterKey, bool, String)> = want
                .iter()
                .map(|(k, n, v)| (*k, *n, (*v).to_owned()))
                .collect();
            assert_eq!(got, want, "{args:?}");
        }
        let bad: &[(&[&str], &str)] = &[
            (&["dangling"], "filter-missing-value"),
            (&["dangling="], "filter-missing-value"),
            (&["label!="], "filter-missing-value"),
            (&["foo=bar"], "unknown-filter-key"),
            (&["containers=true"], "unknown-filter-key"),
            (&["=x"], "unknown-filter-key"),
            (&["Dangling=true"], "unknown-filter-key"),
            (&["dangling=true,"], "empty-filter"),
            (&[""], "empty-filter"),
        ];
        for (args, code) in bad {
            assert_eq!(
                split(args).map_err(|e| e.code()).err(),
                Some(*code),
                "{args:?}"
            );
        }
    }

    #[test]
    fn clause_limit() {
        let many = vec!["dangling=true"; MAX_CLAUSES];
        assert_eq!(split(&many).expect("at the limit").len(), MAX_CLAUSES);
        let joined = format!("{},label=x", many.join(","));
        assert_eq!(
            split(&[joined.as_str()]).map_err(|e| e.code()).err(),
            Some("too-many-filters")
        );
    }
}
