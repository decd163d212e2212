#![no_main]
//! The image filter language (`Filters::parse` against an `ImageIndex`), its globs and
//! `until` times, and the image index it runs over (`ImageIndex::from_json`, `resolve`).
//!
//! Input: UTF-8 `ARG (\n ARG)* [\0 INDEX_JSON]`: at most 16 filter arguments, and an
//! optional persisted index; without one (or when it does not load) a fixed index of five
//! images is used.
//!
//! Invariants beyond "no panic":
//! - a loaded index serializes to JSON that loads back equal (and serializes the same);
//! - `list` is exactly the records `matches` accepts, newest first;
//! - a filter matches a record exactly when every non-`reference` clause does, no negated
//!   `reference` clause does, and some positive `reference` clause does (or there is
//!   none): each clause is parsed on its own and compared with the whole;
//! - a clause and its negation (`k=v` / `k!=v`) split every record between them;
//! - a glob without metacharacters matches exactly itself;
//! - `resolve` returns a record of the index.
use hoist_core::filter::{parse_until, Filters, Glob, MAX_CLAUSES};
use hoist_core::store::ImageIndex;
use hoist_core::ErrorCode;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const NOW: i64 = 1_700_000_000;

const FIXED_INDEX: &str = r#"{"version":1,"images":[
{"id":"sha256:d44d3e4b17cf7ff95941c8f84d09c184d23f73af85ae5267cad0e19302175731",
 "names":["quay.io/libpod/busybox:latest","localhost/image:tag"],
 "manifest_digest":"sha256:1ffe17b188a63fd9bdd48e319ca7e91b9863047560e6a678b9c8fc93d3f4875a",
 "created":1600000000,"labels":{"a":"b","maintainer":"x"}},
{"id":"sha256:44ce56e82fb27449da58288919143ca7dc0338336f54dc4ee6b044b8efc4a888",
 "names":["quay.io/libpod/alpine:latest","docker.io/library/image:another-tag"],
 "digests":["quay.io/libpod/alpine@sha256:48349c2ee54a366a0afbeb5138afd17c95af376f09927f25208dbf0b0b9b8b81"],
 "manifest_digest":"sha256:48349c2ee54a366a0afbeb5138afd17c95af376f09927f25208dbf0b0b9b8b81",
 "created":1500000000,"labels":{"a":"c"}},
{"id":"sha256:a09aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd",
 "digests":["docker.io/library/redis@sha256:96a8dc96c7ea55f28316d93a4046eaa4620c01c655352cadac09e2c032ab20f2"],
 "manifest_digest":"sha256:96a8dc96c7ea55f28316d93a4046eaa4620c01c655352cadac09e2c032ab20f2"},
{"id":"sha256:a0aa000000000000000000000000000000000000000000000000000000000001",
 "names":["docker.io/library/redis:7"],
 "manifest_digest":"sha256:0000000000000000000000000000000000000000000000000000000000000002",
 "created":1690000000},
{"id":"sha256:ffff000000000000000000000000000000000000000000000000000000000003",
 "names":["example.com:5000/team/app:v1.2"],
 "manifest_digest":"sha256:0000000000000000000000000000000000000000000000000000000000000004",
 "created":-100}
]}"#;

fn load(json: &str) -> Option<ImageIndex> {
    let index = ImageIndex::from_json(json.as_bytes()).ok()?;
    let out = index.to_json();
    let again = ImageIndex::from_json(&out).unwrap_or_else(|e| {
        panic!(
            "to_json does not load back ({e}): {}",
            String::from_utf8_lossy(&out)
        )
    });
    assert_eq!(again, index);
    assert_eq!(again.to_json(), out);
    Some(index)
}

/// Each clause of `filters` on its own, as an argument.
fn clause_args(filters: &Filters) -> Vec<(bool, bool, String)> {
    filters
        .clauses()
        .iter()
        .map(|c| {
            let op = if c.negate { "!=" } else { "=" };
            let reference = c.key.as_str() == "reference";
            (
                reference,
                c.negate,
                format!("{}{op}{}", c.key.as_str(), c.value),
            )
        })
        .collect()
}

fn check_filters(args: &[&str], index: &ImageIndex) {
    let filters = match Filters::parse(args, index, NOW) {
        Ok(f) => f,
        Err(e) => {
            assert!(!e.code().is_empty() && !e.to_string().is_empty());
            return;
        }
    };
    assert!(filters.clauses().len() <= MAX_CLAUSES);
    assert_eq!(filters.is_empty(), filters.clauses().is_empty());

    let listed = index.list(&filters);
    let matching: Vec<_> = index.records().filter(|r| filters.matches(r)).collect();
    assert_eq!(listed.len(), matching.len());
    assert!(listed.iter().all(|r| filters.matches(r)));
    assert!(listed.windows(2).all(|w| w[0].created >= w[1].created));

    let singles: Vec<(bool, bool, Filters)> = clause_args(&filters)
        .into_iter()
        .map(|(reference, negate, arg)| {
            let f = Filters::parse(&[arg.as_str()], index, NOW)
                .unwrap_or_else(|e| panic!("clause {arg:?} of {args:?} alone fails: {e}"));
            (reference, negate, f)
        })
        .collect();
    for r in index.records() {
        let conds = singles
            .iter()
            .filter(|(reference, _, _)| !reference)
            .all(|(_, _, f)| f.matches(r));
        let unwanted = singles
            .iter()
            .filter(|(reference, negate, _)| *reference && *negate)
            .all(|(_, _, f)| f.matches(r));
        let mut wanted = singles
            .iter()
            .filter(|(reference, negate, _)| *reference && !*negate)
            .peekable();
        let wanted = wanted.peek().is_none() || wanted.any(|(_, _, f)| f.matches(r));
        assert_eq!(
            filters.matches(r),
            conds && unwanted && wanted,
            "{args:?} on {}",
            r.id
        );
    }

    if let [(_, false, arg)] = clause_args(&filters).as_slice() {
        let negated = arg.replacen('=', "!=", 1);
        let neg = Filters::parse(&[negated.as_str()], index, NOW)
            .unwrap_or_else(|e| panic!("{arg:?} parses but {negated:?} fails: {e}"));
        for r in index.records() {
            assert_ne!(filters.matches(r), neg.matches(r), "{arg:?} on {}", r.id);
        }
    }
}

