//! The small part of URLs (RFC 3986) that a registry client needs: absolute `http`/`https`
//! URLs, origins, and resolving a `Location` header against the request it answers.
//!
//! Registries hand us URLs in three places: `Location` on redirects and upload sessions,
//! the `realm` of a Bearer challenge, and foreign-layer `urls`. Each decides where a
//! request (and possibly a credential) goes, so parsing is strict: only `http` and
//! `https`, no userinfo (RFC 3986 §3.2.1 — credentials in a URL would bypass the
//! credential rules), a non-empty host, a numeric port, no whitespace or control bytes.
//! Hosts are compared case-insensitively and default ports are made explicit, so
//! `https://R.example` and `https://r.example:443` are one origin (RFC 6454 §4).

use std::fmt;

use crate::digest::excerpt;
use crate::ErrorCode;

/// `http` or `https`: the only schemes a registry conversation may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP: only for registries configured as insecure or `--plain-http`.
    Http,
    /// HTTPS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// 80 or 443.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Why a string is not a URL hoist will send a request to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// Not an absolute URL (or a resolvable relative one) of the accepted form.
    Invalid {
        /// The input, cut short.
        input: String,
    },
    /// A scheme other than `http` or `https`.
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
    },
    /// The URL carries `user:password@`.
    UserInfo,
}

impl ErrorCode for UrlError {
    fn code(&self) -> &'static str {
        match self {
            UrlError::Invalid { .. } => "invalid-url",
            UrlError::UnsupportedScheme { .. } => "unsupported-url-scheme",
            UrlError::UserInfo => "url-has-userinfo",
        }
    }
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Invalid { input } => write!(f, "invalid url {input:?}"),
            UrlError::UnsupportedScheme { scheme } => {
                write!(f, "unsupported url scheme {scheme:?}: only http and https")
            }
            // The input is not echoed: it holds a credential.
            UrlError::UserInfo => f.write_str("url carries credentials (user:password@); refused"),
        }
    }
}

impl std::error::Error for UrlError {}

/// An absolute `http`/`https` URL, split into the parts requests are routed by.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Url {
    scheme: Scheme,
    /// Lowercased; IPv6 literals keep their brackets.
    host: String,
    port: u16,
    /// Path and query, always starting with `/`. The fragment is dropped.
    path_and_query: String,
}

