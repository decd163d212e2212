//! The parts of a reference the store works with, taken from [`crate::reference`].
//!
//! The store keeps names in canonical form (`parse_normalized` + `:latest`), and resolving
//! a short name also needs the path as the user wrote it (`redis`, `library/redis`) and
//! whether a registry was named at all (containers/image `IsShortName`).

use crate::digest::Digest;
use crate::reference::{self, ReferenceError};

/// A reference split into the parts the store uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Name {
    /// Canonical repository, `domain/path` (docker.io and `library/` filled in).
    pub repo: String,
    /// The name as written, without tag or digest (`redis`, `library/redis`); for a
    /// fully-qualified input, the canonical repository.
    pub path: String,
    /// Whether the input names a registry (not a short name).
    pub explicit_domain: bool,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The digest, if any.
    pub digest: Option<Digest>,
}

impl Name {
    /// `repo:tag`, with `latest` when no tag was given.
    pub fn tagged(&self) -> String {
        format!(
            "{}:{}",
            self.repo,
            self.tag.as_deref().unwrap_or(reference::DEFAULT_TAG)
        )
    }
}

/// Parses and normalizes a reference (distribution/reference `ParseNormalizedNamed`).
pub(crate) fn parse(s: &str) -> Result<Name, ReferenceError> {
    let short = reference::is_short_name(s)?;
    let normalized = reference::parse_normalized(s)?;
    let path = if short {
        reference::parse(s)?.name().to_owned()
    } else {
        normalized.name().to_owned()
    };
    Ok(Name {
        repo: normalized.name().to_owned(),
        path,
        explicit_domain: !short,
        tag: normalized.tag().map(str::to_owned),
        digest: normalized.digest().cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        type Case<'a> = (&'a str, Option<(&'a str, &'a str, bool)>);
        let cases: &[Case<'_>] = &[
            (
                "redis",
                Some(("docker.io/library/redis:latest", "redis", false)),
            ),
            (
                "library/redis",
                Some(("docker.io/library/redis:latest", "library/redis", false)),
            ),
            (
                "docker.io/library/redis",
                Some((
                    "docker.io/library/redis:latest",
                    "docker.io/library/redis",
                    true,
                )),
            ),
            (
                "index.docker.io/redis",
                Some((
                    "docker.io/library/redis:latest",
                    "docker.io/library/redis",
                    true,
                )),
            ),
            (
                "quay.io/x/redis:7",
                Some(("quay.io/x/redis:7", "quay.io/x/redis", true)),
            ),
            (
                "localhost:5000/a",
                Some(("localhost:5000/a:latest", "localhost:5000/a", true)),
            ),
            (
                "localhost/a",
                Some(("localhost/a:latest", "localhost/a", true)),
            ),
            ("Redis", None),
            ("redis:", None),
            ("", None),
            ("a//b", None),
            ("-a", None),
        ];
        for (input, want) in cases {
            let got = parse(input).ok();
            let got = got
                .as_ref()
                .map(|n| (n.tagged(), n.path.as_str(), n.explicit_domain));
            let want = want.map(|(t, p, e)| (t.to_owned(), p, e));
            assert_eq!(got, want, "{input}");
        }
    }
}
