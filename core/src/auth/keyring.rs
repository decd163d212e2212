//! The kubelet keyring: image pull secrets matched to images by URL glob.
//!
//! Semantics of kubelet `pkg/credentialprovider/keyring.go` (`BasicDockerKeyring`):
//!
//! - each `auths` key becomes a match key: `https://` is assumed when there is no
//!   scheme, the scheme is dropped, a `/v1/` or `/v2/` path prefix means the bare host,
//!   and any other path is kept (`quay.io/org`);
//! - a key matches an image when the ports are equal, the hosts have the same number of
//!   dot-separated labels and each label matches as a glob (`*.gcr.io` matches
//!   `eu.gcr.io` but not `gcr.io` or `a.b.gcr.io`; Go `path.Match` syntax: `*`, `?`,
//!   `[…]`, `\`), and the key's path is a prefix of the image's path;
//! - **all** matching keys contribute, in kubelet's index order (keys sorted in reverse
//!   byte order, so `quay.io/org` comes before `quay.io`), each with every credential
//!   added under it, in the order added;
//! - entries without credentials (docker's `{}` markers) are skipped;
//! - when nothing matches and the image is on Docker Hub by its name (no registry part,
//!   or `docker.io/…`, `index.docker.io/…`), the credentials under `index.docker.io`
//!   (from a `https://index.docker.io/v1/` key) are returned.
//!
//! One deliberate difference: kubelet compares paths as raw string prefixes, so a key
//! `host/pong` also matches `host/pongz`; hoist matches whole path components only
//! (`host/pong` matches `host/pong` and `host/pong/…`), so a namespace's credentials are
//! never sent for a sibling namespace that merely shares a prefix.

use std::collections::BTreeMap;

use super::docker_config::DockerConfig;
use super::realm::{split_host_port, split_url};
use super::{AuthError, Credentials};

/// Longest host label that can match (DNS allows 63; a little slack is harmless and keeps
/// glob matching bounded).
const MAX_LABEL: usize = 255;

const DEFAULT_REGISTRY_KEY: &str = "index.docker.io";

/// Credentials from image pull secrets, indexed for image lookup (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keyring {
    /// Match keys, deduplicated, in reverse byte order.
    index: Vec<String>,
    creds: BTreeMap<String, Vec<Credentials>>,
}

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Keyring::default()
    }

    /// Adds every `auths` entry of `config` that carries credentials. Keys that do not
    /// parse as a host are skipped, as kubelet does.
    ///
    /// All or nothing: when an entry's `auth` does not decode, nothing is added and the
    /// error is returned (kubelet rejects the whole pull secret).
    pub fn add(&mut self, config: &DockerConfig) -> Result<(), AuthError> {
        let mut staged = Vec::new();
        for entry in config.entries() {
            match &entry.decoded {
                Err(e) => return Err(e.clone()),
                Ok(None) => {}
                Ok(Some(credentials)) => {
                    if let Some(key) = match_key(&entry.key) {
                        staged.push((key, credentials.clone()));
                    }
                }
            }
        }
        for (key, credentials) in staged {
            if !self.creds.contains_key(&key) {
                self.index.push(key.clone());
            }
            self.creds.entry(key).or_default().push(credentials);
        }
        self.index.sort_unstable_by(|a, b| b.cmp(a));
        Ok(())
    }

    /// Every credential whose key matches `image`, a repository name without tag or
    /// digest (`registry.example.com:5000/team/app`, `busybox`), most specific first.
    /// Empty when nothing matches.
    pub fn lookup(&self, image: &str) -> Vec<Credentials> {
        let Some(target) = SchemelessUrl::parse(image) else {
            return Vec::new();
        };
        let found: Vec<Credentials> = self
            .index
            .iter()
            .filter(|key| SchemelessUrl::parse(key).is_some_and(|glob| glob.matches(&target)))
            .filter_map(|key| self.creds.get(key))
            .flatten()
            .cloned()
            .collect();
        if !found.is_empty() {
            return found;
        }
        if is_default_registry_match(image) {
            if let Some(hub) = self.creds.get(DEFAULT_REGISTRY_KEY) {
                return hub.clone();
            }
        }
        Vec::new()
    }

    /// True when no credentials were added.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// kubelet's match key for an `auths` key (`BasicDockerKeyring.Add`).
