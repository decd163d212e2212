//! Short-name resolution, as containers/image `pkg/shortnames` (`Resolve`) does it.
//!
//! A short name is a reference whose first component is not a registry (no `.`, no `:`,
//! not `localhost`): `fedora`, `library/fedora:40`, `busybox@sha256:…`. Resolution:
//!
//! 1. a fully-qualified input resolves to itself (normalized, `:latest` added if needed);
//! 2. otherwise an alias for the name (tag and digest stripped) wins, and gets the input's
//!    tag and digest back;
//! 3. otherwise each unqualified-search registry, in order, is prefixed to the input and
//!    normalized (so `docker.io` gains `library/`).
//!
//! With more than one candidate, `enforcing` mode needs a user choice; hoist never
//! prompts, so it returns `short-name-ambiguous` with the candidates, which is what
//! containers/image does without a TTY. `permissive` and `disabled` return every
//! candidate in order.

use super::{parse, parse_normalized, Reference, ReferenceError, RegistriesConf};
use crate::digest::excerpt;

/// registries.conf `short-name-mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShortNameMode {
    /// Never ask: use every candidate in order, record nothing.
    Disabled,
    /// Ask when possible, otherwise use every candidate (the default).
    Permissive,
    /// A short name with several candidates must be chosen by a user; without one it is
    /// an error.
    Enforcing,
}

impl ShortNameMode {
    /// The registries.conf spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ShortNameMode::Disabled => "disabled",
            ShortNameMode::Permissive => "permissive",
            ShortNameMode::Enforcing => "enforcing",
        }
    }

    /// Parses the registries.conf spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "disabled" => Some(ShortNameMode::Disabled),
            "permissive" => Some(ShortNameMode::Permissive),
            "enforcing" => Some(ShortNameMode::Enforcing),
            _ => None,
        }
    }
}

/// Where a resolution's candidates came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResolutionOrigin {
    /// The input already named a registry.
    FullyQualified,
    /// An `[aliases]` entry.
    Alias,
    /// The unqualified-search registries.
    SearchRegistries,
}

impl ResolutionOrigin {
    /// A stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionOrigin::FullyQualified => "fully-qualified",
            ResolutionOrigin::Alias => "alias",
            ResolutionOrigin::SearchRegistries => "search-registries",
        }
    }
}

/// The references a name may be pulled as, in the order to try them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShortNameResolution {
    /// Fully-qualified candidates, each with a tag or digest (`:latest` added).
    pub candidates: Vec<Reference>,
    /// Where they came from.
    pub origin: ResolutionOrigin,
    /// The mode the resolution ran in.
    pub mode: ShortNameMode,
}

/// Parses `input` strictly and decides whether it is a short name
/// (`parseUnnormalizedShortName`). A fully-qualified input comes back normalized.
fn classify(input: &str) -> Result<(bool, Reference), ReferenceError> {
    let r = parse(input)?;
    let qualified = r
        .domain()
        .is_some_and(|d| d.contains(['.', ':']) || d == "localhost");
    if qualified {
        Ok((false, parse_normalized(input)?))
    } else {
        Ok((true, r))
    }
}

/// containers/image `IsShortName`, with the parse error instead of `false` for an
/// unparseable input: `fedora`, `library/fedora:40` and `busybox@sha256:…` are short;
/// `quay.io/fedora`, `localhost/fedora` and `example.com:5000/x` are not.
pub fn is_short_name(input: &str) -> Result<bool, ReferenceError> {
    classify(input).map(|(short, _)| short)
}

impl RegistriesConf {
    /// The effective short-name mode: as configured, or [`ShortNameMode::Permissive`].
    pub fn short_name_mode(&self) -> ShortNameMode {
        self.configured_short_name_mode()
            .unwrap_or(ShortNameMode::Permissive)
    }

    /// The alias target for a short name without tag or digest, if one is configured
    /// and not reset to `""`.
    pub fn resolve_alias(&self, short_name: &str) -> Option<&Reference> {
        self.aliases().get(short_name).and_then(Option::as_ref)
    }

    /// Resolves `input` in the configured short-name mode (containers/image `Resolve`
    /// without a TTY).
    pub fn short_name_candidates(
        &self,
        input: &str,
    ) -> Result<ShortNameResolution, ReferenceError> {
        self.short_name_candidates_with_mode(input, self.short_name_mode())
    }