/// Go's `path.Match` (src/path/match.go, Go 1.16 and later), ported line by line on
/// bytes: the oracle for `Glob` on ASCII patterns and names. `Err` is `ErrBadPattern`.
mod go {
    pub fn path_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, ()> {
        'pattern: while !pattern.is_empty() {
            let (star, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            if star && chunk.is_empty() {
                return Ok(!name.contains(&b'/'));
            }
            let (t, ok) = match_chunk(chunk, name)?;
            if ok && (t.is_empty() || !pattern.is_empty()) {
                name = t;
                continue;
            }
            if star {
                let mut i = 0;
                while i < name.len() && name[i] != b'/' {
                    let (t, ok) = match_chunk(chunk, &name[i + 1..])?;
                    if ok {
                        if pattern.is_empty() && !t.is_empty() {
                            i += 1;
                            continue;
                        }
                        name = t;
                        continue 'pattern;
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

    fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
        let mut star = false;
        while pattern.first() == Some(&b'*') {
            pattern = &pattern[1..];
            star = true;
        }
        let mut inrange = false;
        let mut i = 0;
        while i < pattern.len() {
            match pattern[i] {
                b'\\' => {
                    if i + 1 < pattern.len() {
                        i += 1;
                    }
                }
                b'[' => inrange = true,
                b']' => inrange = false,
                b'*' if !inrange => break,
                _ => {}
            }
            i += 1;
        }
        (star, &pattern[..i], &pattern[i..])
    }

    fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<(&'a [u8], bool), ()> {
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
                    let negated = chunk.first() == Some(&b'^');
                    if negated {
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
                        *chunk.first().ok_or(())?
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
        if failed {
            Ok((b"", false))
        } else {
            Ok((s, true))
        }
    }

    fn get_esc(mut chunk: &[u8]) -> Result<(u8, &[u8]), ()> {
        match chunk.first() {
            None | Some(b'-') | Some(b']') => return Err(()),
            Some(b'\\') => {
                chunk = &chunk[1..];
                if chunk.is_empty() {
                    return Err(());
                }
            }
            Some(_) => {}
        }
        let r = chunk[0];
        let rest = &chunk[1..];
        if rest.is_empty() {
            return Err(());
        }
        Ok((r, rest))
    }
}

fn check_glob(pattern: &str, names: &[&str]) {
    let glob = Glob::new(pattern);
    if pattern.is_ascii() {
        assert_eq!(
            glob.is_ok(),
            go::path_match(pattern.as_bytes(), b"").is_ok(),
            "validity of {pattern:?}"
        );
    }
    let Ok(g) = glob else {
        return;
    };
    let plain = !pattern.contains(['*', '?', '[', '\\']);
    for name in names.iter().copied().chain([pattern]) {
        let m = g.is_match(name);
        if plain {
            assert_eq!(m, name == pattern, "glob {pattern:?} on {name:?}");
        }
        if pattern.is_ascii() && name.is_ascii() {
            let want = go::path_match(pattern.as_bytes(), name.as_bytes());
            assert_eq!(Ok(m), want, "glob {pattern:?} on {name:?} (Go path.Match)");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (args_text, index_json) = text.split_once('\0').unwrap_or((text, ""));
    static FIXED: OnceLock<ImageIndex> = OnceLock::new();
    let loaded = load(index_json).filter(|i| !i.is_empty());
    let index = loaded
        .as_ref()
        .unwrap_or_else(|| FIXED.get_or_init(|| load(FIXED_INDEX).expect("fixed index loads")));
    let args: Vec<&str> = args_text.split('\n').take(16).collect();

    check_filters(&args, index);
    let values: Vec<&str> = args
        .iter()
        .map(|a| a.split_once('=').map_or(*a, |(_, v)| v))
        .collect();
    let names: Vec<&str> = index
        .records()
        .flat_map(|r| r.names.iter().chain(r.digests.iter()))
        .map(String::as_str)
        .take(16)
        .chain(values.iter().copied())
        .collect();
    for value in values.iter().copied() {
        check_glob(value, &names);
        let _ = parse_until(value, NOW);
        if let Ok(r) = index.resolve(value) {
            assert_eq!(index.get(&r.id), Some(r));
        }
    }
});
