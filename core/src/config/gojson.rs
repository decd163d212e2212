//! The parts of Go's `encoding/json` whose exact output bytes hoist must reproduce, so that
//! a config converted from schema 1 has the same digest (image ID) as podman's.
//!
//! - [`write_string`]: `json.Marshal` of a Go string (`encodeState.string` with
//!   `escapeHTML`): `"` and `\` escaped, `\b \f \n \r \t` short escapes (Go 1.22 and later;
//!   older Go wrote `\u0008` and `\u000c`), other control bytes as `\u00XX`, `<` `>` `&` as
//!   `\u003c` `\u003e` `\u0026`, and U+2028 / U+2029 as `\u2028` / `\u2029`. Lowercase hex.
//! - [`write_compact`]: what `json.Marshal` does to a `json.RawMessage` (`appendCompact` with
//!   `escapeHTML`): insignificant whitespace dropped, `<` `>` `&` and U+2028 / U+2029
//!   escaped, every other byte (including escapes the input chose, such as `\/`) kept.
//! - [`members`]: a top-level object split into (decoded key, raw value text), as
//!   `json.Unmarshal` into `map[string]*json.RawMessage` sees it.
//! - [`fold_eq`]: Go's case-insensitive struct field matching on decode.
//!
//! Inputs are always text that already passed [`crate::json::check`], so the scanners can
//! rely on well-formed JSON; they still never index out of bounds.

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_u00(out: &mut String, b: u8) {
    out.push_str("\\u00");
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xf)]));
}

/// Appends `s` as Go's `json.Marshal` writes a string (quotes included).
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' => push_u00(out, c as u8),
            c if (c as u32) < 0x20 => push_u00(out, c as u8),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends the JSON text `raw` compacted the way Go emits a `json.RawMessage`.
pub(crate) fn write_compact(out: &mut String, raw: &str) {
    let mut in_string = false;
    let mut escaped = false;
    for c in raw.chars() {
        if in_string {
            match c {
                '<' | '>' | '&' => push_u00(out, c as u8),
                '\u{2028}' => out.push_str("\\u2028"),
                '\u{2029}' => out.push_str("\\u2029"),
                _ => out.push(c),
            }
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else {
            match c {
                ' ' | '\t' | '\n' | '\r' => {}
                '"' => {
                    in_string = true;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
}

/// Byte index just past the JSON value starting at `start` (after any whitespace).
fn value_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    while let Some(&c) = b.get(i) {
        i += 1;
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
                if depth == 0 {
                    return i;
                }
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth <= 1 {
                    return i;
                }
                depth -= 1;
            }
            _ if depth == 0 => {
                // A scalar: runs until a delimiter.
                while let Some(&d) = b.get(i) {
                    if matches!(d, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    i += 1;
                }
                return i;
            }
            _ => {}
        }
    }
    i
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Splits a strictly valid JSON object into its members: each key decoded (escapes
/// resolved), each value as its raw text. `None` when `text` is not an object.
pub(crate) fn members(text: &str) -> Option<Vec<(String, &str)>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut out = Vec::new();
    loop {
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b'}') => return Some(out),
            Some(b',') => {
                i = skip_ws(b, i + 1);
            }
            Some(b'"') => {}
            _ => return None,
        }
        let key_end = value_end(b, i);
        let key: String = serde_json::from_str(text.get(i..key_end)?).ok()?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start);
        out.push((key, text.get(start..end)?));
        i = end;
    }
}

/// Go's `encoding/json` field matching: exact, or equal under Go's name folding
/// (`ToUpper(ToLower(r))` per rune). `name` is the ASCII field name. Besides ASCII case,
/// four non-ASCII runes fold onto ASCII letters: `ſ` (U+017F) → `S`, `K` (U+212A, Kelvin)
/// → `K`, `İ` (U+0130) → `I` and `ı` (U+0131) → `I`.
pub(crate) fn fold_eq(key: &str, name: &str) -> bool {
    let mut want = name.bytes();
    for c in key.chars() {
        let folded = match c {
            'a'..='z' => c.to_ascii_uppercase(),
            c if c.is_ascii() => c,
            '\u{17f}' => 'S',
            '\u{212a}' => 'K',
            '\u{130}' | '\u{131}' => 'I',
            _ => return false,
        };
        match want.next() {
            Some(w) if char::from(w.to_ascii_uppercase()) == folded => {}
            _ => return false,
        }
    }
    want.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        let cases = [
            ("plain", r#""plain""#),
            ("a && b <c>", r#""a \u0026\u0026 b \u003cc\u003e""#),
            ("q\"b\\", r#""q\"b\\""#),
            (
                "\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}",
                "\"\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\"",
            ),
            ("\u{2028}\u{2029}é/", "\"\\u2028\\u2029é/\""),
        ];
        for (input, want) in cases {
            let mut out = String::new();
            write_string(&mut out, input);
            assert_eq!(out, want, "{input:?}");
        }
    }

    #[test]
    fn compact() {
        let cases = [
            (
                " { \"a\" : [ 1 , 2 ] ,\n\t\"b\":\"x y\\\" <&>\" } ",
                r#"{"a":[1,2],"b":"x y\" \u003c\u0026\u003e"}"#,
            ),
            ("\"\\/\\u00e9\u{2028}\"", "\"\\/\\u00e9\\u2028\""),
            ("1.50", "1.50"),
            ("\"a\\\\\" ", "\"a\\\\\""),
        ];
        for (input, want) in cases {
            let mut out = String::new();
            write_compact(&mut out, input);
            assert_eq!(out, want, "{input:?}");
        }
    }

    #[test]
    fn split_members() {
        let text = r#" { "a" : 1 , "\u0062" :{"x":[1,"}"]}, "c":"s\"}", "d" : null ,"e":-1.5e3 } "#;
        let got = members(text).expect("object");
        let want = vec![
            ("a".to_owned(), "1"),
            ("b".to_owned(), r#"{"x":[1,"}"]}"#),
            ("c".to_owned(), r#""s\"}""#),
            ("d".to_owned(), "null"),
            ("e".to_owned(), "-1.5e3"),
        ];
        assert_eq!(got, want);
        assert_eq!(members("{}"), Some(vec![]));
        assert_eq!(members("[1]"), None);
    }

    #[test]
    fn folding() {
        let cases = [
            ("id", "id", true),
            ("ID", "id", true),
            ("Docker_Version", "docker_version", true),
            ("ſize", "Size", true),
            ("\u{212a}ey", "key", true),
            ("\u{130}d", "id", true),
            ("idx", "id", false),
            ("i", "id", false),
            ("ïd", "id", false),
        ];
        for (key, name, want) in cases {
            assert_eq!(fold_eq(key, name), want, "{key} {name}");
        }
    }
}
