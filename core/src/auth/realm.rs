//! Token realm validation and the small URL splitter the `auth` module shares.
//!
//! A Bearer challenge names the token server in its `realm` parameter (distribution
//! `docs/spec/auth/token.md`, "How to authenticate"). hoist sends credentials there, so
//! the realm is checked before anything is sent:
//!
//! - it must be an absolute URL (`scheme://authority[path][?query]`, RFC 3986 §3);
//! - the scheme must be `https`, or `http` when the registry itself is plain http
//!   (a downgrade from an https registry to an http token server is refused);
//! - the authority must not carry `user:password@` (RFC 3986 §3.2.1 deprecates it, and
//!   hoist never forwards credentials a server chose);
//! - the host must be a DNS name or an IP literal, the port 1–65535;
//! - no fragment, no whitespace, no control or non-ASCII characters.
//!
//! There is no `url` crate in the core: [`split_url`] only finds the parts, and each
//! caller validates what it needs.

use super::AuthError;
use crate::digest::excerpt;

/// An absolute URL cut into its parts, without validation of the parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UrlParts<'a> {
    /// The scheme as written (compare it case-insensitively).
    pub scheme: &'a str,
    /// The userinfo before `@`, when present.
    pub userinfo: Option<&'a str>,
    /// The host: a name, an IPv4 address or a bracketed IPv6 literal.
    pub host: &'a str,
    /// The port digits after `:`, when present (possibly empty).
    pub port: Option<&'a str>,
    /// Path, query and fragment: empty or starting with `/`, `?` or `#`.
    pub rest: &'a str,
}

/// Splits `scheme://authority rest`. `None` when there is no valid scheme followed by
/// `://`, or when a bracketed IPv6 host is not closed.
pub(crate) fn split_url(s: &str) -> Option<UrlParts<'_>> {
    let (scheme, after) = s.split_once("://")?;
    let mut chars = scheme.chars();
    if !chars.next()?.is_ascii_alphabetic()
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = split_host_port(hostport)?;
    Some(UrlParts {
        scheme,
        userinfo,
        host,
        port,
        rest,
    })
}

/// Splits `host[:port]`, where host may be a bracketed IPv6 literal.
pub(crate) fn split_host_port(hostport: &str) -> Option<(&str, Option<&str>)> {
    if hostport.starts_with('[') {
        let close = hostport.find(']')?;
        let (host, after) = hostport.split_at(close + 1);
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    Some(match hostport.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (hostport, None),
    })
}

/// True for a DNS name (labels of letters, digits, `-` and `_`), an IPv4 address, or a
/// bracketed IPv6 literal.
pub(crate) fn is_valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.contains(':')
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'));
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        })
}

/// Parses a port: 1 to 65535, digits only.
pub(crate) fn parse_port(port: &str) -> Option<u16> {
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    port.parse::<u16>().ok().filter(|p| *p != 0)
}

/// A validated token realm: an absolute `http(s)` URL safe to send credentials to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Realm {
    url: String,
    https: bool,
    host: String,
    port: Option<u16>,
}

impl Realm {
    /// The realm URL exactly as the challenge gave it.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// True when the realm is `https`.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The host (lower-cased), brackets kept for IPv6.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// True when the URL already has a `?query` part.
    pub fn has_query(&self) -> bool {
        self.url.contains('?')
    }
}

impl std::fmt::Display for Realm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

/// Validates a challenge's `realm` (see the module docs).
///
/// `registry_is_http` is true only when the registry itself is reached over plain
/// http (an insecure registry); then an `http` realm is accepted too.
pub fn validate_realm(realm: &str, registry_is_http: bool) -> Result<Realm, AuthError> {
    let invalid = |reason: &'static str| AuthError::InvalidRealm {
        realm: excerpt(&strip_userinfo(realm)),
        reason,
    };
    if realm.is_empty() {
        return Err(invalid("empty"));
    }
    if let Some(b) = realm.bytes().find(|b| !b.is_ascii_graphic()) {
        return Err(invalid(if b.is_ascii_whitespace() {
            "contains whitespace"
        } else {
            "contains a control or non-ascii character"
        }));
    }
    if realm.bytes().any(|b| {
        matches!(
            b,
            b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
        )
    }) {
        return Err(invalid("contains a character not allowed in urls"));
    }
    let Some(parts) = split_url(realm) else {
        return Err(invalid("not an absolute url"));
    };
    let host = parts.host.to_ascii_lowercase();
    if parts.userinfo.is_some() {
        return Err(AuthError::RealmHasUserinfo {
            host: excerpt(&host),
        });
    }
    let https = if parts.scheme.eq_ignore_ascii_case("https") {
        true
    } else if parts.scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return Err(AuthError::RealmUnsupportedScheme {
            scheme: excerpt(parts.scheme),
        });
    };
    if !is_valid_host(&host) {
        return Err(invalid("invalid host"));
    }
    let port = match parts.port {
        None => None,
        Some(p) => Some(parse_port(p).ok_or_else(|| invalid("invalid port"))?),
    };
    if parts.rest.contains('#') {
        return Err(invalid("has a fragment"));
    }
    if !https && !registry_is_http {
        return Err(AuthError::RealmInsecureScheme {
            host: excerpt(&host),
        });
    }
    Ok(Realm {
        url: realm.to_owned(),
        https,
        host,
        port,
    })
}