fn match_key(loc: &str) -> Option<String> {
    let with_scheme;
    let url = if loc.starts_with("https://") || loc.starts_with("http://") {
        loc
    } else {
        with_scheme = format!("https://{loc}");
        &with_scheme
    };
    let parts = split_url(url)?;
    if parts.host.is_empty() || parts.userinfo.is_some() {
        return None;
    }
    let path = parts.rest.split(['?', '#']).next().unwrap_or("");
    let path = if path.starts_with("/v1/") || path.starts_with("/v2/") {
        &path[3..]
    } else {
        path
    };
    let path = path.trim_end_matches('/');
    let hostport = match parts.port {
        Some(port) => format!("{}:{port}", parts.host),
        None => parts.host.to_owned(),
    };
    Some(format!("{hostport}{path}"))
}

/// kubelet `isDefaultRegistryMatch`: the image lives on Docker Hub by its name.
pub fn is_default_registry_match(image: &str) -> bool {
    let Some((first, _)) = image.split_once('/') else {
        return !image.is_empty();
    };
    if first.is_empty() {
        return false;
    }
    if first == "docker.io" || first == "index.docker.io" {
        return true;
    }
    !first.contains(['.', ':'])
}

/// kubelet `URLsMatchStr`: does the key `glob` match `target` (both without scheme)?
/// Paths match on whole components (see the module docs).
pub fn urls_match(glob: &str, target: &str) -> bool {
    match (SchemelessUrl::parse(glob), SchemelessUrl::parse(target)) {
        (Some(g), Some(t)) => g.matches(&t),
        _ => false,
    }
}

/// A key or image name cut like kubelet's `ParseSchemelessURL` + `SplitURL`.
struct SchemelessUrl<'a> {
    host: &'a str,
    port: &'a str,
    path: &'a str,
}

impl<'a> SchemelessUrl<'a> {
    fn parse(s: &'a str) -> Option<Self> {
        let end = s.find(['/', '?', '#']).unwrap_or(s.len());
        let (hostport, rest) = s.split_at(end);
        if hostport.contains('@') {
            return None;
        }
        let (host, port) = match split_host_port(hostport) {
            Some((h, p)) => (h, p.unwrap_or("")),
            None => (hostport, ""),
        };
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let path = rest.split(['?', '#']).next().unwrap_or("");
        Some(SchemelessUrl { host, port, path })
    }