impl Url {
    /// Parses an absolute URL.
    pub fn parse(s: &str) -> Result<Url, UrlError> {
        let invalid = || UrlError::Invalid { input: excerpt(s) };
        if s.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(invalid());
        }
        let (scheme, rest) = s.split_once("://").ok_or_else(invalid)?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => {
                return Err(UrlError::UnsupportedScheme {
                    scheme: excerpt(other),
                })
            }
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, port) = split_host_port(authority).ok_or_else(invalid)?;
        let port = match port {
            Some(p) => p,
            None => scheme.default_port(),
        };
        let tail = tail.split('#').next().unwrap_or_default();
        let path_and_query = if tail.starts_with('/') {
            tail.to_owned()
        } else {
            format!("/{tail}")
        };
        Ok(Url {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path_and_query,
        })
    }

    /// Builds `scheme://host[:port]/path` from parts; `authority` is `host[:port]`.
    pub fn from_parts(
        scheme: Scheme,
        authority: &str,
        path_and_query: &str,
    ) -> Result<Url, UrlError> {
        let path = if path_and_query.starts_with('/') {
            path_and_query.to_owned()
        } else {
            format!("/{path_and_query}")
        };
        Url::parse(&format!("{}://{authority}{path}", scheme.as_str()))
    }

    /// Resolves `location` (a `Location` header value: absolute, scheme-relative,
    /// absolute-path or relative-path) against `self` (RFC 3986 §5.2, without dot-segment
    /// removal, which registries do not rely on).
    pub fn join(&self, location: &str) -> Result<Url, UrlError> {
        if location.contains("://") {
            return Url::parse(location);
        }
        if let Some(rest) = location.strip_prefix("//") {
            return Url::parse(&format!("{}://{rest}", self.scheme.as_str()));
        }
        let path = if location.starts_with('/') {
            location.to_owned()
        } else if location.starts_with('?') {
            let base = self.path_and_query.split('?').next().unwrap_or("/");
            format!("{base}{location}")
        } else {
            let base = self.path_and_query.split('?').next().unwrap_or("/");
            let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
            format!("{dir}{location}")
        };
        Url::from_parts(self.scheme, &self.authority(), &path)
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host, lowercased (IPv6 literals in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, explicit even when it is the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host` or `host:port` (the port only when not the default), as in a `Host` header.
    pub fn authority(&self) -> String {
        if self.port == self.scheme.default_port() {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The path and query, starting with `/`.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    /// True when both URLs share scheme, host and port (RFC 6454 origin). Credentials
    /// never cross an origin boundary.
    pub fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme && self.host == other.host && self.port == other.port
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority(),
            self.path_and_query
        )
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Url({self})")
    }
}

/// Splits `host[:port]` / `[v6]:port`; `None` when malformed.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let host = &authority[..=close];
        let inner = &host[1..host.len() - 1];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        match &authority[close + 1..] {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty()
        || !(host.starts_with('[')
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')))
    {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok().filter(|&n| n != 0)?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let ok = [
            (
                "https://registry-1.docker.io/v2/",
                "https://registry-1.docker.io/v2/",
            ),
            (
                "HTTPS://R.Example:443/x?y=1#frag",
                "https://r.example/x?y=1",
            ),
            ("http://127.0.0.1:5000", "http://127.0.0.1:5000/"),
            ("http://[::1]:5000/v2/a", "http://[::1]:5000/v2/a"),
            (
                "https://auth.example?service=x",
                "https://auth.example/?service=x",
            ),
        ];
        for (input, want) in ok {
            assert_eq!(
                Url::parse(input).map(|u| u.to_string()),
                Ok(want.to_owned()),
                "{input}"
            );
        }
        let bad = [
            ("ftp://x/", "unsupported-url-scheme"),
            ("file:///etc/passwd", "unsupported-url-scheme"),
            ("https://user:pw@x/", "url-has-userinfo"),
            ("https:///path", "invalid-url"),
            ("https://x:99999/", "invalid-url"),
            ("https://x:0/", "invalid-url"),
            ("https://x y/", "invalid-url"),
            ("https://[zz]/", "invalid-url"),
            ("/relative", "invalid-url"),
            ("", "invalid-url"),
        ];
        for (input, code) in bad {
            assert_eq!(
                Url::parse(input).map_err(|e| e.code()).err(),
                Some(code),
                "{input}"
            );
        }
        let e = Url::parse("https://user:hunter2@x/").expect_err("userinfo");
        assert!(!format!("{e} {e:?}").contains("hunter2"));
    }

    #[test]
    fn join_and_origin() {
        let base = Url::parse("https://r.example/v2/a/blobs/sha256:1?x=1").expect("valid");
        let cases = [
            ("https://cdn.example/b", "https://cdn.example/b"),
            ("//cdn.example/c", "https://cdn.example/c"),
            ("/v2/other", "https://r.example/v2/other"),
            ("sibling", "https://r.example/v2/a/blobs/sibling"),
            ("?q=2", "https://r.example/v2/a/blobs/sha256:1?q=2"),
        ];
        for (loc, want) in cases {
            assert_eq!(
                base.join(loc).map(|u| u.to_string()),
                Ok(want.to_owned()),
                "{loc}"
            );
        }
        let a = Url::parse("https://R.example:443/x").expect("valid");
        assert!(a.same_origin(&base));
        assert!(!a.same_origin(&Url::parse("http://r.example/x").expect("valid")));
        assert!(!a.same_origin(&Url::parse("https://r.example:8443/x").expect("valid")));
    }
}
