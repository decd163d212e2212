//! The strict reference grammar (distribution/reference `Parse` and `WithName`), matched by
//! hand in linear time.
//!
//! distribution/reference matches one anchored regular expression and then reads its
//! capture groups. The grammar makes the split unambiguous, so one left-to-right pass
//! finds it:
//!
//! 1. the first component runs to the first `/` or `@`;
//! 2. if a `/` ends it, the first component is the domain when it fits `domain` (the
//!    regexp's optional group is greedy, so `foo/bar` parses with domain `foo`; only
//!    [`super::parse_normalized`] treats `foo` as a Docker Hub namespace), otherwise it
//!    must be a path component; a remote name follows, up to a `:` or `@`;
//! 3. if no `/` ends it, the name is that one component and a `:` inside it starts the
//!    tag (a path component contains no `:`);
//! 4. the tag runs to the `@`, and the digest to the end.
//!
//! Each part is checked by a small state machine over a byte-class table; long runs are
//! skipped 32 bytes at a time with folds that compile to vector code. Every byte is looked
//! at a bounded number of times, so a 1 MB input is rejected in a few milliseconds at
//! worst (`cargo bench --bench reference -- reject_1mb`).
//!
//! The digest is checked by go-digest's rules first ([`digest_after_split`]); the
//! reference grammar's own digest rule is consulted only to choose the error code.

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

/// Bytes per block in the block-at-a-time scans below.
const BLOCK: usize = 32;

/// Advances from `from` over whole blocks whose bytes all satisfy `pred`, written as a
/// fold without an early exit so that it compiles to vector code. Long runs (a 1 MB
/// input) then cost a fraction of an instruction per byte; the caller finishes the run
/// byte by byte.
#[inline]
fn skip_blocks(s: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    if let Some(rest) = s.get(from..) {
        for block in rest.chunks_exact(BLOCK) {
            if !block.iter().fold(true, |ok, &c| ok & pred(c)) {
                break;
            }
            i += BLOCK;
        }
    }
    i
}

#[inline]
fn lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() | c.is_ascii_digit()
}

/// The first position at or after `from` holding `a` or `b`: byte by byte for one
/// block (the separators of a reference are usually near), then block by block.
pub(crate) fn find2(s: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    let rest = s.get(from..)?;
    let near = rest.len().min(BLOCK);
    if let Some(p) = rest[..near].iter().position(|&c| c == a || c == b) {
        return Some(from + p);
    }
    let start = skip_blocks(s, from + near, |c| (c != a) & (c != b));
    s.get(start..)?
        .iter()
        .position(|&c| c == a || c == b)
        .map(|p| start + p)
}

/// The first position of `byte` in `s`, block by block.
fn find_byte(s: &[u8], byte: u8) -> Option<usize> {
    find2(s, 0, byte, byte)
}

