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
        let mut toks = Vec::new();
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
        let literal = toks
            .iter()
            .map(|t| match t {
                Tok::Lit(c) => Some(*c),
                _ => None,
            })
            .collect::<Option<String>>();
        let min_len = toks.iter().filter(|t| **t != Tok::Star).count();
        Ok(Glob {
            toks,
            classes,
            literal,
            min_len,
        })
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
}
