//! Docker normalization (distribution/reference `normalize.go`): familiar names to
//! canonical ones and back.

use super::grammar;
use super::{Reference, ReferenceError, DEFAULT_DOMAIN};
use crate::digest::excerpt;

/// The legacy Docker Hub domain, rewritten to `docker.io`.
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";

/// The namespace of Docker Hub's official images.
const OFFICIAL_REPO_PREFIX: &str = "library/";

/// True for `[a-f0-9]{64}`, distribution/reference's `identifier`: a string that could be
/// an image ID and so is never a familiar name.
pub fn is_identifier(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// True when Go's `strings.ToLower` would change `s`.
fn has_uppercase(s: &str) -> bool {
    if s.is_ascii() {
        return s.bytes().any(|b| b.is_ascii_uppercase());
    }
    s.chars().any(|c| {
        let mut lower = c.to_lowercase();
        !(lower.next() == Some(c) && lower.next().is_none())
    })
}

/// True when an ASCII byte string has an uppercase letter; written as a fold without an
/// early exit so that it vectorizes.
fn ascii_upper(b: &[u8]) -> bool {
    b.iter().fold(false, |acc, &c| acc | c.is_ascii_uppercase())
}

/// `splitDockerDomain`'s test for a first component that names a registry: it contains
/// `.` or `:`, or it is not lowercase.
fn looks_like_domain(first: &str) -> bool {
    let b = first.as_bytes();
    if b.iter()
        .fold(false, |acc, &c| acc | (c == b'.') | (c == b':'))
    {
        return true;
    }
    if first.is_ascii() {
        ascii_upper(b)
    } else {
        has_uppercase(first)
    }
}

/// Whether the remainder contains a `/`, and whether its repository part (up to the
/// first `:`) is not lowercase.
fn scan_remainder(remainder: &str) -> (bool, bool) {
    let remote = remainder.split_once(':').map_or(remainder, |(r, _)| r);
    let upper = if remote.is_ascii() {
        ascii_upper(remote.as_bytes())
    } else {
        has_uppercase(remote)
    };
    (remainder.contains('/'), upper)
}

/// Parses a familiar or canonical name the way docker does (distribution/reference
/// `ParseNormalizedNamed`).
///
/// The first `/`-separated component is a domain when it is `localhost`, contains `.` or
/// `:`, or contains uppercase letters; otherwise the name lives on `docker.io`, and a
/// single-component name on `docker.io` gains `library/`. `index.docker.io` is rewritten
/// to `docker.io`.
///
/// Errors: `name-is-image-id` for 64 lowercase hex digits, `name-contains-uppercase` when
/// the repository part (up to the first `:`) is not lowercase, and everything [`super::parse`]
/// reports for the normalized string.
pub fn parse_normalized(s: &str) -> Result<Reference, ReferenceError> {
    if is_identifier(s) {
        return Err(ReferenceError::NameIsImageId {
            input: s.to_owned(),
        });
    }
    let (domain, remainder) = split_docker_domain(s);
    match fast_path(domain, remainder) {
        Some(result) => result,
        None => slow_path(s, domain, remainder),
    }
}

/// `splitDockerDomain`, without the `library/` prefix (see [`parse_normalized`]).
fn split_docker_domain(s: &str) -> (&str, &str) {
    // A byte loop: the first component is short, shorter than `memchr`'s set-up cost.
    let slash = s.as_bytes().iter().position(|&b| b == b'/');
    match slash.and_then(|i| Some((s.get(..i)?, s.get(i + 1..)?))) {
        None => (DEFAULT_DOMAIN, s),
        Some((first, rest)) => {
            if first == "localhost" {
                (first, rest)
            } else if first == LEGACY_DEFAULT_DOMAIN {
                (DEFAULT_DOMAIN, rest)
            } else if looks_like_domain(first) {
                (first, rest)
            } else {
                (DEFAULT_DOMAIN, s)
            }
        }
    }
}

/// Normalizes an input whose remainder already fits `remote-name [:tag] [@digest]`,
/// checking the remainder once and building the reference without parsing the
/// normalized string again. `None` sends every other input to [`slow_path`], which
/// finds the exact error.
fn fast_path(domain: &str, remainder: &str) -> Option<Result<Reference, ReferenceError>> {
    let rb = remainder.as_bytes();
    let tail = grammar::split_tail::<false>(rb, 0)?;
    // Go checks the remainder up to its first `:` for uppercase; without a tag that
    // reaches into the digest algorithm.
    if tail.tag_end == tail.name_end {
        if let Some(start) = tail.digest_start {
            let algorithm = rb.get(start..)?.split(|&b| b == b':').next()?;
            if ascii_upper(algorithm) {
                return None;
            }
        }
    }
    let is_domain = domain == DEFAULT_DOMAIN || grammar::is_domain_and_port(domain.as_bytes());
    if !is_domain && !grammar::is_path_component(domain.as_bytes()) {
        return None;
    }
    let prefix = if domain == DEFAULT_DOMAIN && !tail.has_slash {
        OFFICIAL_REPO_PREFIX
    } else {
        ""
    };
    let offset = domain.len() + 1 + prefix.len();
    let path_len = if is_domain {
        prefix.len() + tail.name_end
    } else {
        offset + tail.name_end
    };
    let (digest, digest_error) = match tail.digest_start.and_then(|start| remainder.get(start..)) {
        None => (None, None),
        Some(d) => match grammar::digest_after_split(d) {
            grammar::DigestCheck::Valid(d) => (Some(d), None),
            grammar::DigestCheck::Grammar => return None,
            grammar::DigestCheck::Invalid(e) => (None, Some(e)),
        },
    };
    if path_len > grammar::NAME_TOTAL_LENGTH_MAX {
        return Some(Err(ReferenceError::NameTooLong { length: path_len }));
    }
    if let Some(e) = digest_error {
        return Some(Err(e.into()));
    }
    let mut full = String::with_capacity(offset + remainder.len());
    full.push_str(domain);
    full.push('/');
    full.push_str(prefix);
    full.push_str(remainder);
    let parts = grammar::Parts {
        domain_len: if is_domain { domain.len() } else { 0 },
        name_len: offset + tail.name_end,
        tag_end: offset + tail.tag_end,
        digest_start: tail.digest_start.map(|d| offset + d),
    };
    Some(Ok(Reference::from_parts(full, parts, digest)))
}

/// `ParseNormalizedNamed` step by step: the lowercase check, then [`super::parse`] of the
/// normalized string.
fn slow_path(s: &str, domain: &str, remainder: &str) -> Result<Reference, ReferenceError> {
    let (has_slash, upper) = scan_remainder(remainder);
    if upper {
        return Err(ReferenceError::NameContainsUppercase { input: excerpt(s) });
    }
    let prefix = if domain == DEFAULT_DOMAIN && !has_slash {
        OFFICIAL_REPO_PREFIX
    } else {
        ""
    };
    let mut full = String::with_capacity(domain.len() + 1 + prefix.len() + remainder.len());
    full.push_str(domain);
    full.push('/');
    full.push_str(prefix);
    full.push_str(remainder);
    grammar::parse_owned(full)
}

/// distribution/reference `ParseNamed`: like [`parse_normalized`], but the input must
/// already be canonical (`docker.io/library/ubuntu`, not `ubuntu`); otherwise
/// `name-not-canonical`.
pub fn parse_named(s: &str) -> Result<Reference, ReferenceError> {
    let r = parse_normalized(s)?;
    if r.as_str() != s {
        return Err(ReferenceError::NameNotCanonical { input: excerpt(s) });
    }
    Ok(r)
}

/// distribution/reference `ParseDockerRef` (containerd and the CRI use it): normalizes,
/// drops the tag when both a tag and a digest are present, and adds `:latest` when there
/// is neither.
pub fn parse_docker_ref(s: &str) -> Result<Reference, ReferenceError> {
    let r = parse_normalized(s)?;
    match (r.tag(), r.digest()) {
        (Some(_), Some(d)) => Ok(r.trim().with_digest(d.clone())),
        _ => Ok(r.tag_name_only()),
    }
}

impl Reference {
    /// Parses with Docker normalization; same as [`parse_normalized`].
    pub fn parse_normalized(s: &str) -> Result<Self, ReferenceError> {
        parse_normalized(s)
    }

    /// Offset in the string where the familiar form starts: after `docker.io/` and, for
    /// `library/<one component>`, after `library/` too (`familiarizeName`).
    fn familiar_start(&self) -> usize {
        if self.domain() != Some(DEFAULT_DOMAIN) {
            return 0;
        }
        let path_start = DEFAULT_DOMAIN.len() + 1;
        match self.path().strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(rest) if !rest.contains('/') => path_start + OFFICIAL_REPO_PREFIX.len(),
            _ => path_start,
        }
    }

    /// The familiar name Docker shows (`FamiliarName`): `ubuntu` for
    /// `docker.io/library/ubuntu`, `user/app` for `docker.io/user/app`, other names as
    /// they are.
    pub fn familiar_name(&self) -> &str {
        self.name().get(self.familiar_start()..).unwrap_or_default()
    }

    /// The familiar string Docker shows (`FamiliarString`): [`Reference::familiar_name`]
    /// followed by the tag and digest.
    pub fn familiar(&self) -> &str {
        self.as_str()
            .get(self.familiar_start()..)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn normalize_table() {
        // (input, canonical string or error code, familiar)
        let cases: &[(&str, Result<&str, &str>, &str)] = &[
            ("ubuntu", Ok("docker.io/library/ubuntu"), "ubuntu"),
            (
                "ubuntu:20.04",
                Ok("docker.io/library/ubuntu:20.04"),
                "ubuntu:20.04",
            ),
            ("user/app", Ok("docker.io/user/app"), "user/app"),
            ("index.docker.io/foo", Ok("docker.io/library/foo"), "foo"),
            (
                "docker.io/library/a/b",
                Ok("docker.io/library/a/b"),
                "library/a/b",
            ),
            ("localhost/foo", Ok("localhost/foo"), "localhost/foo"),
            ("Foo/bar", Ok("Foo/bar"), "Foo/bar"),
            (
                "example.com:5000",
                Ok("docker.io/library/example.com:5000"),
                "example.com:5000",
            ),
            ("docker/Docker", Err("name-contains-uppercase"), ""),
            ("-docker", Err("invalid-reference-format"), ""),
            ("", Err("invalid-reference-format"), ""),
            (
                "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
                Err("name-is-image-id"),
                "",
            ),
        ];
        for (input, want, familiar) in cases {
            match (parse_normalized(input), want) {
                (Ok(r), Ok(s)) => {
                    assert_eq!(r.as_str(), *s, "{input}");
                    assert_eq!(r.familiar(), *familiar, "{input}");
                }
                (Err(e), Err(code)) => assert_eq!(e.code(), *code, "{input}"),
                (got, _) => panic!("{input}: {got:?}"),
            }
        }
    }

    fn same_as_slow_path(s: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        if !is_identifier(s) {
            let (domain, remainder) = split_docker_domain(s);
            if let Some(fast) = fast_path(domain, remainder) {
                proptest::prop_assert_eq!(fast, slow_path(s, domain, remainder));
            }
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn fast_path_matches_slow_path(s in "[a-zA-Z0-9:/@._\\-]{0,40}") {
            same_as_slow_path(&s)?;
        }

        #[test]
        fn fast_path_matches_slow_path_on_near_valid_input(
            domain in "(|docker\\.io/|index\\.docker\\.io/|localhost/|Foo/|a_b\\.c/|example\\.com:5000/|a:b/)",
            path in "[a-z0-9]{1,5}([._-][a-z0-9]{1,3})?(/[a-z0-9]{1,5}){0,2}",
            tag in "(|:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,8})",
            digest in "(|@(sha256|SHA256|sha512|md5):[0-9a-fA-F]{32,64})",
        ) {
            same_as_slow_path(&format!("{domain}{path}{tag}{digest}"))?;
        }
    }

    #[test]
    fn parse_named_and_docker_ref() {
        assert_eq!(
            parse_named("foo").map_err(|e| e.code()).err(),
            Some("name-not-canonical")
        );
        assert!(parse_named("docker.io/library/foo").is_ok());
        let d = format!("sha256:{}", "a".repeat(64));
        let r = parse_docker_ref(&format!("busybox:latest@{d}")).expect("valid");
        assert_eq!(r.as_str(), format!("docker.io/library/busybox@{d}"));
        let r = parse_docker_ref("busybox").expect("valid");
        assert_eq!(r.as_str(), "docker.io/library/busybox:latest");
    }
}
