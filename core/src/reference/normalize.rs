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
    let (domain, remainder) = match s.split_once('/') {
        None => (DEFAULT_DOMAIN, s),
        Some((first, rest)) => {
            if first == "localhost" {
                (first, rest)
            } else if first == LEGACY_DEFAULT_DOMAIN {
                (DEFAULT_DOMAIN, rest)
            } else if first.contains(['.', ':']) || has_uppercase(first) {
                (first, rest)
            } else {
                (DEFAULT_DOMAIN, s)
            }
        }
    };
    let library = domain == DEFAULT_DOMAIN && !remainder.contains('/');
    let remote = remainder.split_once(':').map_or(remainder, |(r, _)| r);
    if has_uppercase(remote) {
        return Err(ReferenceError::NameContainsUppercase { input: excerpt(s) });
    }
    let prefix = if library { OFFICIAL_REPO_PREFIX } else { "" };
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
