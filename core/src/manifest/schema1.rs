//! Docker image manifests, version 2 schema 1 (distribution `docs/spec/manifest-v2-1.md`),
//! signed (`+prettyjws`) and unsigned.
//!
//! ## Digest
//!
//! A signed schema 1 manifest's digest is not the hash of the bytes received: registries
//! hash the JWS payload, i.e. the document with its `signatures` stripped. libtrust
//! (`jsonsign.go` `ParsePrettySignature`) recovers that payload from the protected
//! headers: each `signatures[*].protected` is base64url JSON holding `formatLength` and
//! `formatTail`, and the payload is `raw[..formatLength] + base64url(formatTail)`. All
//! signatures must agree on both. hoist reads the manifest's fields from that payload,
//! not from the full document, so what it uses is exactly what the digest covers.
//! Signatures are not verified: their keys are self-asserted, so the digest is the trust
//! anchor (as in containers/image).
//!
//! ## Layers
//!
//! `fsLayers` and `history` are parallel arrays, newest first. As containers/image
//! (`Schema1FromManifest`, `fixManifestLayers`) and docker do:
//! - both must be non-empty and of equal length;
//! - every `v1Compatibility` must be JSON with a 64-hex `id`; the base (last) entry has no
//!   `parent`, every other entry's `parent` is the next entry's `id`;
//! - an `id` repeated in consecutive entries is one layer listed twice: the newer entry is
//!   dropped; an `id` repeated non-consecutively is an error;
//! - entries whose `v1Compatibility` says `"throwaway": true` change no files; they stay
//!   in [`Schema1Manifest::layers`] flagged [`Layer::empty`] so pullers can skip them.

use std::collections::HashSet;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::fields::{self, Object};
use super::tree::{Json, Node};
use super::{Layer, Limits, ManifestError};
use crate::descriptor::Annotations;
use crate::digest::Digest;
use crate::media_type::{self, MediaType};

/// A Docker schema 1 manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema1Manifest {
    pub(crate) raw: Vec<u8>,
    pub(crate) payload: Option<Vec<u8>>,
    pub(crate) digest: Digest,
    pub(crate) name: String,
    pub(crate) tag: String,
    pub(crate) architecture: String,
    /// Newest first, after duplicate removal: (v1Compatibility, blobSum, throwaway).
    pub(crate) entries: Vec<(String, Digest, bool)>,
}

impl Schema1Manifest {
    /// [`MediaType::DockerSchema1SignedManifest`] when the body has `signatures`,
    /// [`MediaType::DockerSchema1Manifest`] otherwise.
    pub fn media_type(&self) -> MediaType {
        if self.payload.is_some() {
            MediaType::DockerSchema1SignedManifest
        } else {
            MediaType::DockerSchema1Manifest
        }
    }

    /// The exact bytes received, signatures included.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The bytes the digest covers: the JWS payload when signed, the raw bytes otherwise.
    pub fn canonical(&self) -> &[u8] {
        self.payload.as_deref().unwrap_or(&self.raw)
    }

    /// SHA-256 of [`Schema1Manifest::canonical`], as registries compute it.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// True when the body carried JWS signatures.
    pub fn is_signed(&self) -> bool {
        self.payload.is_some()
    }

    /// The repository name the manifest was pushed under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tag the manifest was pushed under.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The architecture it claims (schema 1 has no OS field; the history entries do).
    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// `(v1Compatibility, blobSum)` pairs in manifest order (newest first), after
    /// consecutive duplicates were dropped, for the schema 1 → config conversion.
    pub fn history(&self) -> Vec<(String, Digest)> {
        self.entries
            .iter()
            .map(|(h, d, _)| (h.clone(), d.clone()))
            .collect()
    }

    /// The layers, base layer first, throwaway entries flagged as empty. Sizes are
    /// unknown (schema 1 does not record them); media types are Docker's gzip layer type.
    pub fn layers(&self) -> Vec<Layer> {
        self.entries
            .iter()
            .rev()
            .map(|(_, digest, empty)| Layer {
                digest: digest.clone(),
                media_type: media_type::DOCKER_LAYER_TAR_GZIP.to_owned(),
                size: None,
                urls: Vec::new(),
                annotations: Annotations::new(),
                empty: *empty,
            })
            .collect()
    }
}

