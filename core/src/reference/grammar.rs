//! The strict reference grammar (distribution/reference `Parse` and `WithName`), matched by
//! hand in linear time.
//!
//! distribution/reference matches one anchored regular expression and then reads its
//! capture groups. The grammar makes the split unambiguous, so it can be found with a few
//! byte scans instead:
//!
//! 1. the digest starts after the first `@` (no other part may contain `@`);
//! 2. the tag starts after the last `:` before it, if that `:` comes after the last `/`
//!    (a tag contains neither `:` nor `/`; a `:` before the last `/` belongs to the domain);
//! 3. the name's domain is its first `/`-separated component when that component is a
//!    `domain` and the rest is a `remote-name` (the regexp's optional group is greedy, so
//!    `foo/bar` parses with domain `foo`; only [`super::parse_normalized`] treats `foo` as
//!    a Docker Hub namespace).
//!
//! Each part is then checked by a small state machine over a byte-class table. Every
//! step looks at each byte a bounded number of times, so a 1 MB input is rejected in
//! about a millisecond.

use super::{Reference, ReferenceError};
use crate::digest::{excerpt, Digest};

/// distribution/reference `RepositoryNameTotalLengthMax`: the longest allowed path
/// (remote name), not counting the domain (v0.6.0, distribution/reference#9).
pub const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// The longest allowed tag (`[\w][\w.-]{0,127}`).
pub const TAG_LENGTH_MAX: usize = 128;

const LOWER_ALNUM: u8 = 1; // [a-z0-9]
const ALNUM: u8 = 2; // [a-zA-Z0-9]
const WORD: u8 = 4; // [a-zA-Z0-9_]
const HEX: u8 = 8; // [0-9a-fA-F]
const DIGIT: u8 = 16; // [0-9]
const ALPHA: u8 = 32; // [a-zA-Z]

static CLASS: [u8; 256] = build_classes();

const fn build_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        let lower = c.is_ascii_lowercase();
        let upper = c.is_ascii_uppercase();
        let digit = c.is_ascii_digit();
        let mut v = 0u8;
        if lower || digit {
            v |= LOWER_ALNUM;
        }
        if lower || upper || digit {
            v |= ALNUM | WORD;
        }
        if c == b'_' {
            v |= WORD;
        }
        if digit || matches!(c, b'a'..=b'f' | b'A'..=b'F') {
            v |= HEX;
        }
        if digit {
            v |= DIGIT;
        }
        if lower || upper {
            v |= ALPHA;
        }
        t[b] = v;
        b += 1;
    }
    t
}

#[inline]
fn is(b: u8, class: u8) -> bool {
    CLASS[usize::from(b)] & class != 0
}

/// Length of the run of bytes in `class` starting at `from`.
#[inline]
fn run(s: &[u8], from: usize, class: u8) -> usize {
    s.get(from..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| is(b, class)).count())
}

/// `path-component := [a-z0-9]+ (separator [a-z0-9]+)*`, `separator := [._] | __ | -+`.
pub(crate) fn is_path_component(s: &[u8]) -> bool {
    let mut i = run(s, 0, LOWER_ALNUM);
    if i == 0 {
        return false;
    }
    while let Some(&b) = s.get(i) {
        match b {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if s.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                i += 1 + s
                    .get(i + 1..)
                    .map_or(0, |r| r.iter().take_while(|&&c| c == b'-').count())
            }
            _ => return false,
        }
        let n = run(s, i, LOWER_ALNUM);
        if n == 0 {
            return false;
        }
        i += n;
    }
    true
}

/// `remote-name := path-component ('/' path-component)*`.
pub(crate) fn is_remote_name(s: &[u8]) -> bool {
    s.split(|&b| b == b'/').all(is_path_component)
}

/// `domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_domain_component(s: &[u8]) -> bool {
    match (s.first(), s.last()) {
        (Some(&first), Some(&last)) => {
            is(first, ALNUM) && is(last, ALNUM) && s.iter().all(|&b| is(b, ALNUM) || b == b'-')
        }
        _ => false,
    }
}

/// `domain := host [':' port-number]`, `host := domain-name | '[' [a-fA-F0-9:]+ ']'`.
pub(crate) fn is_domain_and_port(s: &[u8]) -> bool {
    let port = |p: &[u8]| !p.is_empty() && p.iter().all(|&b| is(b, DIGIT));
    if let Some(inner) = s.strip_prefix(b"[") {
        let Some(close) = inner.iter().position(|&b| b == b']') else {
            return false;
        };
        let (addr, rest) = inner.split_at(close);
        let rest = rest.get(1..).unwrap_or_default();
        return !addr.is_empty()
            && addr.iter().all(|&b| is(b, HEX) || b == b':')
            && (rest.is_empty() || rest.strip_prefix(b":").is_some_and(port));
    }
    let (host, port_part) = match s.iter().position(|&b| b == b':') {
        Some(c) => (&s[..c], Some(&s[c + 1..])),
        None => (s, None),
    };
    host.split(|&b| b == b'.').all(is_domain_component) && port_part.is_none_or(port)
}

