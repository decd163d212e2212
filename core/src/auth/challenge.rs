//! `WWW-Authenticate` challenges (RFC 7235 §4.1, §2.1).
//!
//! ```text
//! WWW-Authenticate = 1#challenge
//! challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param       = token BWS "=" BWS ( token / quoted-string )
//! token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! quoted-string    = DQUOTE *( qdtext / quoted-pair ) DQUOTE      (RFC 7230 §3.2.6)
//! ```
//!
//! One header may hold several challenges (`Newauth realm="apps", Basic realm="simple"`)
//! and a response may carry several headers; all are returned in order. Scheme and
//! parameter names are case-insensitive and come back lower-cased; values are kept as
//! sent, with quoted-pair escapes removed. A repeated parameter keeps its last value, as
//! the Go parsers of distribution and containerd do. Empty list elements (`a, , b`) are
//! skipped (RFC 7230 §7). CR and LF count as whitespace, as in containerd's parser, so
//! folded headers work.
//!
//! Unlike those parsers, a malformed header is an error rather than a silently shorter
//! list, and parsing is one linear pass over at most [`MAX_CHALLENGE_BYTES`].

use super::AuthError;

/// Largest total size of the `WWW-Authenticate` headers of one response (16 KiB).
pub const MAX_CHALLENGE_BYTES: usize = 16 * 1024;

/// An authentication scheme.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// HTTP Basic (RFC 7617).
    Basic,
    /// OAuth 2.0 Bearer (RFC 6750), used by registry token auth.
    Bearer,
    /// Any other scheme, by its lower-cased name.
    Other(String),
}

impl Scheme {
    /// The lower-cased scheme name.
    pub fn as_str(&self) -> &str {
        match self {
            Scheme::Basic => "basic",
            Scheme::Bearer => "bearer",
            Scheme::Other(name) => name,
        }
    }

    fn from_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "basic" => Scheme::Basic,
            "bearer" => Scheme::Bearer,
            _ => Scheme::Other(lower),
        }
    }
}

/// One challenge from a `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    scheme: Scheme,
    params: Vec<(String, String)>,
    token68: Option<String>,
}

impl Challenge {
    /// The scheme.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The parameters in order, names lower-cased.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// A parameter by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The token68 form (`Negotiate abc==`), when the challenge has one instead of
    /// parameters.
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }

    /// `realm`: for Bearer, the token server URL (validate it with
    /// [`crate::auth::validate_realm`]); for Basic, a protection-space label.
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// `service`: the name the token server knows the registry by.
    pub fn service(&self) -> Option<&str> {
        self.param("service")
    }

    /// `scope`: space-separated resource scopes (`repository:library/busybox:pull`).
    pub fn scope(&self) -> Option<&str> {
        self.param("scope")
    }

    /// The scopes of [`Challenge::scope`], split on spaces.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// `error` (RFC 6750 §3.1), for example `invalid_token` or `insufficient_scope`.
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }

    /// `error_description` (RFC 6750 §3).
    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }
}

/// Parses every challenge of every `WWW-Authenticate` header of one response, in order.
///
/// Errors: `challenge-too-large` when the headers total more than
/// [`MAX_CHALLENGE_BYTES`]; `challenge-invalid` for a header that breaks the grammar.
pub fn parse_challenges<S: AsRef<str>>(headers: &[S]) -> Result<Vec<Challenge>, AuthError> {
    let size = headers
        .iter()
        .fold(0usize, |n, h| n.saturating_add(h.as_ref().len()));
    if size > MAX_CHALLENGE_BYTES {
        return Err(AuthError::ChallengeTooLarge {
            size,
            limit: MAX_CHALLENGE_BYTES,
        });
    }
    let mut out = Vec::new();
    for header in headers {
        Parser {
            s: header.as_ref().as_bytes(),
            pos: 0,
        }
        .challenges(&mut out)?;
    }
    Ok(out)
}

/// The challenge to answer: the first Bearer, else the first Basic (containerd orders
/// bearer before basic; other schemes are not supported by registries).
pub fn preferred_challenge(challenges: &[Challenge]) -> Option<&Challenge> {
    challenges
        .iter()
        .find(|c| c.scheme == Scheme::Bearer)
        .or_else(|| challenges.iter().find(|c| c.scheme == Scheme::Basic))
}