/// Reads a schema 1 manifest from its already-checked JSON object; `signed` says whether
/// the body has `signatures` (see the module docs for the rules).
pub(crate) fn parse(
    raw: &[u8],
    obj: &Object<'_>,
    signed: bool,
    limits: &Limits,
) -> Result<Schema1Manifest, ManifestError> {
    let payload = if signed {
        Some(signed_payload(raw, obj)?)
    } else {
        None
    };
    let payload_value = match &payload {
        Some(p) => {
            crate::json::check(p)?;
            Some(Node::parse(p).map_err(|e| {
                ManifestError::Json(crate::json::StrictError::Syntax(e.to_string()))
            })?)
        }
        None => None,
    };
    let obj = match &payload_value {
        Some(v) if v.is_object() => v,
        Some(_) => {
            return Err(ManifestError::InvalidSignature {
                reason: "the signed payload is not a json object",
            })
        }
        None => obj,
    };
    fields::schema_version(obj, 1)?;
    let fs_layers = array(obj, "fsLayers", limits)?;
    let history = array(obj, "history", limits)?;
    if fs_layers.len() != history.len() {
        return Err(invalid(format!(
            "{} history entries for {} fsLayers",
            history.len(),
            fs_layers.len()
        )));
    }
    if fs_layers.is_empty() {
        return Err(invalid("no fsLayers".into()));
    }
    let mut entries = Vec::with_capacity(fs_layers.len());
    let mut links = Vec::with_capacity(fs_layers.len());
    for (i, (layer, hist)) in fs_layers.iter().zip(history).enumerate() {
        let blob_sum = member_str(layer, "fsLayers", i, "blobSum")?;
        let blob_sum = Digest::parse(blob_sum).map_err(|error| ManifestError::Digest {
            field: format!("fsLayers[{i}].blobSum"),
            error,
        })?;
        let v1 = member_str(hist, "history", i, "v1Compatibility")?;
        let (id, parent, throwaway) = v1_compat(v1, i)?;
        links.push((id, parent));
        entries.push((v1.to_owned(), blob_sum, throwaway));
    }
    let keep = fix_layers(&links)?;
    let entries = entries
        .into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect();
    let digest = Digest::sha256_of(payload.as_deref().unwrap_or(raw));
    Ok(Schema1Manifest {
        raw: raw.to_vec(),
        digest,
        name: fields::optional_str(obj, "name")?
            .unwrap_or_default()
            .to_owned(),
        tag: fields::optional_str(obj, "tag")?
            .unwrap_or_default()
            .to_owned(),
        architecture: fields::optional_str(obj, "architecture")?
            .unwrap_or_default()
            .to_owned(),
        payload,
        entries,
    })
}

fn invalid(reason: String) -> ManifestError {
    ManifestError::InvalidSchema1 { reason }
}

fn array<'a, 'b>(
    obj: &'a Object<'b>,
    field: &str,
    limits: &Limits,
) -> Result<&'a [Node<'b>], ManifestError> {
    match obj.get(field) {
        None => Err(fields::missing(field)),
        Some(Node::Array(items)) if items.len() > limits.max_layers => {
            Err(ManifestError::TooManyLayers {
                count: items.len(),
                limit: limits.max_layers,
            })
        }
        Some(Node::Array(items)) => Ok(items),
        Some(_) => Err(fields::wrong_type(field, "an array")),
    }
}

fn member_str<'a>(
    item: &'a Node<'_>,
    array: &str,
    i: usize,
    field: &str,
) -> Result<&'a str, ManifestError> {
    match item.get(field) {
        None => Err(fields::missing(&format!("{array}[{i}].{field}"))),
        Some(Node::Str(s)) => Ok(s),
        Some(_) => Err(fields::wrong_type(
            &format!("{array}[{i}].{field}"),
            "a string",
        )),
    }
}

/// Reads `id`, `parent` and `throwaway` from one `v1Compatibility` document.
fn v1_compat(text: &str, i: usize) -> Result<(String, String, bool), ManifestError> {
    let at = |what: &str| invalid(format!("history[{i}].v1Compatibility: {what}"));
    crate::json::check(text.as_bytes()).map_err(|e| at(&e.to_string()))?;
    let obj = Node::parse_str(text).map_err(|e| at(&e.to_string()))?;
    if !obj.is_object() {
        return Err(at("not a json object"));
    }
    let id = match obj.get("id") {
        Some(Node::Str(s)) if is_v1_id(s) => s.to_string(),
        _ => return Err(at("id must be 64 lowercase hex characters")),
    };
    let parent = match obj.get("parent") {
        None | Some(Node::Null) => String::new(),
        Some(Node::Str(s)) => s.to_string(),
        Some(_) => return Err(at("parent must be a string")),
    };
    let throwaway = match obj.get("throwaway") {
        None | Some(Node::Null) => false,
        Some(Node::Bool(b)) => *b,
        Some(_) => return Err(at("throwaway must be a boolean")),
    };
    Ok((id, parent, throwaway))
}