/// `tag := [\w][\w.-]{0,127}`.
pub(crate) fn is_tag(s: &[u8]) -> bool {
    match s.first() {
        Some(&first) => {
            s.len() <= TAG_LENGTH_MAX
                && is(first, WORD)
                && s.iter().all(|&b| is(b, WORD) || b == b'.' || b == b'-')
        }
        None => false,
    }
}

/// `digest := [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)* ':' [0-9a-fA-F]{32,}`.
pub(crate) fn is_digest(s: &[u8]) -> bool {
    let mut i = 0;
    loop {
        if !s.get(i).is_some_and(|&b| is(b, ALPHA)) {
            return false;
        }
        i += 1 + run(s, i + 1, ALNUM);
        match s.get(i) {
            Some(b'-' | b'_' | b'+' | b'.') => i += 1,
            Some(b':') => break,
            _ => return false,
        }
    }
    let hex = s.get(i + 1..).unwrap_or_default();
    hex.len() >= 32 && hex.iter().all(|&b| is(b, HEX))
}

/// The positions of a reference's parts, found without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parts {
    /// Length of the domain (0 when there is none).
    pub domain_len: usize,
    /// Length of the name (domain, `/` and path).
    pub name_len: usize,
    /// End of the tag; equal to `name_len` when there is no tag.
    pub tag_end: usize,
    /// Start of the digest (after `@`), if any.
    pub digest_start: Option<usize>,
}

/// Splits a name into its domain length (0 for none), or `None` when it does not fit
/// `[domain '/'] remote-name`.
pub(crate) fn split_name(name: &[u8]) -> Option<usize> {
    match name.iter().position(|&b| b == b'/') {
        Some(slash) => {
            let (first, rest) = (&name[..slash], &name[slash + 1..]);
            if !is_remote_name(rest) {
                None
            } else if is_domain_and_port(first) {
                Some(slash)
            } else if is_path_component(first) {
                Some(0)
            } else {
                None
            }
        }
        None => is_path_component(name).then_some(0),
    }
}

/// Matches the whole reference grammar (`ReferenceRegexp`), returning where the parts are.
pub(crate) fn split(s: &[u8]) -> Option<Parts> {
    let (left, digest_start) = match s.iter().position(|&b| b == b'@') {
        Some(at) => {
            if !is_digest(&s[at + 1..]) {
                return None;
            }
            (&s[..at], Some(at + 1))
        }
        None => (s, None),
    };
    let last_slash = left.iter().rposition(|&b| b == b'/');
    let name_len = match left.iter().rposition(|&b| b == b':') {
        Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
            if !is_tag(&left[colon + 1..]) {
                return None;
            }
            colon
        }
        _ => left.len(),
    };
    let domain_len = split_name(&left[..name_len])?;
    Some(Parts {
        domain_len,
        name_len,
        tag_end: left.len(),
        digest_start,
    })
}

/// Go's `strings.ToLower(s)` restricted to what can matter for an ASCII grammar: ASCII
/// letters, U+212A KELVIN SIGN (→ `k`) and U+0130 (→ `i`, Go's simple case mapping).
/// Returns `None` when some other non-ASCII character makes a match impossible anyway.
fn lower_for_grammar(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            '\u{212A}' => 'k',
            '\u{0130}' => 'i',
            _ if c.is_ascii() => c,
            _ => return None,
        });
    }
    Some(out)
}

/// The error for an input that does not match: uppercase if lowercasing would make it
/// match (distribution/reference's check), otherwise an invalid format.
fn mismatch(s: &str) -> ReferenceError {
    let may_lower = s
        .chars()
        .any(|c| c.is_ascii_uppercase() || c == '\u{212A}' || c == '\u{0130}');
    if may_lower {
        if let Some(lower) = lower_for_grammar(s) {
            if lower != s && split(lower.as_bytes()).is_some() {
                return ReferenceError::NameContainsUppercase { input: excerpt(s) };
            }
        }
    }
    ReferenceError::invalid_format(s)
}

/// distribution/reference `Parse`: the strict grammar, with no normalization.
pub(crate) fn parse_owned(text: String) -> Result<Reference, ReferenceError> {
    if text.is_empty() {
        return Err(ReferenceError::NameEmpty);
    }
    let Some(parts) = split(text.as_bytes()) else {
        return Err(mismatch(&text));
    };
    let path_len = if parts.domain_len > 0 {
        parts.name_len - parts.domain_len - 1
    } else {
        parts.name_len
    };
    if path_len > NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong { length: path_len });
    }
    let digest = match parts.digest_start {
        Some(start) => Some(Digest::parse(&text[start..])?),
        None => None,
    };
    Ok(Reference::from_parts(text, parts, digest))
}

