//! Shell patterns with the semantics of Go's `path.Match`, which podman's `reference`
//! filter and docker's `reference.FamiliarMatch` both use.
//!
//! ```text
//! pattern:     { term }
//! term:        '*'         any sequence of characters other than '/'
//!              '?'         any single character other than '/'
//!              '[' [ '^' ] { character-range } ']'
//!                          a character class (which may match '/'); must be non-empty
//!              c           the character c (c != '*', '?', '\\', '[')
//!              '\\' c      the character c
//! character-range:
//!              c           the character c (c != '\\', '-', ']')
//!              '\\' c      the character c
//!              lo '-' hi   a character c with lo <= c <= hi
//! ```
//!
//! A pattern is compiled once ([`Glob::new`]) and checked for syntax as a whole, as Go does
//! since 1.16, so a malformed pattern is an error up front instead of silently matching
//! nothing. Matching uses the iterative algorithm with a single backtrack point per star:
//! no recursion, `O(pattern × name)` in the worst case, and an `O(1)` early exit when the
//! name is shorter than the pattern's fixed part. Because a star never crosses `/`, the
//! single backtrack point makes exactly the choices Go's chunk-by-chunk matcher makes.
//! Matching works on characters (Go's works on bytes when skipping for a star; the two only
//! differ on names that are not ASCII, which references never are).

use super::FilterError;
use crate::digest::excerpt;

/// One compiled element (8 bytes, so a huge pattern stays a compact array).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// `*` (runs of stars are collapsed).
    Star,
    /// `?`.
    Any,
    /// A literal character.
    Lit(char),
    /// A character class, by index into `Glob::classes`.
    Class(u32),
}

/// A character class: `[^a-z]`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

/// A malformed pattern (Go's `path.ErrBadPattern`); reported as `invalid-filter-pattern`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BadPattern;

/// A compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    toks: Vec<Tok>,
    classes: Vec<Class>,
    /// The pattern is a plain string (no metacharacters): compare for equality.
    literal: Option<String>,
    /// Characters every match must have (the number of non-star elements).
    min_len: usize,
    /// The longest run of literal characters: every match contains it.
    required: String,
}

impl Glob {
    /// Compiles `pattern`; a malformed class or a trailing backslash is
    /// `invalid-filter-pattern` (naming the `reference` key, where patterns come from).
    pub fn new(pattern: &str) -> Result<Self, FilterError> {
        Self::compile(pattern).map_err(|BadPattern| FilterError::InvalidPattern {
            key: "reference".to_owned(),
            value: excerpt(pattern),
        })
    }

    fn compile(pattern: &str) -> Result<Self, BadPattern> {
        let mut toks = Vec::with_capacity(pattern.len());
        let mut classes = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => {
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                }
                '?' => toks.push(Tok::Any),
                '\\' => toks.push(Tok::Lit(chars.next().ok_or(BadPattern)?)),
                '[' => {
                    let mut negated = false;
                    if chars.peek() == Some(&'^') {
                        negated = true;
                        chars.next();
                    }
                    let mut ranges = Vec::new();
                    loop {
                        if chars.peek() == Some(&']') && !ranges.is_empty() {
                            chars.next();
                            break;
                        }
                        let lo = class_char(&mut chars)?;
                        let hi = if chars.peek() == Some(&'-') {
                            chars.next();
                            class_char(&mut chars)?
                        } else {
                            lo
                        };
                        ranges.push((lo, hi));
                    }
                    let index = u32::try_from(classes.len()).map_err(|_| BadPattern)?;
                    classes.push(Class { negated, ranges });
                    toks.push(Tok::Class(index));
                }
                c => toks.push(Tok::Lit(c)),
            }
        }
        let lit = |t: &Tok| match t {
            Tok::Lit(c) => Some(*c),
            _ => None,
        };
        let literal = toks.iter().map(lit).collect::<Option<String>>();
        let min_len = toks.iter().filter(|t| **t != Tok::Star).count();
        // The longest run of literals, found by index so that no string is built per run.
        let (mut best, mut best_len, mut start) = (0usize, 0usize, 0usize);
        for (i, t) in toks.iter().enumerate() {
            if lit(t).is_none() {
                start = i + 1;
            } else if i + 1 - start > best_len {
                best = start;
                best_len = i + 1 - start;
            }
        }
        let required: String = toks
            .iter()
            .skip(best)
            .take(best_len)
            .filter_map(lit)
            .collect();
        Ok(Glob {
            toks,
            classes,
            literal,
            min_len,
            required,
        })
    }

    /// False when no substring of `text` can match: a quick test before matching several
    /// substrings of one string (the reference filter matches six forms of each name, all
    /// substrings of it).
    pub fn may_match_within(&self, text: &str) -> bool {
        text.len() >= self.min_len && text.contains(self.required.as_str())
    }

    /// Whether `name` matches the whole pattern.
    pub fn is_match(&self, name: &str) -> bool {
        if let Some(lit) = &self.literal {
            return lit == name;
        }
        if name.len() < self.min_len {
            // A name has at least as many bytes as characters.
            return false;
        }
        if name.is_ascii() {
            self.run(name.as_bytes())
        } else {
            let chars: Vec<char> = name.chars().collect();
            if chars.len() < self.min_len {
                return false;
            }
            self.run(&chars)
        }
    }
}