    /// Resolves `input` in `mode`, overriding the configured mode (as a
    /// `SystemContext.ShortNameMode` does).
    ///
    /// Errors: the parse errors of the input, `short-name-no-search-registries` when a
    /// short name has no alias and there are no unqualified-search registries, and
    /// `short-name-ambiguous` in enforcing mode with more than one candidate.
    pub fn short_name_candidates_with_mode(
        &self,
        input: &str,
        mode: ShortNameMode,
    ) -> Result<ShortNameResolution, ReferenceError> {
        let (short, named) = classify(input)?;
        if !short {
            return Ok(ShortNameResolution {
                candidates: vec![named.tag_name_only()],
                origin: ResolutionOrigin::FullyQualified,
                mode,
            });
        }
        if let Some(alias) = self.resolve_alias(named.name()) {
            let mut target = alias.clone();
            if let Some(tag) = named.tag() {
                target = target.with_tag(tag)?;
            }
            if let Some(digest) = named.digest() {
                target = target.with_digest(digest.clone());
            }
            return Ok(ShortNameResolution {
                candidates: vec![target.tag_name_only()],
                origin: ResolutionOrigin::Alias,
                mode,
            });
        }
        let registries = self.unqualified_search_registries();
        if registries.is_empty() {
            return Err(ReferenceError::NoSearchRegistries {
                name: excerpt(input),
            });
        }
        let candidates = registries
            .iter()
            .map(|reg| {
                let mut full = String::with_capacity(reg.len() + 1 + input.len());
                full.push_str(reg);
                full.push('/');
                full.push_str(input);
                parse_normalized(&full).map(|r| r.tag_name_only())
            })
            .collect::<Result<Vec<_>, _>>()?;
        if mode == ShortNameMode::Enforcing && candidates.len() > 1 {
            return Err(ReferenceError::ShortNameAmbiguous {
                name: excerpt(input),
                candidates: candidates.iter().map(|c| c.to_string()).collect(),
            });
        }
        Ok(ShortNameResolution {
            candidates,
            origin: ResolutionOrigin::SearchRegistries,
            mode,
        })
    }

    /// Every candidate in order, never failing on ambiguity: CRI-O's behaviour, which
    /// resolves with the mode forced to `disabled`.
    pub fn candidates_to_try(&self, input: &str) -> Result<Vec<Reference>, ReferenceError> {
        self.short_name_candidates_with_mode(input, ShortNameMode::Disabled)
            .map(|r| r.candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    const D: &str = "sha256:d366a4665ab44f0648d7a00ae3fae139d55e32f9712c67accd604bb55df9d05a";

    fn names(r: Result<ShortNameResolution, ReferenceError>) -> Result<Vec<String>, &'static str> {
        r.map(|r| r.candidates.iter().map(ToString::to_string).collect())
            .map_err(|e| e.code())
    }

    #[test]
    fn is_short_name_table() {
        // From containers/image pkg/shortnames TestIsShortName.
        for short in [
            "fedora",
            "fedora:latest",
            "library/fedora",
            "library/fedora:latest",
        ] {
            assert_eq!(is_short_name(short), Ok(true), "{short}");
        }
        assert_eq!(is_short_name(&format!("busybox@{D}")), Ok(true));
        for long in [
            "quay.io/fedora",
            "docker.io/fedora",
            "localhost/fedora",
            "localhost:5000/fedora:latest",
            "example.foo.this.may.be.garbage.but.maybe.not:1234/fedora:latest",
        ] {
            assert_eq!(is_short_name(long), Ok(false), "{long}");
        }
        for bad in ["", "$$$", "::", "docker://quay.io/library/foo:bar", " "] {
            assert!(is_short_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn modes() {
        let two = RegistriesConf::parse(
            "unqualified-search-registries=[\"quay.io\", \"registry.com\"]\n[aliases]\n\"repo/image\"=\"quay.io/repo/image\"\n",
        )
        .expect("valid");
        assert_eq!(
            names(two.short_name_candidates_with_mode("foo:tag", ShortNameMode::Permissive)),
            Ok(vec![
                "quay.io/foo:tag".into(),
                "registry.com/foo:tag".into()
            ])
        );
        assert_eq!(
            names(two.short_name_candidates_with_mode("foo", ShortNameMode::Enforcing)),
            Err("short-name-ambiguous")
        );
        assert_eq!(
            names(two.short_name_candidates_with_mode(
                &format!("repo/image@{D}"),
                ShortNameMode::Enforcing
            )),
            Ok(vec![format!("quay.io/repo/image@{D}")])
        );
        assert_eq!(
            two.candidates_to_try("foo")
                .map(|v| v.len())
                .map_err(|e| e.code()),
            Ok(2)
        );
        let none = RegistriesConf::default();
        assert_eq!(
            names(none.short_name_candidates("doesnotexist")),
            Err("short-name-no-search-registries")
        );
        assert_eq!(
            names(none.short_name_candidates("quay.io/repo/fedora")),
            Ok(vec!["quay.io/repo/fedora:latest".into()])
        );
        let hub = RegistriesConf::parse("unqualified-search-registries=[\"docker.io\"]\n")
            .expect("valid");
        assert_eq!(
            names(hub.short_name_candidates("busybox")),
            Ok(vec!["docker.io/library/busybox:latest".into()])
        );
    }
}
