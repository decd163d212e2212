//! Image references, as defined by distribution/reference (v0.6.0) and used by docker,
//! containerd, CRI-O and podman; plus registries.conf short-name resolution and
//! containers/image transport prefixes.
//!
//! # Grammar
//!
//! From distribution/reference `reference.go` / `regexp.go`:
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain '/'] remote-name
//! domain           := host [':' port-number]
//! host             := domain-name | IPv4address | '[' IPv6address ']'
//! domain-name      := domain-component ['.' domain-component]*
//! domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//! IPv6address      := /[a-fA-F0-9:]+/          ; no zone, no IPv4-mapped form
//! port-number      := /[0-9]+/
//! path-component   := alpha-numeric [separator alpha-numeric]*
//! remote-name      := path-component ['/' path-component]*
//! alpha-numeric    := /[a-z0-9]+/
//! separator        := /[_.]|__|[-]+/
//! tag              := /[\w][\w.-]{0,127}/
//! digest           := digest-algorithm ":" digest-hex
//! digest-algorithm := component [ [+.-_] component ]*   ; component := /[A-Za-z][A-Za-z0-9]*/
//! digest-hex       := /[0-9a-fA-F]{32,}/
//! identifier       := /[a-f0-9]{64}/
//! ```
//!
//! The remote name (path) may be at most 255 characters; the domain does not count
//! (distribution/reference#9, v0.6.0). [`parse`] matches this grammar by hand in linear
//! time (see `grammar.rs`); no regular-expression engine is involved.
//!
//! # Digests
//!
//! The grammar accepts any algorithm and at least 32 hex digits. Like
//! distribution/reference, [`parse`] then validates the digest with go-digest's rules
//! ([`crate::digest::Digest::parse`]). A digest that fails the grammar makes the whole
//! input `invalid-reference-format`; one that fits the grammar but fails validation keeps
//! the digest module's code: `invalid-digest-length` (`sha256:` with 34 hex digits),
//! `invalid-digest-format` (uppercase hex, `SHA256:`), `unsupported-digest-algorithm`
//! (`md5:`, `sha384:` — hoist verifies only sha256 and sha512, while Go accepts sha384
//! when `crypto/sha512` is linked).
//!
//! # Normalization
//!
//! [`parse_normalized`] is `ParseNormalizedNamed`: familiar Docker names (`ubuntu`,
//! `user/app`) gain `docker.io/` and, for single components, `library/`;
//! `index.docker.io` becomes `docker.io`. A 64-hex-digit input is refused with
//! `name-is-image-id` because it could be an image ID. [`Reference::familiar`] undoes the
//! normalization (`FamiliarString`), and [`Reference::canonical`] adds `:latest` when
//! there is neither tag nor digest (`TagNameOnly`).
//!
//! # Short names and transports
//!
//! [`RegistriesConf`] parses containers-registries.conf(5) v2 (and converts v1): registry
//! prefixes, mirrors, aliases, unqualified-search registries and short-name mode, with the
//! resolution rules of containers/image `pkg/sysregistriesv2` and `pkg/shortnames`.
//! [`ImageLocation`] parses `docker://`, `oci:`, `oci-archive:`, `docker-archive:` and
//! `dir:` locations as containers/image transports do.

mod describe;
mod error;
mod grammar;
mod normalize;
mod registries;
mod short_names;
mod transport;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::digest::{excerpt, Digest};

pub use describe::describe;
pub use error::ReferenceError;
pub use grammar::{NAME_TOTAL_LENGTH_MAX, TAG_LENGTH_MAX};
pub use normalize::{is_identifier, parse_docker_ref, parse_named, parse_normalized};
pub use registries::{Endpoint, PullFromMirror, PullSource, RegistriesConf, Registry};
pub use short_names::{is_short_name, ResolutionOrigin, ShortNameMode, ShortNameResolution};
pub use transport::{ArchiveSelector, ImageLocation, OciSelector};