fn is_v1_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// containers/image `fixManifestLayers`: validates the parent chain and returns which
/// entries to keep (consecutive duplicate IDs keep only the older entry).
fn fix_layers(links: &[(String, String)]) -> Result<Vec<bool>, ManifestError> {
    if links.last().is_some_and(|(_, parent)| !parent.is_empty()) {
        return Err(invalid("the base layer has a parent".into()));
    }
    let mut seen = HashSet::new();
    let mut last: Option<&str> = None;
    for (id, _) in links {
        if last != Some(id.as_str()) && !seen.insert(id.as_str()) {
            return Err(invalid(format!("id {id} appears more than once")));
        }
        last = Some(id);
    }
    let mut keep = vec![true; links.len()];
    for (i, pair) in links.windows(2).enumerate() {
        let [(id, parent), (next_id, _)] = pair else {
            continue;
        };
        if id == next_id {
            if let Some(k) = keep.get_mut(i) {
                *k = false;
            }
        } else if parent != next_id {
            return Err(invalid(format!(
                "history[{i}] has parent {parent:?}, expected {next_id:?}"
            )));
        }
    }
    Ok(keep)
}

/// libtrust's base64url: whitespace and newlines dropped, padding optional, trailing
/// bits tolerated (Go's decoder is not strict).
const JOSE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

fn jose_decode(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| *c != '\n' && *c != ' ').collect();
    if s.len() % 4 == 1 {
        return None;
    }
    JOSE.decode(s).ok()
}