/// Scans `path-component ('/' path-component)*` from `from` (a single component when
/// `slashes` is false), where `path-component := [a-z0-9]+ (separator [a-z0-9]+)*` and
/// `separator := [._] | __ | -+`. Returns where the name ends (the end of `s`, or a `:`
/// or `@` that follows a complete component) and whether a `/` was crossed; `None` when
/// the grammar is broken first.
fn path_end(s: &[u8], from: usize, slashes: bool) -> Option<(usize, bool)> {
    // `alnums` counts the alphanumerics since the last separator: a separator needs at
    // least one before it, and the end needs at least one before it too. Long runs
    // switch to whole blocks.
    let mut alnums = 0usize;
    let mut crossed = false;
    let mut i = from;
    while let Some(&c) = s.get(i) {
        if is(c, LOWER_ALNUM) {
            alnums += 1;
            i += 1;
            if alnums == BLOCK {
                i = skip_blocks(s, i, lower_alnum);
            }
            continue;
        }
        if alnums == 0 {
            return None;
        }
        match c {
            b':' | b'@' => return Some((i, crossed)),
            b'/' if slashes => crossed = true,
            b'.' => {}
            b'_' => {
                if s.get(i + 1) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while s.get(i + 1) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return None,
        }
        alnums = 0;
        i += 1;
    }
    (alnums > 0).then_some((i, crossed))
}

/// `path-component := [a-z0-9]+ (separator [a-z0-9]+)*`, `separator := [._] | __ | -+`.
pub(crate) fn is_path_component(s: &[u8]) -> bool {
    path_end(s, 0, false).is_some_and(|(end, _)| end == s.len())
}

/// `remote-name := path-component ('/' path-component)*`.
pub(crate) fn is_remote_name(s: &[u8]) -> bool {
    path_end(s, 0, true).is_some_and(|(end, _)| end == s.len())
}

/// `domain := host [':' port-number]`, `host := domain-name | '[' [a-fA-F0-9:]+ ']'`,
/// `domain-name := domain-component ('.' domain-component)*`,
/// `domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
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
    let mut i = 0;
    loop {
        // A component starts with an alphanumeric, continues with [a-zA-Z0-9-] and
        // ends with an alphanumeric.
        if !s.get(i).is_some_and(|&b| is(b, ALNUM)) {
            return false;
        }
        i += 1;
        while s.get(i).is_some_and(|&b| is(b, ALNUM) || b == b'-') {
            i += 1;
        }
        if s.get(i - 1) == Some(&b'-') {
            return false;
        }
        match s.get(i) {
            None => return true,
            Some(b'.') => i += 1,
            Some(b':') => return port(s.get(i + 1..).unwrap_or_default()),
            Some(_) => return false,
        }
    }
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
    hex.len() >= 32
        && hex
            .get(skip_blocks(hex, 0, |c| c.is_ascii_hexdigit())..)
            .is_some_and(|rest| rest.iter().all(|&b| is(b, HEX)))
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
pub(crate) fn split_name(name: &str) -> Option<usize> {
    match name.find('/') {
        Some(slash) => {
            let (first, rest) = (&name.as_bytes()[..slash], &name.as_bytes()[slash + 1..]);
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
        None => is_path_component(name.as_bytes()).then_some(0),
    }
}

/// The part of a reference after its domain: `remote-name [':' tag] ['@' digest]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tail {
    /// End of the remote name.
    pub name_end: usize,
    /// End of the tag; equal to `name_end` when there is no tag.
    pub tag_end: usize,
    /// Start of the digest (after `@`), if any.
    pub digest_start: Option<usize>,
    /// Whether the remote name has more than one component.
    pub has_slash: bool,
}

/// Matches `remote-name [':' tag] ['@' digest]` from `start` to the end of `b`. With
/// `CHECK_DIGEST` false, whatever follows `@` is left for [`digest_after_split`].
pub(crate) fn split_tail<const CHECK_DIGEST: bool>(b: &[u8], start: usize) -> Option<Tail> {
    let (name_end, has_slash) = path_end(b, start, true)?;
    tag_and_digest::<CHECK_DIGEST>(b, name_end).map(|(tag_end, digest_start)| Tail {
        name_end,
        tag_end,
        digest_start,
        has_slash,
    })
}

/// Matches `[':' tag] ['@' digest]` from `at` to the end of `b`.
fn tag_and_digest<const CHECK_DIGEST: bool>(b: &[u8], at: usize) -> Option<(usize, Option<usize>)> {
    let tag_end = if b.get(at) == Some(&b':') {
        let rest = b.get(at + 1..).unwrap_or_default();
        let len = find_byte(rest, b'@').unwrap_or(rest.len());
        if !is_tag(&rest[..len]) {
            return None;
        }
        at + 1 + len
    } else {
        at
    };
    match b.get(tag_end) {
        None => Some((tag_end, None)),
        Some(b'@') if !CHECK_DIGEST || is_digest(b.get(tag_end + 1..).unwrap_or_default()) => {
            Some((tag_end, Some(tag_end + 1)))
        }
        Some(_) => None,
    }
}

/// Matches the whole reference grammar (`ReferenceRegexp`), returning where the parts are.
///
/// One left-to-right pass: the first component runs to the first `/` or `@`. If a `/`
/// ends it, it must be a domain or a path component and a remote name follows, up to a
/// `:` (tag) or `@` (digest). Otherwise the name is that one component, and a `:` inside
/// it starts the tag.
pub(crate) fn split(s: &str) -> Option<Parts> {
    split_with::<true>(s)
}

/// [`split`], optionally leaving the digest to [`digest_after_split`].
fn split_with<const CHECK_DIGEST: bool>(s: &str) -> Option<Parts> {
    let b = s.as_bytes();
    let first_end = find2(b, 0, b'/', b'@').unwrap_or(b.len());
    let first = &b[..first_end];
    if b.get(first_end) == Some(&b'/') {
        let tail = split_tail::<CHECK_DIGEST>(b, first_end + 1)?;
        let domain_len = if is_domain_and_port(first) {
            first_end
        } else if is_path_component(first) {
            0
        } else {
            return None;
        };
        return Some(Parts {
            domain_len,
            name_len: tail.name_end,
            tag_end: tail.tag_end,
            digest_start: tail.digest_start,
        });
    }
    let name_len = find_byte(first, b':').unwrap_or(first_end);
    if !is_path_component(&first[..name_len]) {
        return None;
    }
    let (tag_end, digest_start) = tag_and_digest::<CHECK_DIGEST>(b, name_len)?;
    Some(Parts {
        domain_len: 0,
        name_len,
        tag_end,
        digest_start,
    })
}

/// Go's `strings.ToLower(s)` restricted to what can matter for an ASCII grammar: ASCII
/// letters, U+212A KELVIN SIGN (→ `k`) and U+0130 (→ `i`, Go's simple case mapping).
/// Returns `None` when some other non-ASCII character makes a match impossible anyway.
fn lower_for_grammar(s: &str) -> Option<String> {
    if s.is_ascii() {
        return Some(s.to_ascii_lowercase());
    }
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
    let may_lower = if s.is_ascii() {
        s.bytes().fold(false, |up, c| up | c.is_ascii_uppercase())
    } else {
        s.chars()
            .any(|c| c.is_ascii_uppercase() || c == '\u{212A}' || c == '\u{0130}')
    };
    if may_lower {
        if let Some(lower) = lower_for_grammar(s) {
            if lower != s && split(&lower).is_some() {
                return ReferenceError::NameContainsUppercase { input: excerpt(s) };
            }
        }
    }
    ReferenceError::invalid_format(s)
}

/// What follows `@` once the rest of a reference fits the grammar. go-digest runs first:
/// a digest it accepts always fits the reference grammar, so the grammar's own hex scan
/// is needed only to tell `invalid-reference-format` (grammar) from go-digest's error.
pub(crate) enum DigestCheck {
    /// A valid digest.
    Valid(Digest),
    /// The digest does not fit the reference grammar: the whole input is malformed.
    Grammar,
    /// The digest fits the grammar but go-digest rejects it.
    Invalid(crate::digest::DigestError),
}

/// Checks the digest text after `@` (see [`DigestCheck`]).
pub(crate) fn digest_after_split(text: &str) -> DigestCheck {
    match Digest::parse(text) {
        Ok(d) => DigestCheck::Valid(d),
        Err(_) if !is_digest(text.as_bytes()) => DigestCheck::Grammar,
        Err(e) => DigestCheck::Invalid(e),
    }
}

/// distribution/reference `Parse`: the strict grammar, with no normalization. Errors in
/// Go's order: grammar (with the uppercase check), path length, then the digest.
pub(crate) fn parse_owned(text: String) -> Result<Reference, ReferenceError> {
    if text.is_empty() {
        return Err(ReferenceError::NameEmpty);
    }
    let Some(parts) = split_with::<false>(&text) else {
        return Err(mismatch(&text));
    };
    let (digest, digest_error) = match parts.digest_start.and_then(|start| text.get(start..)) {
        None => (None, None),
        Some(d) => match digest_after_split(d) {
            DigestCheck::Valid(d) => (Some(d), None),
            DigestCheck::Grammar => return Err(mismatch(&text)),
            DigestCheck::Invalid(e) => (None, Some(e)),
        },
    };
    let path_len = if parts.domain_len > 0 {
        parts.name_len - parts.domain_len - 1
    } else {
        parts.name_len
    };
    if path_len > NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong { length: path_len });
    }
    if let Some(e) = digest_error {
        return Err(e.into());
    }
    Ok(Reference::from_parts(text, parts, digest))
}

/// distribution/reference `WithName`: a name alone (no tag, no digest).
pub(crate) fn parse_name(name: &str) -> Result<Reference, ReferenceError> {
    let Some(domain_len) = split_name(name) else {
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
            let got = split(input).map(|p| (p.domain_len, p.name_len, p.tag_end));
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
