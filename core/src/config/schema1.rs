//! Docker schema 1 manifest history → image config, byte for byte as containers/image
//! (`manifest/docker_schema1.go`: `Schema1FromManifest`'s layer fix-up, then
//! `ToSchema2Config`) builds it, so that the image ID of a schema 1 image pulled by hoist
//! equals podman's (`storage_dest.go` `computeID` hashes exactly these bytes).
//!
//! A schema 1 manifest has no config blob. Each `history[i].v1Compatibility` is a JSON
//! string holding the legacy per-layer image JSON, newest first, paired with
//! `fsLayers[i].blobSum`. The conversion:
//!
//! 1. validates the layer chain (containers/image `fixManifestLayers`): every `id` is 64
//!    lowercase hex (`schema1-invalid-id`), the oldest entry has no `parent` and every
//!    other entry's `parent` is the next entry's `id` (`schema1-invalid-parent`), an `id`
//!    repeats only in consecutive runs (`schema1-duplicate-id`), and each run collapses to
//!    its last (oldest) entry;
//! 2. builds `history` oldest first: `created` (Go's zero time when absent), `created_by` =
//!    `container_config.Cmd` joined with spaces, `author`, `comment`, and
//!    `empty_layer: true` for `throwaway` entries;
//! 3. builds `rootfs` = `{"type":"layers","diff_ids":[…]}` from the caller's diff IDs (one
//!    per non-throwaway entry, oldest first, `diff-ids-mismatch` otherwise; the key is
//!    omitted when there are none, as Go's `omitempty` does);
//! 4. takes the newest v1Compatibility object as the base: every member kept with its raw
//!    value (compacted, HTML-escaped as Go emits a `json.RawMessage`), except `id`,
//!    `parent`, `parent_id`, `layer_id`, `throwaway` and `Size`; images made by Docker older
//!    than 1.8.3 (`docker_version`) are first decoded into Docker's `V1Image` type and
//!    re-encoded, which drops unknown fields and adds zero values, as upstream does;
//! 5. adds `rootfs` and `history` and writes the object with keys sorted bytewise
//!    (Go's `json.Marshal` of a `map[string]*json.RawMessage`).
//!
//! Every v1Compatibility must be strict JSON ([`crate::json::check`]) and decode into
//! containers/image's Go types without a type error (Go's decoding rules, as reproduced,
//! are listed in the private `v1image` module); the result must pass
//! [`ImageConfig::parse`].
//!
//! Deviations from containers/image, all of which make hoist reject an input that podman
//! accepts, never produce different bytes for an input both accept: duplicate JSON keys
//! are rejected; lone UTF-16 surrogate escapes are rejected (Go replaces them with
//! U+FFFD); a leap second (`:60`) is rejected as Go does; the caller's diff ID count must
//! match (podman's callers always pass one per non-throwaway layer); and the result must
//! be a valid config under [`ImageConfig::parse`] (for example `os` and `architecture`
//! present). String escaping follows Go 1.22 and later (`\b`, `\f`); Go 1.21 and older
//! wrote `\u0008` and `\u000c`, which only matters for those two control characters.

use std::collections::BTreeMap;

use serde_json::Value;

use super::fields::invalid;
use super::gojson::{members, write_compact, write_string};
use super::time::Timestamp;
use super::v1image::{version_less_than, V1Compat, V1Image};
use super::{ConfigError, ImageConfig};
use crate::digest::Digest;

/// The result of [`to_config`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Schema1Config {
    /// The converted config; [`ImageConfig::raw`] holds the exact bytes and
    /// [`ImageConfig::id`] the image ID podman gives the image.
    pub config: ImageConfig,
    /// The `blobSum`s of the layers that carry content (non-throwaway entries left after
    /// the fix-up), oldest first: the layers `diff_ids` correspond to, in the same order.
    pub layers: Vec<Digest>,
}

/// Keys containers/image drops from the base v1Compatibility.
const DROPPED: [&str; 6] = ["id", "parent", "parent_id", "layer_id", "throwaway", "Size"];

struct Entry<'a> {
    index: usize,
    raw: &'a str,
    compat: V1Compat,
    blob_sum: &'a Digest,
}