/// The design document's name for this module's error; the same type as
/// [`ReferenceError`].
pub type ParseError = ReferenceError;

/// The default tag added by [`Reference::canonical`] (`TagNameOnly`).
pub const DEFAULT_TAG: &str = "latest";

/// The Docker Hub domain that familiar names normalize to.
pub const DEFAULT_DOMAIN: &str = "docker.io";

/// A syntactically valid image reference: `[domain/]path[:tag][@digest]`.
///
/// A `Reference` keeps its exact string form; the parts are views into it. Two references
/// are equal when their strings are equal. It is built by [`parse`] (strict, as written),
/// [`parse_normalized`] (Docker normalization), [`Reference::parse_name`] (a bare name) or
/// the `with_*` methods, so its parts always fit the grammar in the module docs.
#[derive(Clone)]
pub struct Reference {
    text: String,
    domain_len: usize,
    name_len: usize,
    tag_end: usize,
    digest: Option<Digest>,
}

/// Parses a reference exactly as distribution/reference `Parse` does: no normalization,
/// so `ubuntu` has no domain and `foo/bar` has domain `foo`.
///
/// Errors: `name-empty`, `invalid-reference-format`, `name-contains-uppercase` (when the
/// lowercased input would parse), `name-too-long` (path over 255 characters), and the
/// digest codes described in the module docs.
pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
    grammar::parse_owned(s.to_owned())
}

impl Reference {
    pub(crate) fn from_parts(text: String, parts: grammar::Parts, digest: Option<Digest>) -> Self {
        Reference {
            text,
            domain_len: parts.domain_len,
            name_len: parts.name_len,
            tag_end: parts.tag_end,
            digest,
        }
    }

    /// Same as [`parse`].
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        parse(s)
    }

    /// A name with neither tag nor digest (distribution/reference `WithName`): the same
    /// name grammar and 255-character path limit as [`parse`].
    pub fn parse_name(name: &str) -> Result<Self, ReferenceError> {
        grammar::parse_name(name)
    }

    /// The whole reference as written (`String()` in Go).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `domain/path`, or just the path when there is no domain (`Name()`).
    pub fn name(&self) -> &str {
        self.text.get(..self.name_len).unwrap_or_default()
    }

    /// The domain (`host[:port]`), if the name has one.
    pub fn domain(&self) -> Option<&str> {
        match self.domain_len {
            0 => None,
            n => self.text.get(..n),
        }
    }

    /// The repository path (remote name) without the domain (`Path()`).
    pub fn path(&self) -> &str {
        let start = if self.domain_len > 0 {
            self.domain_len + 1
        } else {
            0
        };
        self.text.get(start..self.name_len).unwrap_or_default()
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        if self.tag_end > self.name_len {
            self.text.get(self.name_len + 1..self.tag_end)
        } else {
            None
        }
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// True when there is neither a tag nor a digest (`IsNameOnly`).
    pub fn is_name_only(&self) -> bool {
        self.tag_end == self.name_len && self.digest.is_none()
    }

    /// The name alone, dropping tag and digest (`TrimNamed`).
    pub fn trim(&self) -> Reference {
        let mut text = self.text.clone();
        text.truncate(self.name_len);
        Reference {
            text,
            domain_len: self.domain_len,
            name_len: self.name_len,
            tag_end: self.name_len,
            digest: None,
        }
    }

    /// The same name and digest with `tag` (`WithTag`). A digest already present is kept,
    /// an existing tag is replaced. Fails with `invalid-tag-format` unless `tag` fits
    /// `[\w][\w.-]{0,127}`.
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        if !grammar::is_tag(tag.as_bytes()) {
            return Err(ReferenceError::InvalidTag { tag: excerpt(tag) });
        }
        Ok(self.rebuild(Some(tag), self.digest.clone()))
    }

    /// The same name and tag with `digest` (`WithDigest`). A tag already present is kept,
    /// an existing digest is replaced. Infallible: a validated [`Digest`] always fits the
    /// reference grammar.
    pub fn with_digest(&self, digest: Digest) -> Reference {
        self.rebuild(self.tag(), Some(digest))
    }

    /// `TagNameOnly`: adds the tag `latest` when there is neither tag nor digest.
    pub fn tag_name_only(&self) -> Reference {
        if self.is_name_only() {
            self.rebuild(Some(DEFAULT_TAG), None)
        } else {
            self.clone()
        }
    }

    /// The canonical string (`TagNameOnly(ref).String()`): the reference as is, with
    /// `:latest` appended when it has neither tag nor digest.
    pub fn canonical(&self) -> String {
        if self.is_name_only() {
            let mut s = String::with_capacity(self.text.len() + 1 + DEFAULT_TAG.len());
            s.push_str(&self.text);
            s.push(':');
            s.push_str(DEFAULT_TAG);
            s
        } else {
            self.text.clone()
        }
    }

    fn rebuild(&self, tag: Option<&str>, digest: Option<Digest>) -> Reference {
        let name = self.name();
        let mut text = String::with_capacity(
            name.len()
                + tag.map_or(0, |t| t.len() + 1)
                + digest.as_ref().map_or(0, |d| d.as_str().len() + 1),
        );
        text.push_str(name);
        if let Some(t) = tag {
            text.push(':');
            text.push_str(t);
        }
        let tag_end = text.len();
        if let Some(d) = &digest {
            text.push('@');
            text.push_str(d.as_str());
        }
        Reference {
            text,
            domain_len: self.domain_len,
            name_len: self.name_len,
            tag_end,
            digest,
        }
    }
}