/// The JWS payload of a signed schema 1 manifest (libtrust `ParsePrettySignature`).
fn signed_payload(raw: &[u8], obj: &Object<'_>) -> Result<Vec<u8>, ManifestError> {
    let bad = |reason| ManifestError::InvalidSignature { reason };
    let sigs = match obj.get("signatures") {
        Some(Node::Array(a)) => a,
        _ => return Err(bad("signatures must be an array")),
    };
    let mut format: Option<(usize, Vec<u8>)> = None;
    for sig in sigs {
        let protected = sig
            .get("protected")
            .and_then(Node::as_str)
            .ok_or(bad("a signature has no protected header"))?;
        let header_bytes =
            jose_decode(protected).ok_or(bad("protected header is not base64url"))?;
        crate::json::check(&header_bytes).map_err(|_| bad("protected header is not json"))?;
        let header = Node::parse(&header_bytes).map_err(|_| bad("protected header is not json"))?;
        let length = header
            .get("formatLength")
            .and_then(Node::as_f64)
            .filter(|l| l.is_finite() && *l >= 0.0)
            .ok_or(bad("protected header has no formatLength"))?;
        // Go reads the number as float64 and truncates it with int().
        let length = length as usize;
        let tail = header
            .get("formatTail")
            .and_then(Node::as_str)
            .ok_or(bad("protected header has no formatTail"))?;
        let tail = jose_decode(tail).ok_or(bad("formatTail is not base64url"))?;
        match &format {
            None => format = Some((length, tail)),
            Some((l, t)) if *l == length && *t == tail => {}
            Some(_) => return Err(bad("signatures disagree on the signed payload")),
        }
    }
    let (length, tail) = format.ok_or(bad("no signatures"))?;
    let head = raw
        .get(..length)
        .ok_or(bad("formatLength is longer than the document"))?;
    let mut payload = Vec::with_capacity(length + tail.len());
    payload.extend_from_slice(head);
    payload.extend_from_slice(&tail);
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn id(c: char) -> String {
        c.to_string().repeat(64)
    }

    fn doc(entries: &[(&str, &str, &str)]) -> String {
        // (blobSum hex char, id char, parent char or "")
        let fs: Vec<String> = entries
            .iter()
            .map(|(b, _, _)| format!(r#"{{"blobSum":"sha256:{}"}}"#, b.repeat(64)))
            .collect();
        let hist: Vec<String> = entries
            .iter()
            .map(|(_, i, p)| {
                let parent = if p.is_empty() {
                    String::new()
                } else {
                    format!(r#",\"parent\":\"{}\""#, p.repeat(64))
                };
                format!(
                    r#"{{"v1Compatibility":"{{\"id\":\"{}\"{parent}}}"}}"#,
                    i.repeat(64)
                )
            })
            .collect();
        format!(
            r#"{{"schemaVersion":1,"name":"a/b","tag":"t","architecture":"amd64","fsLayers":[{}],"history":[{}]}}"#,
            fs.join(","),
            hist.join(",")
        )
    }

    fn run(text: &str) -> Result<Schema1Manifest, &'static str> {
        let obj = Node::parse_str(text).expect("json");
        let signed = obj.get("signatures").is_some();
        parse(text.as_bytes(), &obj, signed, &Limits::default()).map_err(|e| e.code())
    }

    #[test]
    fn chain_rules() {
        // containers/image docker_schema1_test.go fixManifestLayers cases, restated.
        let ok = run(&doc(&[("a", "3", "2"), ("b", "2", "1"), ("c", "1", "")])).expect("valid");
        let layers: Vec<String> = ok
            .layers()
            .iter()
            .map(|l| l.digest.encoded().to_owned())
            .collect();
        assert_eq!(layers, [id('c'), id('b'), id('a')]);
        assert_eq!(ok.history().len(), 3);
        assert_eq!(
            (ok.name(), ok.tag(), ok.architecture()),
            ("a/b", "t", "amd64")
        );
        assert_eq!(ok.media_type(), MediaType::DockerSchema1Manifest);
        assert_eq!(ok.canonical(), ok.raw());

        // Consecutive duplicate IDs: the newer entry goes.
        let dup = run(&doc(&[("a", "2", "1"), ("b", "2", "1"), ("c", "1", "")])).expect("valid");
        let digests: Vec<String> = dup
            .history()
            .iter()
            .map(|(_, d)| d.encoded().to_owned())
            .collect();
        assert_eq!(digests, [id('b'), id('c')]);

        type Entries<'a> = &'a [(&'a str, &'a str, &'a str)];
        let bad: &[(Entries<'_>, &str)] = &[
            (&[("a", "2", "1"), ("b", "1", "3")], "invalid-schema1"),
            (&[("a", "2", "3"), ("b", "1", "")], "invalid-schema1"),
            (
                &[("a", "1", "2"), ("b", "2", "1"), ("c", "1", "")],
                "invalid-schema1",
            ),
        ];
        for (entries, code) in bad {
            assert_eq!(run(&doc(entries)).map(|_| ()), Err(*code), "{entries:?}");
        }
    }

    #[test]
    fn shape_rules() {
        let cases: Vec<(String, &str)> = vec![
            (
                r#"{"schemaVersion":1,"fsLayers":[],"history":[]}"#.into(),
                "invalid-schema1",
            ),
            (
                r#"{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:x"}],"history":[]}"#.into(),
                "invalid-schema1",
            ),
            (
                r#"{"schemaVersion":1,"history":[]}"#.into(),
                "missing-field",
            ),
            (
                r#"{"schemaVersion":1,"fsLayers":{},"history":[]}"#.into(),
                "invalid-field-type",
            ),
            (
                r#"{"schemaVersion":2,"fsLayers":[],"history":[]}"#.into(),
                "invalid-schema-version",
            ),
            (
                format!(
                    r#"{{"schemaVersion":1,"fsLayers":[{{"blobSum":"sha256:x"}}],"history":[{{"v1Compatibility":"{{\"id\":\"{}\"}}"}}]}}"#,
                    id('1')
                ),
                "invalid-digest-length",
            ),
            (
                format!(
                    r#"{{"schemaVersion":1,"fsLayers":[{{}}],"history":[{{"v1Compatibility":"{{\"id\":\"{}\"}}"}}]}}"#,
                    id('1')
                ),
                "missing-field",
            ),
            (
                format!(
                    r#"{{"schemaVersion":1,"fsLayers":[{{"blobSum":"sha256:{}"}}],"history":[{{"v1Compatibility":"{{\"id\":\"short\"}}"}}]}}"#,
                    id('1')
                ),
                "invalid-schema1",
            ),
            (
                format!(
                    r#"{{"schemaVersion":1,"fsLayers":[{{"blobSum":"sha256:{}"}}],"history":[{{"v1Compatibility":"not json"}}]}}"#,
                    id('1')
                ),
                "invalid-schema1",
            ),
            (
                format!(
                    r#"{{"schemaVersion":1,"fsLayers":[{{"blobSum":"sha256:{}"}}],"history":[{{"v1Compatibility":7}}]}}"#,
                    id('1')
                ),
                "invalid-field-type",
            ),
            (
                format!(
                    r#"{{"schemaVersion":1,"fsLayers":[{{"blobSum":"sha256:{}"}}],"history":[{{"v1Compatibility":"{{\"id\":\"{}\",\"id\":\"{}\"}}"}}]}}"#,
                    id('1'),
                    id('1'),
                    id('2')
                ),
                "invalid-schema1",
            ),
        ];
        for (text, code) in cases {
            assert_eq!(run(&text).map(|_| ()), Err(code), "{text}");
        }
    }

    #[test]
    fn throwaway() {
        let text = format!(
            r#"{{"schemaVersion":1,"fsLayers":[{{"blobSum":"sha256:{a}"}},{{"blobSum":"sha256:{b}"}}],"history":[{{"v1Compatibility":"{{\"id\":\"{two}\",\"parent\":\"{one}\",\"throwaway\":true}}"}},{{"v1Compatibility":"{{\"id\":\"{one}\"}}"}}]}}"#,
            a = id('a'),
            b = id('b'),
            one = id('1'),
            two = id('2')
        );
        let m = run(&text).expect("valid");
        let flags: Vec<bool> = m.layers().iter().map(|l| l.empty).collect();
        assert_eq!(flags, [false, true]);
        assert!(m.layers().iter().all(|l| l.size.is_none()));
    }

    fn b64(s: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    fn sign(unsigned: &str, protected: &[String]) -> String {
        // libtrust's pretty signature: the payload without its closing "\n}", then the
        // signatures array, then the tail again.
        let cut = unsigned.len() - 2;
        let sigs: Vec<String> = protected
            .iter()
            .map(|p| format!(r#"{{"header":{{"alg":"ES256"}},"signature":"x","protected":"{p}"}}"#))
            .collect();
        format!(
            "{},\n\"signatures\":[{}]\n}}",
            unsigned.get(..cut).expect("cut"),
            sigs.join(",")
        )
    }

    #[test]
    fn signatures() {
        let unsigned = format!("{}\n}}", doc(&[("a", "1", "")]).trim_end_matches('}'));
        let cut = unsigned.len() - 2;
        let header = |len: usize, tail: &str| {
            b64(format!(
                r#"{{"formatLength":{len},"formatTail":"{}","time":"t"}}"#,
                b64(tail.as_bytes())
            )
            .as_bytes())
        };
        let good = header(cut, "\n}");
        let signed = sign(&unsigned, &[good.clone(), good.clone()]);
        let m = run(&signed).expect("valid");
        assert!(m.is_signed());
        assert_eq!(m.canonical(), unsigned.as_bytes());
        assert_eq!(m.digest(), &Digest::sha256_of(unsigned.as_bytes()));
        assert_eq!(m.media_type(), MediaType::DockerSchema1SignedManifest);

        let cases: Vec<(Vec<String>, &str)> = vec![
            (vec![], "invalid-signature"),
            (
                vec![good.clone(), header(cut - 1, "\n}")],
                "invalid-signature",
            ),
            (vec![good.clone(), header(cut, "}")], "invalid-signature"),
            (vec![header(cut * 100, "\n}")], "invalid-signature"),
            (vec!["!!".into()], "invalid-signature"),
            (vec![b64(b"[]")], "invalid-signature"),
            (
                vec![b64(br#"{"formatLength":-1,"formatTail":""}"#)],
                "invalid-signature",
            ),
            (vec![b64(br#"{"formatLength":5}"#)], "invalid-signature"),
            (
                vec![b64(br#"{"formatLength":5,"formatTail":"a"}"#)],
                "invalid-signature",
            ),
            // A cut that leaves the payload invalid JSON.
            (vec![header(cut - 5, "\n}")], "invalid-json"),
        ];
        for (protected, code) in cases {
            assert_eq!(
                run(&sign(&unsigned, &protected)).map(|_| ()),
                Err(code),
                "{protected:?}"
            );
        }
        assert_eq!(jose_decode("eyJ hIjo\nxfQ"), Some(br#"{"a":1}"#.to_vec()));
        assert_eq!(jose_decode("eyJhIjoxfQ=="), Some(br#"{"a":1}"#.to_vec()));
        assert_eq!(jose_decode("a"), None);
    }

    #[test]
    fn fields_come_from_the_payload() {
        // A field placed after the signatures is outside the signed payload, so it is not
        // covered by the digest; hoist reads the payload and never sees it.
        let unsigned = format!("{}\n}}", doc(&[("a", "1", "")]).trim_end_matches('}'))
            .replace(r#""tag":"t","#, "");
        let cut = unsigned.len() - 2;
        let good =
            b64(format!(r#"{{"formatLength":{cut},"formatTail":"{}"}}"#, b64(b"\n}")).as_bytes());
        let signed = sign(&unsigned, &[good]).replace("]\n}", "],\"tag\":\"evil\"\n}");
        assert!(signed.contains("evil"));
        let m = run(&signed).expect("valid");
        assert_eq!(m.tag(), "");
        assert_eq!(m.digest(), &Digest::sha256_of(unsigned.as_bytes()));
    }
}