fn is_v1_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Converts a schema 1 manifest's history into an image config (see the module docs).
///
/// `history` is the manifest's `history[].v1Compatibility` strings paired with the
/// `fsLayers[].blobSum` at the same index, in manifest order (newest first). `diff_ids`
/// are the DiffIDs of the non-throwaway layers, oldest first (the order of
/// [`Schema1Config::layers`]).
pub fn to_config(
    history: &[(String, Digest)],
    diff_ids: &[Digest],
) -> Result<Schema1Config, ConfigError> {
    if history.is_empty() {
        return Err(ConfigError::Schema1Empty);
    }
    let mut entries = Vec::with_capacity(history.len());
    for (index, (raw, blob_sum)) in history.iter().enumerate() {
        let field = format!("history[{index}].v1Compatibility");
        let value = super::strict_value(raw.as_bytes())?;
        let compat = V1Compat::decode(&value, &field)?;
        entries.push(Entry {
            index,
            raw,
            compat,
            blob_sum,
        });
    }
    fix_layers(&mut entries)?;

    let non_throwaway: Vec<&Entry<'_>> = entries
        .iter()
        .rev()
        .filter(|e| !e.compat.throwaway)
        .collect();
    if non_throwaway.len() != diff_ids.len() {
        return Err(ConfigError::DiffIdsMismatch {
            diff_ids: diff_ids.len(),
            layers: non_throwaway.len(),
        });
    }
    let layers = non_throwaway.iter().map(|e| e.blob_sum.clone()).collect();

    let Some(newest) = entries.first() else {
        return Err(ConfigError::Schema1Empty);
    };
    let base_field = format!("history[{}].v1Compatibility", newest.index);
    let base_value: Value = super::strict_value(newest.raw.as_bytes())?;
    let image = V1Image::decode(&base_value, &base_field)?;

    let mut top: BTreeMap<String, String> = BTreeMap::new();
    if !image.docker_version.is_empty() && version_less_than(&image.docker_version, "1.8.3") {
        top.extend(image.encode_members());
    } else {
        let split = members(newest.raw).ok_or_else(|| invalid(&base_field, "an object"))?;
        for (key, raw_value) in split {
            let mut v = String::with_capacity(raw_value.len());
            write_compact(&mut v, raw_value);
            top.insert(key, v);
        }
    }
    for key in DROPPED {
        top.remove(key);
    }
    top.insert("rootfs".to_owned(), rootfs_json(diff_ids));
    top.insert("history".to_owned(), history_json(&entries));

    let mut out = String::from("{");
    for (i, (key, value)) in top.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(&mut out, key);
        out.push(':');
        out.push_str(value);
    }
    out.push('}');
    let config = ImageConfig::parse(out.as_bytes())?;
    Ok(Schema1Config { config, layers })
}

