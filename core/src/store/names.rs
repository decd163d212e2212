//! TEMPORARY shim: the few reference operations the store needs, until `crate::reference`
//! (distribution/reference grammar) lands on `main`. Private to the store; to be replaced
//! by `reference::parse` / `parse_normalized` and removed.

use crate::digest::Digest;

/// A reference split into the parts the store uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Name {
    /// Canonical repository, `domain/path` (docker.io and `library/` filled in).
    pub repo: String,
    /// The path as written, without domain (`redis`, `library/redis`).
    pub path: String,
    /// Whether the input named a domain.
    pub explicit_domain: bool,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The digest, if any.
    pub digest: Option<Digest>,
}

impl Name {
    /// `repo:tag`, with `latest` when no tag was given.
    pub fn tagged(&self) -> String {
        format!("{}:{}", self.repo, self.tag.as_deref().unwrap_or("latest"))
    }
}

/// The input is not a reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BadName;

fn is_domain_like(c: &str) -> bool {
    c.contains(['.', ':']) || c == "localhost" || c.bytes().any(|b| b.is_ascii_uppercase())
}

fn valid_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || d.starts_with('[') => (h, Some(p)),
        _ => (d, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    if host.starts_with('[') {
        return host.ends_with(']')
            && host.len() > 2
            && host[1..host.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':');
    }
    !host.is_empty()
        && host.split('.').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        })
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn valid_tag(t: &str) -> bool {
    let w = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let b = t.as_bytes();
    !b.is_empty() && b.len() <= 128 && w(b[0]) && b.iter().all(|&x| w(x) || x == b'.' || x == b'-')
}

/// Parses and normalizes a reference (docker `ParseNormalizedNamed` rules).
pub(crate) fn parse(s: &str) -> Result<Name, BadName> {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(Digest::parse(d).map_err(|_| BadName)?)),
        None => (s, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(rest[last_slash + i + 1..].to_owned()),
        ),
        None => (rest, None),
    };
    if let Some(t) = &tag {
        if !valid_tag(t) {
            return Err(BadName);
        }
    }
    if name.is_empty() || name.len() > 255 {
        return Err(BadName);
    }
    let (domain, path) = match name.split_once('/') {
        Some((d, p)) if is_domain_like(d) => (Some(d), p),
        _ => (None, name),
    };
    if let Some(d) = domain {
        if !valid_domain(d) {
            return Err(BadName);
        }
    }
    if !path.split('/').all(valid_component) {
        return Err(BadName);
    }
    if domain.is_none() && path.len() == 64 && path.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BadName);
    }
    let canonical_domain = match domain {
        None | Some("index.docker.io") => "docker.io",
        Some(d) => d,
    };
    let repo = if canonical_domain == "docker.io" && !path.contains('/') {
        format!("docker.io/library/{path}")
    } else {
        format!("{canonical_domain}/{path}")
    };
    Ok(Name {
        repo,
        path: path.to_owned(),
        explicit_domain: domain.is_some(),
        tag,
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        let cases: &[(&str, Option<(&str, bool)>)] = &[
            ("redis", Some(("docker.io/library/redis:latest", false))),
            (
                "library/redis",
                Some(("docker.io/library/redis:latest", false)),
            ),
            (
                "docker.io/library/redis",
                Some(("docker.io/library/redis:latest", true)),
            ),
            (
                "index.docker.io/redis",
                Some(("docker.io/library/redis:latest", true)),
            ),
            ("quay.io/x/redis:7", Some(("quay.io/x/redis:7", true))),
            ("localhost:5000/a", Some(("localhost:5000/a:latest", true))),
            ("localhost/a", Some(("localhost/a:latest", true))),
            ("Redis", None),
            ("redis:", None),
            ("", None),
            ("a//b", None),
            ("-a", None),
        ];
        for (input, want) in cases {
            let got = parse(input).ok().map(|n| (n.tagged(), n.explicit_domain));
            assert_eq!(
                got.as_ref().map(|(a, b)| (a.as_str(), *b)),
                *want,
                "{input}"
            );
        }
    }
}