impl PartialEq for Reference {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Reference {}

impl std::hash::Hash for Reference {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for Reference {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Reference {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({})", self.text)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl AsRef<str> for Reference {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Reference {
    /// Deserializes with the strict [`parse`], so a serialized reference reads back equal.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;

    const F64: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    #[test]
    fn parse_table() {
        // A few rows of distribution/reference TestReferenceParse; the full table is in
        // tests/vectors/reference_parse.json.
        // (input, Ok((domain, path, tag, digest)) or Err(code))
        type Row<'a> = (
            &'a str,
            Result<(Option<&'a str>, &'a str, Option<&'a str>, bool), &'a str>,
        );
        let d = format!("test:5000/repo:tag@sha256:{F64}");
        let rows: Vec<Row<'_>> = vec![
            ("test_com", Ok((None, "test_com", None, false))),
            ("test.com:5000", Ok((None, "test.com", Some("5000"), false))),
            (&d, Ok((Some("test:5000"), "repo", Some("tag"), true))),
            (
                "[2001:db8::1]:5000/repo",
                Ok((Some("[2001:db8::1]:5000"), "repo", None, false)),
            ),
            ("", Err("name-empty")),
            (":justtag", Err("invalid-reference-format")),
            ("Uppercase:tag", Err("name-contains-uppercase")),
            ("[fe80::1%eth0]:5000/repo", Err("invalid-reference-format")),
        ];
        for (input, want) in rows {
            match (parse(input), want) {
                (Ok(r), Ok((domain, path, tag, digest))) => {
                    assert_eq!(r.domain(), domain, "{input}");
                    assert_eq!(r.path(), path, "{input}");
                    assert_eq!(r.tag(), tag, "{input}");
                    assert_eq!(r.digest().is_some(), digest, "{input}");
                    assert_eq!(r.as_str(), input);
                }
                (Err(e), Err(code)) => assert_eq!(e.code(), code, "{input}"),
                (got, _) => panic!("{input}: {got:?}"),
            }
        }
    }