/// Go's `getEsc`: one class character, escaped or not; a class must not end the pattern.
fn class_char(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<char, BadPattern> {
    let c = match chars.next() {
        None | Some('-') | Some(']') => return Err(BadPattern),
        Some('\\') => chars.next().ok_or(BadPattern)?,
        Some(c) => c,
    };
    if chars.peek().is_none() {
        return Err(BadPattern);
    }
    Ok(c)
}

impl Glob {
    fn tok_matches(&self, tok: Tok, c: char) -> bool {
        match tok {
            Tok::Star => true,
            Tok::Any => c != '/',
            Tok::Lit(l) => l == c,
            Tok::Class(i) => usize::try_from(i)
                .ok()
                .and_then(|i| self.classes.get(i))
                .is_some_and(|class| class.matches(c)),
        }
    }

    /// The star-backtracking matcher over a slice of characters (bytes for ASCII names).
    fn run<T: Copy + Into<char>>(&self, s: &[T]) -> bool {
        let toks = &self.toks;
        let (mut p, mut i) = (0usize, 0usize);
        // (token after the latest star, position in `s` the star has absorbed up to)
        let mut star: Option<(usize, usize)> = None;
        loop {
            if let Some(&tok) = toks.get(p) {
                if tok == Tok::Star {
                    p += 1;
                    star = Some((p, i));
                    continue;
                }
                if let Some(&c) = s.get(i) {
                    if self.tok_matches(tok, c.into()) {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
            } else if i == s.len() {
                return true;
            }
            // Mismatch: let the latest star absorb one more character, never a '/'.
            match star {
                Some((sp, si)) => match s.get(si) {
                    Some(&c) if c.into() != '/' => {
                        star = Some((sp, si + 1));
                        p = sp;
                        i = si + 1;
                    }
                    _ => return false,
                },
                None => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str) -> Result<bool, BadPattern> {
        Glob::compile(pattern).map(|g| g.is_match(name))
    }

    /// Go src/path/match_test.go matchTests.
    #[test]
    fn go_match_table() {
        let bad = Err(BadPattern);
        let cases: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "-", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", bad),
            ("[-]", "-", bad),
            ("[x-]", "x", bad),
            ("[x-]", "-", bad),
            ("[x-]", "z", bad),
            ("[-x]", "x", bad),
            ("[-x]", "-", bad),
            ("[-x]", "a", bad),
            ("\\", "a", bad),
            ("[a-b-c]", "a", bad),
            ("[", "a", bad),
            ("[^", "a", bad),
            ("[^bc", "a", bad),
            ("a[", "a", bad),
            ("a[", "ab", bad),
            ("a[", "x", bad),
            ("a/b[", "x", bad),
            ("*x", "xxx", Ok(true)),
            // Beyond Go's table: a class may match '/', a star never does.
            ("a[/]b", "a/b", Ok(true)),
            ("*[/x][/x]*", "x//y", Ok(false)),
            ("[a*]", "*", Ok(true)),
            ("", "", Ok(true)),
            ("", "a", Ok(false)),
        ];
        for (p, s, want) in cases {
            assert_eq!(m(p, s), *want, "{p:?} {s:?}");
        }
    }

    #[test]
    fn huge_patterns_are_fast() {
        let stars = "*".repeat(1 << 20);
        assert_eq!(m(&stars, "abc"), Ok(true));
        assert_eq!(m(&stars, "a/c"), Ok(false));
        let many = "*a".repeat(1 << 19);
        assert_eq!(m(&many, &"a".repeat(100)), Ok(false));
        let worst = format!("{}b", "*a".repeat(50));
        assert_eq!(m(&worst, &"a".repeat(400)), Ok(false));
    }

    /// Go's `path.Match`, translated literally (`scanChunk`, `matchChunk`, `getEsc`) for
    /// ASCII input, as the model the compiled matcher must agree with.
    mod go_model {
        fn scan_chunk(p: &[u8]) -> (bool, &[u8], &[u8]) {
            let mut p = p;
            let mut star = false;
            while p.first() == Some(&b'*') {
                p = &p[1..];
                star = true;
            }
            let mut inrange = false;
            let mut i = 0;
            while i < p.len() {
                match p[i] {
                    b'\\' if i + 1 < p.len() => i += 1,
                    b'[' => inrange = true,
                    b']' => inrange = false,
                    b'*' if !inrange => break,
                    _ => {}
                }
                i += 1;
            }
            (star, &p[..i], &p[i..])
        }

        fn get_esc(chunk: &[u8]) -> Result<(u8, &[u8]), ()> {
            let mut chunk = chunk;
            match chunk.first() {
                None | Some(b'-') | Some(b']') => return Err(()),
                Some(b'\\') => {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(());
                    }
                }
                _ => {}
            }
            let r = chunk[0];
            let rest = &chunk[1..];
            if rest.is_empty() {
                return Err(());
            }
            Ok((r, rest))
        }

        fn match_chunk<'s>(chunk: &[u8], s: &'s [u8]) -> Result<Option<&'s [u8]>, ()> {
            let (mut chunk, mut s) = (chunk, s);
            let mut failed = false;
            while !chunk.is_empty() {
                if !failed && s.is_empty() {
                    failed = true;
                }
                match chunk[0] {
                    b'[' => {
                        let mut r = 0u8;
                        if !failed {
                            r = s[0];
                            s = &s[1..];
                        }
                        chunk = &chunk[1..];
                        let mut negated = false;
                        if chunk.first() == Some(&b'^') {
                            negated = true;
                            chunk = &chunk[1..];
                        }
                        let mut matched = false;
                        let mut nrange = 0;
                        loop {
                            if chunk.first() == Some(&b']') && nrange > 0 {
                                chunk = &chunk[1..];
                                break;
                            }
                            let (lo, rest) = get_esc(chunk)?;
                            chunk = rest;
                            let mut hi = lo;
                            if chunk[0] == b'-' {
                                let (h, rest) = get_esc(&chunk[1..])?;
                                hi = h;
                                chunk = rest;
                            }
                            if lo <= r && r <= hi {
                                matched = true;
                            }
                            nrange += 1;
                        }
                        if matched == negated {
                            failed = true;
                        }
                    }
                    b'?' => {
                        if !failed {
                            if s[0] == b'/' {
                                failed = true;
                            }
                            s = &s[1..];
                        }
                        chunk = &chunk[1..];
                    }
                    c => {
                        let c = if c == b'\\' {
                            chunk = &chunk[1..];
                            match chunk.first() {
                                Some(&c) => c,
                                None => return Err(()),
                            }
                        } else {
                            c
                        };
                        if !failed {
                            if c != s[0] {
                                failed = true;
                            }
                            s = &s[1..];
                        }
                        chunk = &chunk[1..];
                    }
                }
            }
            Ok(if failed { None } else { Some(s) })
        }

        pub fn go_match(pattern: &str, name: &str) -> Result<bool, ()> {
            let mut pattern = pattern.as_bytes();
            let mut name = name.as_bytes();
            'outer: while !pattern.is_empty() {
                let (star, chunk, rest) = scan_chunk(pattern);
                pattern = rest;
                if star && chunk.is_empty() {
                    return Ok(!name.contains(&b'/'));
                }
                let first = match_chunk(chunk, name);
                if let Ok(Some(t)) = first {
                    if t.is_empty() || !pattern.is_empty() {
                        name = t;
                        continue;
                    }
                }
                first?;
                if star {
                    let mut i = 0;
                    while i < name.len() && name[i] != b'/' {
                        if let Some(t) = match_chunk(chunk, &name[i + 1..])? {
                            if pattern.is_empty() && !t.is_empty() {
                                i += 1;
                                continue;
                            }
                            name = t;
                            continue 'outer;
                        }
                        i += 1;
                    }
                }
                while !pattern.is_empty() {
                    let (_, chunk, rest) = scan_chunk(pattern);
                    pattern = rest;
                    match_chunk(chunk, b"")?;
                }
                return Ok(false);
            }
            Ok(name.is_empty())
        }
    }

    #[test]
    fn model_agrees_on_go_table() {
        for (p, s, want) in [
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("[x-]", "x", Err(())),
        ] {
            assert_eq!(go_model::go_match(p, s), want);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn agrees_with_go(p in "[ab/*?\\[\\]^\\\\-]{0,9}", n in "[ab/\\]^-]{0,9}") {
            let got = Glob::compile(&p).map(|g| g.is_match(&n)).map_err(|_| ());
            proptest::prop_assert_eq!(got, go_model::go_match(&p, &n), "{:?} {:?}", p, n);
        }

        #[test]
        fn never_panics(p in "\\PC{0,40}", n in "\\PC{0,40}") {
            if let Ok(g) = Glob::new(&p) {
                let _ = g.may_match_within(&n);
                if g.is_match(&n) {
                    proptest::prop_assert!(g.may_match_within(&n), "{:?} {:?}", p, n);
                }
            }
        }

        #[test]
        fn the_literal_run_prefilter_is_sound(p in "[ab/*?]{0,8}", n in "[ab/]{0,8}") {
            let g = Glob::compile(&p).map_err(|_| proptest::test_runner::TestCaseError::reject("bad"))?;
            if g.is_match(&n) {
                let wrapped = format!("x{n}y");
                proptest::prop_assert!(g.may_match_within(&wrapped));
            }
        }
    }
}