/// Keeps the first position and the last value of each repeated name, in O(n log n).
fn dedupe_params(params: &mut Vec<(String, String)>) {
    if params.len() < 2 {
        return;
    }
    let mut seen: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut out: Vec<(String, String)> = Vec::with_capacity(params.len());
    for (name, value) in params.drain(..) {
        match seen.get(&name) {
            Some(&i) => {
                if let Some(slot) = out.get_mut(i) {
                    slot.1 = value;
                }
            }
            None => {
                seen.insert(name.clone(), out.len());
                out.push((name, value));
            }
        }
    }
    *params = out;
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn fail(&self, reason: &'static str) -> AuthError {
        AuthError::InvalidChallenge {
            at: self.pos,
            reason,
        }
    }

    /// Skips whitespace; returns how many bytes were skipped.
    fn skip_space(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn skip_space_and_commas(&mut self) {
        while self.peek().is_some_and(|b| is_space(b) || b == b',') {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        // tchar is ASCII, so the slice is valid UTF-8.
        let s: &'a [u8] = self.s;
        std::str::from_utf8(s.get(start..self.pos).unwrap_or_default()).unwrap_or_default()
    }

    fn challenges(&mut self, out: &mut Vec<Challenge>) -> Result<(), AuthError> {
        loop {
            self.skip_space_and_commas();
            if self.peek().is_none() {
                return Ok(());
            }
            let scheme = self.token();
            if scheme.is_empty() {
                return Err(self.fail("expected an auth scheme"));
            }
            let mut challenge = Challenge {
                scheme: Scheme::from_name(scheme),
                params: Vec::new(),
                token68: None,
            };
            let spaces = self.skip_space();
            match self.peek() {
                None | Some(b',') => {
                    out.push(challenge);
                    continue;
                }
                Some(_) if spaces == 0 => {
                    return Err(self.fail("expected a space after the auth scheme"));
                }
                Some(_) => {}
            }
            if let Some(t68) = self.token68() {
                challenge.token68 = Some(t68);
                out.push(challenge);
                continue;
            }
            let more = self.params(&mut challenge.params)?;
            dedupe_params(&mut challenge.params);
            out.push(challenge);
            if !more {
                return Ok(());
            }
        }
    }

    /// A token68 followed by the end of the element; otherwise rewinds and returns None.
    fn token68(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_token68_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        while self.peek() == Some(b'=') {
            self.pos += 1;
        }
        let end = self.pos;
        self.skip_space();
        if matches!(self.peek(), None | Some(b',')) {
            let text = self.s.get(start..end).unwrap_or_default();
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        self.pos = start;
        None
    }

    /// Parses `#auth-param` into `params`. Returns true when another challenge follows
    /// (the position is at its scheme), false at the end of the header.
    fn params(&mut self, params: &mut Vec<(String, String)>) -> Result<bool, AuthError> {
        loop {
            let name = self.token().to_ascii_lowercase();
            if name.is_empty() {
                return Err(self.fail("expected a parameter name"));
            }
            self.skip_space();
            if self.peek() != Some(b'=') {
                return Err(self.fail("expected '=' after a parameter name"));
            }
            self.pos += 1;
            self.skip_space();
            let value = if self.peek() == Some(b'"') {
                self.quoted()?
            } else {
                let v = self.token();
                if v.is_empty() {
                    return Err(self.fail("expected a token or quoted string"));
                }
                v.to_owned()
            };
            params.push((name, value));
            self.skip_space();
            match self.peek() {
                None => return Ok(false),
                Some(b',') => {}
                Some(_) => return Err(self.fail("expected ',' between parameters")),
            }
            self.skip_space_and_commas();
            if self.peek().is_none() {
                return Ok(false);
            }
            // `token BWS "="` starts another parameter; anything else a new challenge.
            let mark = self.pos;
            let is_param = !self.token().is_empty() && {
                self.skip_space();
                self.peek() == Some(b'=')
            };
            self.pos = mark;
            if !is_param {
                return Ok(true);
            }
        }
    }

    /// A quoted-string (RFC 7230 §3.2.6), with quoted-pairs unescaped.
    fn quoted(&mut self) -> Result<String, AuthError> {
        self.pos += 1; // opening quote
        let mut value = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.fail("unterminated quoted string"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return String::from_utf8(value)
                        .map_err(|_| self.fail("quoted string is not utf-8"));
                }
                b'\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some(e) if e == b'\t' || (e >= b' ' && e != 0x7f) => value.push(e),
                        _ => return Err(self.fail("invalid quoted-pair")),
                    }
                }
                b'\t' => value.push(b),
                _ if b < b' ' || b == 0x7f => {
                    return Err(self.fail("control character in quoted string"));
                }
                _ => value.push(b),
            }
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn one(header: &str) -> Result<Vec<Challenge>, AuthError> {
        parse_challenges(&[header])
    }

    type Shape = (String, Vec<(String, String)>, Option<String>);

    fn shape(cs: &[Challenge]) -> Vec<Shape> {
        cs.iter()
            .map(|c| {
                (
                    c.scheme.as_str().to_owned(),
                    c.params.clone(),
                    c.token68.clone(),
                )
            })
            .collect()
    }

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn distribution_and_containerd() {
        // distribution authchallenge_test.go TestAuthChallengeParse
        let cs = one(r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",other=fun,slashed="he\"\l\lo""#)
            .expect("valid");
        assert_eq!(
            shape(&cs),
            vec![(
                "bearer".into(),
                p(&[
                    ("realm", "https://auth.example.com/token"),
                    ("service", "registry.example.com"),
                    ("other", "fun"),
                    ("slashed", "he\"llo"),
                ]),
                None
            )]
        );
        // containerd parse_test.go
        let cs = one(r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:foo/bar:pull,push repository:foo/baz:pull repository:foo/foo:push""#)
            .expect("valid");
        assert_eq!(
            cs[0].scopes().collect::<Vec<_>>(),
            [
                "repository:foo/bar:pull,push",
                "repository:foo/baz:pull",
                "repository:foo/foo:push"
            ]
        );
        let cs = one(r#"Bearer realm="https://auth.example.io/token",empty="",service="registry.example.io",scope="repository:library/hello-world:pull,push""#)
            .expect("valid");
        assert_eq!(cs[0].param("EMPTY"), Some(""));
        assert_eq!(cs[0].service(), Some("registry.example.io"));
    }

    #[test]
    fn rfc7235_example() {
        // RFC 7235 §4.1
        let cs = one("Newauth realm=\"apps\", type=1,\r\n                  title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"")
            .expect("valid");
        assert_eq!(
            shape(&cs),
            vec![
                (
                    "newauth".into(),
                    p(&[
                        ("realm", "apps"),
                        ("type", "1"),
                        ("title", "Login to \"apps\"")
                    ]),
                    None
                ),
                ("basic".into(), p(&[("realm", "simple")]), None),
            ]
        );
    }

    #[test]
    fn forms() {
        let cs = parse_challenges(&[
            "Negotiate",
            "NTLM abc+/==, BASIC Realm = \"x\" , ,",
            "Bearer realm=a,realm=b",
            "Foo realm, Bar realm=",
        ])
        .expect("valid");
        assert_eq!(
            shape(&cs),
            vec![
                ("negotiate".into(), vec![], None),
                ("ntlm".into(), vec![], Some("abc+/==".into())),
                ("basic".into(), p(&[("realm", "x")]), None),
                ("bearer".into(), p(&[("realm", "b")]), None),
                ("foo".into(), vec![], Some("realm".into())),
                ("bar".into(), vec![], Some("realm=".into())),
            ]
        );
        assert_eq!(
            preferred_challenge(&cs).map(|c| c.scheme()),
            Some(&Scheme::Bearer)
        );
        assert_eq!(
            preferred_challenge(cs.get(..3).unwrap_or_default()).map(|c| c.scheme()),
            Some(&Scheme::Basic)
        );
        let cs =
            one(r#"Bearer realm="r",error="insufficient_scope",error_description="need more""#)
                .expect("valid");
        assert_eq!(cs[0].error(), Some("insufficient_scope"));
        assert_eq!(cs[0].error_description(), Some("need more"));
        assert_eq!(cs[0].realm(), Some("r"));
        assert_eq!(one("").expect("empty"), vec![]);
        assert_eq!(one(" , ").expect("empty elements"), vec![]);
    }

    #[test]
    fn errors() {
        let cases = [
            "Bearer realm=\"unterminated",
            "Bearer realm=\"a\" service=\"b\"",
            "=x",
            "Bearer realm=\"a\u{1}\"",
            "Bearer realm=\"a\\\u{1}\"",
            "Bearer\"x\"",
            "Bearer realm=a b",
        ];
        for header in cases {
            assert_eq!(
                one(header).map_err(|e| e.code()),
                Err("challenge-invalid"),
                "{header:?}"
            );
        }
        let big = format!("Bearer realm=\"{}\"", "a".repeat(MAX_CHALLENGE_BYTES));
        assert_eq!(one(&big).map_err(|e| e.code()), Err("challenge-too-large"));
    }

    #[test]
    fn linear() {
        let many: String = (0..2000).map(|i| format!("p{i}=v,")).collect();
        let header = format!("X {many}p1=last");
        let cs = one(&header).expect("valid");
        assert_eq!(cs[0].params().len(), 2000);
        assert_eq!(cs[0].param("p1"), Some("last"));
        let schemes = "Basic, ".repeat(MAX_CHALLENGE_BYTES / 7 - 1);
        assert_eq!(
            one(&schemes).expect("valid").len(),
            MAX_CHALLENGE_BYTES / 7 - 1
        );
    }
}