    #[test]
    fn digest_errors_keep_digest_codes() {
        let cases = [
            (
                format!("repo@sha256:{}", "f".repeat(34)),
                "invalid-digest-length",
            ),
            (
                format!("validname@invaliddigest:{F64}"),
                "unsupported-digest-algorithm",
            ),
            (
                format!("repo@sha256:{}", F64.to_uppercase()),
                "invalid-digest-format",
            ),
            (format!("repo@SHA256:{F64}"), "invalid-digest-format"),
            (
                format!("repo@sha384:{}", "f".repeat(96)),
                "unsupported-digest-algorithm",
            ),
            ("repo@sha256:abc".to_owned(), "invalid-reference-format"),
        ];
        for (input, code) in cases {
            assert_eq!(
                parse(&input).map_err(|e| e.code()).err(),
                Some(code),
                "{input}"
            );
        }
    }

    #[test]
    fn with_tag_and_digest() {
        let d = Digest::parse(&format!("sha256:{F64}")).expect("valid");
        let name = Reference::parse_name("test.com:8000/foo").expect("valid");
        let tagged = name.with_tag("TAG5").expect("valid tag");
        assert_eq!(tagged.as_str(), "test.com:8000/foo:TAG5");
        let both = tagged.with_digest(d.clone());
        assert_eq!(
            both.as_str(),
            format!("test.com:8000/foo:TAG5@sha256:{F64}")
        );
        assert_eq!(both.tag(), Some("TAG5"));
        let retagged = both.with_tag("latest").expect("valid tag");
        assert_eq!(
            retagged.as_str(),
            format!("test.com:8000/foo:latest@sha256:{F64}")
        );
        assert_eq!(retagged.digest(), Some(&d));
        assert_eq!(
            name.with_tag("-foo").map_err(|e| e.code()).err(),
            Some("invalid-tag-format")
        );
        assert_eq!(both.trim().as_str(), "test.com:8000/foo");
        assert!(both.trim().is_name_only());
        assert_eq!(name.canonical(), "test.com:8000/foo:latest");
        assert_eq!(both.canonical(), both.as_str());
    }

    #[test]
    fn serde_as_string() {
        let r = parse("quay.io/a/b:1").expect("valid");
        let json = serde_json::to_string(&r).expect("ser");
        assert_eq!(json, "\"quay.io/a/b:1\"");
        let back: Reference = serde_json::from_str(&json).expect("de");
        assert_eq!(back, r);
        assert!(serde_json::from_str::<Reference>("\"A:b\"").is_err());
    }

    #[test]
    fn megabyte_inputs_are_rejected() {
        const MB: usize = 1 << 20;
        let cases = [
            ("a".repeat(MB), "name-too-long"),
            ("A".repeat(MB), "name-contains-uppercase"),
            (format!("a:{}", "b".repeat(MB)), "invalid-reference-format"),
            (
                format!("a@sha256:{}", "f".repeat(MB)),
                "invalid-digest-length",
            ),
            ("a/".repeat(MB / 2), "invalid-reference-format"),
            ("a-".repeat(MB / 2) + "a", "name-too-long"),
            (format!("[{}/a", ":".repeat(MB)), "invalid-reference-format"),
            ("a".repeat(MB) + "$", "invalid-reference-format"),
        ];
        for (input, code) in &cases {
            assert_eq!(parse(input).map_err(|e| e.code()).err(), Some(*code));
            assert!(parse_normalized(input).is_err());
        }
        // Only the path is length-limited (distribution/reference v0.6.0), so a huge
        // domain is accepted, as in Go.
        let huge_domain = format!("[{}]/a", ":".repeat(MB));
        assert_eq!(
            parse(&huge_domain)
                .map(|r| r.path().to_owned())
                .ok()
                .as_deref(),
            Some("a")
        );
    }

    fn path_component() -> impl Strategy<Value = String> {
        (
            "[a-z0-9]{1,4}",
            prop::collection::vec(("(\\.|_|__|-|---)", "[a-z0-9]{1,4}"), 0..3),
        )
            .prop_map(|(head, rest)| {
                let mut s = head;
                for (sep, run) in rest {
                    s.push_str(&sep);
                    s.push_str(&run);
                }
                s
            })
    }