    fn matches(&self, target: &SchemelessUrl<'_>) -> bool {
        if self.port != target.port || !path_prefix(self.path, target.path) {
            return false;
        }
        let mut globs = self.host.split('.');
        let mut names = target.host.split('.');
        loop {
            match (globs.next(), names.next()) {
                (None, None) => return true,
                (Some(g), Some(n)) => {
                    if !glob_match(g.as_bytes(), n.as_bytes()) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }
}

/// `prefix` is `path` or a leading run of its `/`-separated components.
fn path_prefix(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Go `path.Match` for one host label (no `/` in either side). A malformed pattern
/// matches nothing. Runs in O(|pattern| × |name|), both bounded by [`MAX_LABEL`].
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    if pattern.len() > MAX_LABEL || name.len() > MAX_LABEL {
        return false;
    }
    let (mut p, mut n) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, name index it covers up to).
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, n));
                p += 1;
                continue;
            }
            Some(_) => {
                if let Some((matched, next)) = match_one(pattern, p, name[n]) {
                    if matched {
                        p = next;
                        n += 1;
                        continue;
                    }
                } else {
                    return false;
                }
            }
            None => {}
        }
        match star {
            Some((sp, sn)) => {
                p = sp;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    while pattern.get(p) == Some(&b'*') {
        p += 1;
    }
    if p == pattern.len() {
        return true;
    }
    // Go reports ErrBadPattern for a malformed rest; either way it is no match.
    false
}

/// Matches one pattern element at `p` (a literal, `?`, `\x` or a `[…]` class) against
/// byte `c`. `None` for a malformed pattern; otherwise (matched, index after element).
fn match_one(pattern: &[u8], p: usize, c: u8) -> Option<(bool, usize)> {
    match *pattern.get(p)? {
        b'?' => Some((true, p + 1)),
        b'\\' => {
            let lit = *pattern.get(p + 1)?;
            Some((lit == c, p + 2))
        }
        b'[' => {
            let mut i = p + 1;
            let negated = pattern.get(i) == Some(&b'^');
            if negated {
                i += 1;
            }
            let mut matched = false;
            let mut first = true;
            loop {
                let b = *pattern.get(i)?;
                if b == b']' && !first {
                    i += 1;
                    break;
                }
                first = false;
                let (lo, after) = class_char(pattern, i)?;
                let (hi, after) = if pattern.get(after) == Some(&b'-') {
                    let (hi, after) = class_char(pattern, after + 1)?;
                    (hi, after)
                } else {
                    (lo, after)
                };
                if lo > hi {
                    return None;
                }
                if lo <= c && c <= hi {
                    matched = true;
                }
                i = after;
            }
            Some((matched != negated, i))
        }
        lit => Some((lit == c, p + 1)),
    }
}

/// One character inside a class: a literal or `\x`; `-` and `]` are not literals here.
fn class_char(pattern: &[u8], i: usize) -> Option<(u8, usize)> {
    match *pattern.get(i)? {
        b'\\' => Some((*pattern.get(i + 1)?, i + 2)),
        b'-' | b']' => None,
        b => Some((b, i + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Secret;

    fn user(c: &Credentials) -> &str {
        c.username().unwrap_or("?")
    }

    #[test]
    fn url_match_table() {
        // kubelet keyring_test.go TestURLsMatch, plus hoist's whole-component rule.
        let cases: &[(&str, &str, bool)] = &[
            ("*.kubernetes.io", "prefix.kubernetes.io", true),
            ("prefix.*.io", "prefix.kubernetes.io", true),
            ("prefix.kubernetes.*", "prefix.kubernetes.io", true),
            ("*-good.kubernetes.io", "prefix-good.kubernetes.io", true),
            ("*.kubernetes.io/blah", "prefix.kubernetes.io/blah", true),
            ("prefix.*.io/foo", "prefix.kubernetes.io/foo/bar", true),
            (
                "*.kubernetes.io:1111/blah",
                "prefix.kubernetes.io:1111/blah",
                true,
            ),
            (
                "prefix.*.io:1111/foo",
                "prefix.kubernetes.io:1111/foo/bar",
                true,
            ),
            ("*.kubernetes.io", "kubernetes.io", false),
            ("*.*.kubernetes.io", "prefix.kubernetes.io", false),
            ("*.*.kubernetes.io", "kubernetes.io", false),
            ("kubernetes.io", "kubernetes.com", false),
            ("k*.io", "quay.io", false),
            (
                "*.kubernetes.io:1234/blah",
                "prefix.kubernetes.io:1111/blah",
                false,
            ),
            (
                "prefix.*.io/foo",
                "prefix.kubernetes.io:1111/foo/bar",
                false,
            ),
            ("bar.example.com/pong", "bar.example.com/pongz", false),
            // `?` starts a query in kubelet's url.Parse too, so it is no glob in hosts.
            ("r?g.io", "reg.io", false),
            ("[a-c]x.io", "bx.io", true),
            ("[^a-c]x.io", "bx.io", false),
            ("\\*.io", "a.io", false),
            ("[z-a].io", "a.io", false),
            ("[a.io", "a.io", false),
            ("*a*b*c", "xaxbxc", true),
            ("*a*b*c", "xaxbxcx", false),
            ("[::1]:5000", "[::1]:5000/app", true),
        ];
        for (glob, target, want) in cases {
            assert_eq!(urls_match(glob, target), *want, "{glob} vs {target}");
        }
    }

    #[test]
    fn default_registry_table() {
        // kubelet TestIsDefaultRegistryMatch
        let cases: &[(&str, bool)] = &[
            ("foo/bar", true),
            ("docker.io/foo/bar", true),
            ("index.docker.io/foo/bar", true),
            ("foo", true),
            ("", false),
            ("registry.tld/foo/bar", false),
            ("registry:5000/foo/bar", false),
            ("myhostdocker.io/foo/bar", false),
        ];
        for (image, want) in cases {
            assert_eq!(is_default_registry_match(image), *want, "{image}");
        }
    }

    #[test]
    fn lookup_order_and_fallback() {
        // kubelet TestDockerKeyringLookup and TestIssue3797.
        let cfg = DockerConfig::parse(
            br#"{"auths":{
                "bar.example.com/pong":{"username":"grace","password":"squash"},
                "bar.example.com":{"username":"ada","password":"smash"},
                "https://quay.io/v1/":{"username":"rex","password":"tiny arms"},
                "https://index.docker.io/v1/":{"username":"hub","password":"x"},
                "empty.example.com":{}
            }}"#,
        )
        .expect("valid");
        let mut ring = Keyring::new();
        ring.add(&cfg).expect("valid");
        let cases: &[(&str, &[&str])] = &[
            ("bar.example.com", &["ada"]),
            ("bar.example.com/pong", &["grace", "ada"]),
            ("bar.example.com/ping", &["ada"]),
            ("bar.example.com/pongz", &["ada"]),
            ("bar.example.com/pong/pang", &["grace", "ada"]),
            // One component is a Docker Hub name (docker.io/library/example.com).
            ("example.com", &["hub"]),
            ("foo.example.com/x", &[]),
            ("quay.io", &["rex"]),
            ("quay.io/foo", &["rex"]),
            ("quay.io/foo/bar", &["rex"]),
            ("google/docker-registry", &["hub"]),
            ("jenkins", &["hub"]),
            ("index.docker.io/google/docker-registry", &["hub"]),
            ("docker.io/library/busybox", &["hub"]),
            ("world.mesos.org/foo/bar", &[]),
            ("empty.example.com/a", &[]),
        ];
        for (image, want) in cases {
            let got = ring.lookup(image);
            let names: Vec<&str> = got.iter().map(user).collect();
            assert_eq!(names, *want, "{image}");
        }
        let text = format!("{ring:?}");
        assert!(
            !text.contains("smash") && !text.contains("tiny arms"),
            "{text}"
        );
    }

    #[test]
    fn union_and_all_or_nothing() {
        let a =
            DockerConfig::parse(br#"{"auths":{"r.io":{"auth":"Zm9vOmJhcg=="}}}"#).expect("valid");
        let b =
            DockerConfig::parse(br#"{"auths":{"https://r.io":{"username":"two","password":"p"}}}"#)
                .expect("valid");
        let bad = DockerConfig::parse(
            br#"{"auths":{"s.io":{"username":"x","password":"y"},"t.io":{"auth":"pants"}}}"#,
        )
        .expect("parses; decoding is deferred");
        let mut ring = Keyring::new();
        ring.add(&a).expect("ok");
        ring.add(&b).expect("ok");
        assert!(ring.add(&bad).is_err());
        let got = ring.lookup("r.io/app");
        assert_eq!(got.iter().map(user).collect::<Vec<_>>(), ["foo", "two"]);
        assert!(ring.lookup("s.io/app").is_empty());
        assert_eq!(
            got.first(),
            Some(&Credentials::Basic {
                username: "foo".into(),
                password: Secret::new("bar")
            })
        );
    }

    #[test]
    fn glob_is_bounded() {
        let long = "a".repeat(10_000);
        assert!(!urls_match(&format!("{}*b", "*a".repeat(5000)), &long));
        let pattern = format!("{}b", "*a".repeat(100));
        assert!(!glob_match(pattern.as_bytes(), "a".repeat(250).as_bytes()));
    }
}