/// containers/image `fixManifestLayers`, on entries in manifest order.
fn fix_layers(entries: &mut Vec<Entry<'_>>) -> Result<(), ConfigError> {
    for e in entries.iter() {
        if !is_v1_id(&e.compat.id) {
            return Err(ConfigError::Schema1InvalidId { index: e.index });
        }
    }
    if let Some(base) = entries.last() {
        if !base.compat.parent.is_empty() {
            return Err(ConfigError::Schema1InvalidParent { index: base.index });
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut last: Option<&str> = None;
    for e in entries.iter() {
        let id = e.compat.id.as_str();
        if last != Some(id) && !seen.insert(id) {
            return Err(ConfigError::Schema1DuplicateId { index: e.index });
        }
        last = Some(id);
    }
    // Upstream walks backwards, deleting an entry when the next (older) one has the same
    // id and otherwise checking the parent link. A deleted entry's id equals its
    // successor's, so the links checked are the same without deleting as it goes; the
    // first error upstream finds is the one at the highest index.
    for pair in entries.windows(2).rev() {
        if let [cur, next] = pair {
            if cur.compat.id != next.compat.id && cur.compat.parent != next.compat.id {
                return Err(ConfigError::Schema1InvalidParent { index: cur.index });
            }
        }
    }
    // Keep the last (oldest) entry of each run of equal ids, in one pass.
    let drop: Vec<bool> = entries
        .windows(2)
        .map(|pair| matches!(pair, [cur, next] if cur.compat.id == next.compat.id))
        .chain(std::iter::once(false))
        .collect();
    let mut flags = drop.into_iter();
    entries.retain(|_| !flags.next().unwrap_or(false));
    Ok(())
}

/// `json.Marshal(&Schema2RootFS{Type: "layers", DiffIDs: diff_ids})`.
fn rootfs_json(diff_ids: &[Digest]) -> String {
    let mut out = String::from(r#"{"type":"layers""#);
    if !diff_ids.is_empty() {
        out.push_str(r#","diff_ids":["#);
        for (i, d) in diff_ids.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(&mut out, d.as_str());
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// `json.Marshal([]Schema2History{…})`, oldest entry first.
fn history_json(entries: &[Entry<'_>]) -> String {
    let mut out = String::from("[");
    for (i, e) in entries.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let c = &e.compat;
        let created = c.created.clone().unwrap_or_else(Timestamp::go_zero);
        out.push_str(r#"{"created":"#);
        write_string(&mut out, &created.go_rfc3339_nano());
        if !c.author.is_empty() {
            out.push_str(r#","author":"#);
            write_string(&mut out, &c.author);
        }
        let created_by = c.cmd.as_deref().unwrap_or_default().join(" ");
        if !created_by.is_empty() {
            out.push_str(r#","created_by":"#);
            write_string(&mut out, &created_by);
        }
        if !c.comment.is_empty() {
            out.push_str(r#","comment":"#);
            write_string(&mut out, &c.comment);
        }
        if c.throwaway {
            out.push_str(r#","empty_layer":true"#);
        }
        out.push('}');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn id(c: char) -> String {
        std::iter::repeat_n(c, 64).collect()
    }

    fn blob(n: u8) -> Digest {
        Digest::sha256_of(&[n])
    }

    #[test]
    fn minimal_with_throwaway() {
        let history = vec![
            (
                format!(
                    r##"{{"id":"{}","parent":"{}","throwaway":true,"created":"2016-01-02T03:04:05.5+01:00","container_config":{{"Cmd":["/bin/sh","-c","#(nop) CMD [\"sh\"]"]}},"os":"linux","architecture":"amd64","config":{{"Cmd":["sh"]}}, "Size":0}}"##,
                    id('b'),
                    id('a')
                ),
                blob(2),
            ),
            (
                format!(
                    r##"{{"id":"{}","created":"2016-01-02T03:04:00Z","container_config":{{"Cmd":["/bin/sh -c #(nop) ADD file:x in / && echo <ok>"]}},"author":"me"}}"##,
                    id('a')
                ),
                blob(1),
            ),
        ];
        let diff = vec![Digest::sha256_of(b"layer")];
        let got = to_config(&history, &diff).expect("converts");
        let want = format!(
            concat!(
                r##"{{"architecture":"amd64","config":{{"Cmd":["sh"]}},"container_config":{{"Cmd":["/bin/sh","-c","#(nop) CMD [\"sh\"]"]}},"##,
                r#""created":"2016-01-02T03:04:05.5+01:00","#,
                r##""history":[{{"created":"2016-01-02T03:04:00Z","author":"me","created_by":"/bin/sh -c #(nop) ADD file:x in / \u0026\u0026 echo \u003cok\u003e"}},"##,
                r##"{{"created":"2016-01-02T03:04:05.5+01:00","created_by":"/bin/sh -c #(nop) CMD [\"sh\"]","empty_layer":true}}],"##,
                r#""os":"linux","rootfs":{{"type":"layers","diff_ids":["{}"]}}}}"#
            ),
            diff[0]
        );
        assert_eq!(String::from_utf8_lossy(got.config.raw()), want);
        assert_eq!(got.layers, vec![blob(1)]);
        got.config.check_layers(1).expect("consistent");
    }

    #[test]
    fn errors() {
        let ok_base = |extra: &str| {
            format!(
                r#"{{"id":"{}","os":"linux","architecture":"amd64"{extra}}}"#,
                id('a')
            )
        };
        let d = vec![Digest::sha256_of(b"x")];
        type Case = (Vec<(String, Digest)>, Vec<Digest>, &'static str);
        let cases: Vec<Case> = vec![
            (vec![], vec![], "schema1-empty"),
            (
                vec![(r#"{"id":"abc"}"#.into(), blob(1))],
                d.clone(),
                "schema1-invalid-id",
            ),
            (
                vec![(ok_base(r#","parent":"x""#), blob(1))],
                d.clone(),
                "schema1-invalid-parent",
            ),
            (vec![(ok_base(""), blob(1))], vec![], "diff-ids-mismatch"),
            (
                vec![(ok_base(r#","os":"linux""#), blob(1))],
                d.clone(),
                "duplicate-key",
            ),
            (
                vec![(ok_base(r#","created":"now""#), blob(1))],
                d.clone(),
                "invalid-field",
            ),
            (
                vec![(ok_base(r#","Size":1.5"#), blob(1))],
                d.clone(),
                "invalid-field",
            ),
            (
                vec![(format!(r#"{{"id":"{}"}}"#, id('a')), blob(1))],
                d.clone(),
                "missing-field",
            ),
            (
                vec![
                    (
                        format!(r#"{{"id":"{}","parent":"{}"}}"#, id('a'), id('b')),
                        blob(1),
                    ),
                    (
                        format!(r#"{{"id":"{}","parent":"{}"}}"#, id('b'), id('a')),
                        blob(2),
                    ),
                    (ok_base(""), blob(3)),
                ],
                d.clone(),
                "schema1-duplicate-id",
            ),
            (
                vec![
                    (
                        format!(r#"{{"id":"{}","parent":"{}"}}"#, id('b'), id('c')),
                        blob(1),
                    ),
                    (ok_base(""), blob(3)),
                ],
                d.clone(),
                "schema1-invalid-parent",
            ),
        ];
        for (history, diff, want) in cases {
            let got = to_config(&history, &diff).map(|_| ()).map_err(|e| e.code());
            assert_eq!(got, Err(want), "{history:?}");
        }
    }

    #[test]
    fn consecutive_duplicates_collapse_to_the_oldest() {
        let history = vec![
            (
                format!(
                    r#"{{"id":"{}","comment":"newer","os":"linux","architecture":"amd64"}}"#,
                    id('a')
                ),
                blob(9),
            ),
            (
                format!(
                    r#"{{"id":"{}","comment":"older","os":"linux","architecture":"arm64"}}"#,
                    id('a')
                ),
                blob(1),
            ),
        ];
        let got = to_config(&history, &[Digest::sha256_of(b"x")]).expect("converts");
        assert_eq!(got.config.architecture(), "arm64");
        assert_eq!(got.layers, vec![blob(1)]);
        assert_eq!(got.config.history().len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_mutated_entries(pos in 0usize..420, byte in proptest::num::u8::ANY, legacy in proptest::bool::ANY) {
            let version = if legacy { "1.6.0" } else { "1.9.0" };
            let text = format!(
                r#"{{"id":"{}","docker_version":"{version}","os":"linux","architecture":"amd64","created":"2015-01-01T00:00:00Z","config":{{"Cmd":"sh","Env":["A=<&>"],"Labels":{{"a":"b"}},"Volumes":{{"/v":{{}}}},"Healthcheck":{{"Test":["NONE"]}}}},"container_config":{{"Cmd":["x"]}},"Size":1}}"#,
                id('a')
            );
            let mut bytes = text.into_bytes();
            if let Some(b) = bytes.get_mut(pos) {
                *b = byte;
            }
            if let Ok(entry) = String::from_utf8(bytes) {
                let _ = to_config(&[(entry, blob(1))], &[blob(2)]);
            }
        }
    }

    #[test]
    fn linear_in_history_length() {
        // 20 000 entries sharing one id collapse to one; a quadratic removal would crawl.
        let one = format!(
            r#"{{"id":"{}","os":"linux","architecture":"amd64"}}"#,
            id('a')
        );
        let history: Vec<(String, Digest)> = (0..20_000).map(|_| (one.clone(), blob(1))).collect();
        let got = to_config(&history, &[Digest::sha256_of(b"x")]).expect("converts");
        assert_eq!(got.config.history().len(), 1);
    }

    #[test]
    fn legacy_docker_reencodes() {
        let history = vec![(
            format!(
                r#"{{"id":"{}","docker_version":"1.6.2","os":"linux","architecture":"amd64","created":"2015-05-01T00:00:00.000000001Z","unknown":"dropped","config":{{"Cmd":"sh","Env":["A=1"]}}}}"#,
                id('a')
            ),
            blob(1),
        )];
        let got = to_config(&history, &[Digest::sha256_of(b"x")]).expect("converts");
        let raw = String::from_utf8_lossy(got.config.raw()).into_owned();
        assert!(!raw.contains("unknown"), "{raw}");
        assert!(
            raw.contains(r#""container_config":{"Hostname":"""#),
            "{raw}"
        );
        assert!(raw.contains(r#""Cmd":["sh"]"#), "{raw}");
        assert!(
            raw.starts_with(r#"{"architecture":"amd64","config":{"Hostname":"""#),
            "{raw}"
        );
    }
}