/// The realm with any `userinfo@` removed, for error messages.
fn strip_userinfo(realm: &str) -> String {
    let Some((scheme, after)) = realm.split_once("://") else {
        return realm.to_owned();
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    match after[..end].rsplit_once('@') {
        Some((_, hostport)) => format!("{scheme}://{hostport}{}", &after[end..]),
        None => realm.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn split() {
        let p = split_url("HTTPS://u:p@Auth.example.com:8443/token?x=1#f").expect("url");
        assert_eq!(p.scheme, "HTTPS");
        assert_eq!(p.userinfo, Some("u:p"));
        assert_eq!(p.host, "Auth.example.com");
        assert_eq!(p.port, Some("8443"));
        assert_eq!(p.rest, "/token?x=1#f");
        let p = split_url("http://[::1]:5000").expect("v6");
        assert_eq!((p.host, p.port, p.rest), ("[::1]", Some("5000"), ""));
        assert!(split_url("http://[::1").is_none());
        assert!(split_url("http://[::1]x").is_none());
        assert!(split_url("/token").is_none());
        assert!(split_url("1http://x").is_none());
        assert!(split_url("://x").is_none());
    }

    #[test]
    fn table() {
        // (realm, registry_is_http, Ok(host) or Err(code))
        let cases: &[(&str, bool, Result<&str, &str>)] = &[
            ("https://auth.docker.io/token", false, Ok("auth.docker.io")),
            (
                "https://auth.example.com:5001/token?foo=bar",
                false,
                Ok("auth.example.com"),
            ),
            (
                "HTTPS://Auth.Example.COM/token",
                false,
                Ok("auth.example.com"),
            ),
            ("https://[2001:db8::1]:8443/t", false, Ok("[2001:db8::1]")),
            ("https://10.0.0.1/t", false, Ok("10.0.0.1")),
            (
                "http://auth.example.com/token",
                true,
                Ok("auth.example.com"),
            ),
            (
                "https://auth.example.com/token",
                true,
                Ok("auth.example.com"),
            ),
            (
                "http://auth.example.com/token",
                false,
                Err("realm-insecure-scheme"),
            ),
            (
                "ftp://auth.example.com/token",
                false,
                Err("realm-unsupported-scheme"),
            ),
            ("file:///etc/passwd", true, Err("realm-unsupported-scheme")),
            (
                "https://user:pw@auth.example.com/token",
                false,
                Err("realm-has-userinfo"),
            ),
            ("/token", false, Err("realm-invalid")),
            ("auth.example.com/token", false, Err("realm-invalid")),
            ("", false, Err("realm-invalid")),
            ("https://", false, Err("realm-invalid")),
            ("https:///token", false, Err("realm-invalid")),
            ("https://auth example.com/", false, Err("realm-invalid")),
            (
                "https://auth.example.com/to ken",
                false,
                Err("realm-invalid"),
            ),
            ("https://auth.example.com:0/t", false, Err("realm-invalid")),
            (
                "https://auth.example.com:65536/t",
                false,
                Err("realm-invalid"),
            ),
            ("https://auth.example.com:/t", false, Err("realm-invalid")),
            ("https://auth.example.com:x/t", false, Err("realm-invalid")),
            ("https://auth..example.com/t", false, Err("realm-invalid")),
            (
                "https://auth.example.com/t#frag",
                false,
                Err("realm-invalid"),
            ),
            ("https://auth.exämple.com/t", false, Err("realm-invalid")),
            (
                "https://auth.example.com/t\u{0}",
                false,
                Err("realm-invalid"),
            ),
        ];
        for (realm, http, want) in cases {
            let got = validate_realm(realm, *http);
            match (got, want) {
                (Ok(r), Ok(host)) => {
                    assert_eq!(r.host(), *host, "{realm}");
                    assert_eq!(r.as_str(), *realm);
                }
                (Err(e), Err(code)) => assert_eq!(e.code(), *code, "{realm}: {e}"),
                (got, want) => panic!("{realm}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn userinfo_never_in_messages() {
        let e =
            validate_realm("https://user:s3cr3t@auth.example.com/t", false).expect_err("userinfo");
        assert!(!format!("{e} {e:?}").contains("s3cr3t"));
        let e = validate_realm("https://user:s3cr3t@auth example.com/t", false).expect_err("space");
        assert!(!format!("{e} {e:?}").contains("s3cr3t"), "{e}");
    }
}