    fn domain() -> impl Strategy<Value = String> {
        prop_oneof![
            (
                prop::collection::vec("[a-zA-Z0-9]([a-zA-Z0-9-]{0,4}[a-zA-Z0-9])?", 1..4),
                prop::option::of("[0-9]{1,5}"),
            )
                .prop_map(|(parts, port)| {
                    let mut s = parts.join(".");
                    if let Some(p) = port {
                        s.push(':');
                        s.push_str(&p);
                    }
                    s
                }),
            ("[0-9a-fA-F:]{1,12}", prop::option::of("[0-9]{1,5}")).prop_map(|(a, port)| {
                match port {
                    Some(p) => format!("[{a}]:{p}"),
                    None => format!("[{a}]"),
                }
            }),
            Just("localhost".to_owned()),
        ]
    }

    fn reference_string() -> impl Strategy<Value = String> {
        (
            prop::option::of(domain()),
            prop::collection::vec(path_component(), 1..4),
            prop::option::of("[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,20}"),
            prop::option::of(prop_oneof![
                "[0-9a-f]{64}".prop_map(|h| format!("sha256:{h}")),
                "[0-9a-f]{128}".prop_map(|h| format!("sha512:{h}"))
            ]),
        )
            .prop_map(|(domain, path, tag, digest)| {
                let mut s = String::new();
                if let Some(d) = domain {
                    s.push_str(&d);
                    s.push('/');
                }
                s.push_str(&path.join("/"));
                if let Some(t) = tag {
                    s.push(':');
                    s.push_str(&t);
                }
                if let Some(d) = digest {
                    s.push('@');
                    s.push_str(&d);
                }
                s
            })
    }

    proptest! {
        #[test]
        fn parse_display_round_trip(s in reference_string()) {
            let r = parse(&s).expect("generated references are valid");
            prop_assert_eq!(r.to_string(), s.clone());
            let again = parse(r.as_str()).expect("display parses");
            prop_assert_eq!(&again, &r);
            prop_assert_eq!(again.domain(), r.domain());
            prop_assert_eq!(again.path(), r.path());
            prop_assert_eq!(again.tag(), r.tag());
            prop_assert_eq!(again.digest(), r.digest());
            let mut rebuilt = r.name().to_owned();
            if let Some(t) = r.tag() { rebuilt.push(':'); rebuilt.push_str(t); }
            if let Some(d) = r.digest() { rebuilt.push('@'); rebuilt.push_str(d.as_str()); }
            prop_assert_eq!(rebuilt, s);
        }

        #[test]
        fn normalize_familiar_round_trip(s in reference_string()) {
            let Ok(n) = parse_normalized(&s) else { return Ok(()); };
            let familiar = n.familiar();
            // Known asymmetries of Docker's familiar form (Go has them too): a Docker Hub
            // namespace that looks like a registry, and a 64-hex official image name.
            let first = familiar.split_once('/').map(|(f, _)| f);
            prop_assume!(!first.is_some_and(|f| f.contains(['.', ':']) || f == "localhost"
                || f.chars().any(|c| c.is_ascii_uppercase())));
            prop_assume!(!is_identifier(familiar));
            let again = parse_normalized(familiar).expect("familiar form normalizes");
            prop_assert_eq!(&again, &n);
            prop_assert_eq!(again.familiar(), familiar);
            let canonical = parse_normalized(&n.canonical()).expect("canonical parses");
            prop_assert_eq!(canonical.as_str(), n.canonical());
        }

        #[test]
        fn never_panics(s in "[a-zA-Z0-9:/@._\\-\\[\\]%$]{0,48}") {
            for r in [parse(&s), parse_normalized(&s), Reference::parse_name(&s)] {
                if let Err(e) = r {
                    prop_assert!(!e.code().is_empty());
                }
            }
            let _ = ImageLocation::parse(&s);
            let _ = is_short_name(&s);
        }

        #[test]
        fn never_panics_on_any_string(s in any::<String>()) {
            let _ = parse(&s);
            let _ = parse_normalized(&s);
            let _ = ImageLocation::parse(&s);
            let _ = RegistriesConf::parse(&s);
        }
    }
}