/// distribution/reference `WithName`: a name alone (no tag, no digest).
pub(crate) fn parse_name(name: &str) -> Result<Reference, ReferenceError> {
    let Some(domain_len) = split_name(name.as_bytes()) else {
        return Err(ReferenceError::invalid_format(name));
    };
    let path_len = if domain_len > 0 {
        name.len() - domain_len - 1
    } else {
        name.len()
    };
    if path_len > NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong { length: path_len });
    }
    let parts = Parts {
        domain_len,
        name_len: name.len(),
        tag_end: name.len(),
        digest_start: None,
    };
    Ok(Reference::from_parts(name.to_owned(), parts, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_components() {
        for ok in [
            "a",
            "a0",
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a---b",
            "a.b-c_d__e",
            "0",
        ] {
            assert!(is_path_component(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "", "A", "a.", ".a", "a..b", "a___b", "a._b", "a-.b", "a-", "-a", "a_", "a/b", "a:b",
        ] {
            assert!(!is_path_component(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn domains() {
        for ok in [
            "a",
            "A",
            "test.com",
            "test:5000",
            "xn--n3h.com:18080",
            "192.168.1.1:5000",
            "[::1]",
            "[2001:db8::1]:5000",
            "[2001:DB8::]",
            "sub-dom1.foo.com",
            "a--b",
        ] {
            assert!(is_domain_and_port(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a..b",
            ".a",
            "a:",
            "a:x",
            "a:5000:1",
            "[]",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[fe80::1%eth0]",
            "[::g]",
            "a_b",
        ] {
            assert!(!is_domain_and_port(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn tags_and_digests() {
        assert!(is_tag(b"latest"));
        assert!(is_tag(b"_x"));
        assert!(is_tag("a".repeat(128).as_bytes()));
        assert!(!is_tag("a".repeat(129).as_bytes()));
        assert!(!is_tag(b"-x"));
        assert!(!is_tag(b".x"));
        assert!(!is_tag(b""));
        assert!(!is_tag(b"a/b"));
        let hex32 = "0".repeat(32);
        assert!(is_digest(format!("sha256:{hex32}").as_bytes()));
        assert!(is_digest(format!("a+b.c-d_e:{hex32}").as_bytes()));
        assert!(is_digest(format!("SHA256:{}", "F".repeat(40)).as_bytes()));
        assert!(!is_digest(format!("sha256:{}", "0".repeat(31)).as_bytes()));
        assert!(!is_digest(format!("1sha:{hex32}").as_bytes()));
        assert!(!is_digest(format!("a+:{hex32}").as_bytes()));
        assert!(!is_digest(format!("a++b:{hex32}").as_bytes()));
        assert!(!is_digest(format!(":{hex32}").as_bytes()));
        assert!(!is_digest(format!("sha256:{hex32}g").as_bytes()));
        assert!(!is_digest(b"sha256"));
    }

    #[test]
    fn split_table() {
        type Row = (&'static str, Option<(usize, usize, usize)>);
        let cases: &[Row] = &[
            ("test_com", Some((0, 8, 8))),
            ("test.com:tag", Some((0, 8, 12))),
            ("test:5000/repo", Some((9, 14, 14))),
            ("foo/bar", Some((3, 7, 7))),
            ("test_com/foo", Some((0, 12, 12))),
            ("[::1]:5000/repo:tag", Some((10, 15, 19))),
            ("a:b:c", None),
            ("a:b/c", None),
            (":tag", None),
            ("", None),
            ("a/", None),
            ("/a", None),
        ];
        for (input, want) in cases {
            let got = split(input.as_bytes()).map(|p| (p.domain_len, p.name_len, p.tag_end));
            assert_eq!(got, *want, "{input}");
        }
    }

    #[test]
    fn uppercase_detection_follows_go_tolower() {
        assert!(matches!(
            mismatch("Uppercase:tag"),
            ReferenceError::NameContainsUppercase { .. }
        ));
        // U+212A KELVIN SIGN lowercases to ASCII `k` in Go.
        assert!(matches!(
            mismatch("\u{212A}ube"),
            ReferenceError::NameContainsUppercase { .. }
        ));
        assert!(matches!(
            mismatch("\u{00C4}pfel"),
            ReferenceError::InvalidFormat { .. }
        ));
        assert!(matches!(
            mismatch("a$b"),
            ReferenceError::InvalidFormat { .. }
        ));
    }
}
