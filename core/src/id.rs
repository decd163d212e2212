//! Image IDs, layer chain IDs, short IDs and ID prefixes, computed exactly as docker,
//! containerd and podman compute them.
//!
//! - **Image ID** (image-spec `config.md#imageid`): the SHA-256 digest of the config's raw
//!   bytes. Never of re-serialised JSON: two configs that mean the same but differ in one
//!   byte are two images.
//! - **ChainID** (image-spec `config.md#layer-chainid`): `ChainID(L0) = DiffID(L0)`;
//!   `ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))`, the hash taken over the two
//!   digest strings and written as a digest. Snapshotters key unpacked layer stacks by it.
//! - **Short ID**: the first 12 hex characters (docker `stringid.TruncateID`).
//! - **ID prefix**: what a user types to name an image by ID (`docker rmi 3f5`,
//!   `podman inspect sha256:3f5…`). [`IdPrefix::matches`] asks "does the ID start with the
//!   prefix"; cri-o once had the arguments the other way round.

use std::fmt;

use crate::digest::{excerpt, Algorithm, Digest};
use crate::ErrorCode;

/// Why a string is not an ID prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdError {
    /// Not `[sha256:]` followed by 1 to 64 lowercase hex characters.
    InvalidPrefix {
        /// The rejected input, cut to 80 characters.
        input: String,
    },
}

impl ErrorCode for IdError {
    fn code(&self) -> &'static str {
        match self {
            IdError::InvalidPrefix { .. } => "invalid-id-prefix",
        }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::InvalidPrefix { input } => write!(
                f,
                "invalid image id prefix {input:?}: expected 1 to 64 lowercase hex characters, optionally after sha256:"
            ),
        }
    }
}

impl std::error::Error for IdError {}

/// The image ID of a config: sha256 of its exact bytes (image-spec `config.md#imageid`).
pub fn image_id(config_raw: &[u8]) -> Digest {
    Digest::sha256_of(config_raw)
}

/// The ChainID of every layer stack, bottom first: `result[n]` identifies layers `0..=n`
/// (image-spec `config.md#layer-chainid`). Empty in, empty out.
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for diff_id in diff_ids {
        let next = match out.last() {
            None => diff_id.clone(),
            Some(parent) => {
                let mut input =
                    String::with_capacity(parent.as_str().len() + 1 + diff_id.as_str().len());
                input.push_str(parent.as_str());
                input.push(' ');
                input.push_str(diff_id.as_str());
                Digest::sha256_of(input.as_bytes())
            }
        };
        out.push(next);
    }
    out
}

/// The ChainID of the whole stack (the top of [`chain_ids`]); `None` for no layers.
pub fn chain_id(diff_ids: &[Digest]) -> Option<Digest> {
    let (first, rest) = diff_ids.split_first()?;
    let mut id = first.clone();
    for diff_id in rest {
        id = Digest::sha256_of(format!("{id} {diff_id}").as_bytes());
    }
    Some(id)
}

/// `name@digest`, the form docker and the CRI list as an image's repo digest.
///
/// `name` is a repository name; a tag or digest already on it is dropped first
/// (`gcr.io/library/busybox:latest` → `gcr.io/library/busybox@sha256:…`), as
/// cri-containerd's `getRepoDigestAndTag` does with `reference.TrimNamed`. Only the last
/// path component can carry a tag, so a registry port (`host:5000/repo`) is kept.
pub fn repo_digest(name: &str, digest: &Digest) -> String {
    let name = name.split_once('@').map_or(name, |(n, _)| n);
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let name = match name.get(last_slash..).and_then(|last| last.find(':')) {
        Some(colon) => name.get(..last_slash + colon).unwrap_or(name),
        None => name,
    };
    format!("{name}@{digest}")
}

/// The 12-character short form of an ID (docker `stringid.TruncateID`): the first 12 hex
/// characters of the encoded part.
pub fn short_id(id: &Digest) -> &str {
    let encoded = id.encoded();
    encoded.get(..12).unwrap_or(encoded)
}

/// True when `s` is a full image ID: 64 lowercase hex characters, optionally after
/// `sha256:`. podman uses this test to decide whether a user named an image by ID or by
/// name; a full ID is never resolved as a short name.
pub fn looks_like_id(s: &str) -> bool {
    let hex = s.strip_prefix("sha256:").unwrap_or(s);
    hex.len() == 64 && hex.bytes().all(is_lower_hex)
}

fn is_lower_hex(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'a'..=b'f')
}

/// A validated image ID prefix: 1 to 64 lowercase hex characters, written bare or after
/// `sha256:`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdPrefix {
    hex: String,
}

impl IdPrefix {
    /// Parses `abc…` or `sha256:abc…`. Upper case, other algorithms, an empty prefix or more
    /// than 64 characters are `invalid-id-prefix`.
    pub fn parse(s: &str) -> Result<IdPrefix, IdError> {
        let hex = s.strip_prefix("sha256:").unwrap_or(s);
        if hex.is_empty()
            || hex.len() > Algorithm::Sha256.encoded_len()
            || !hex.bytes().all(is_lower_hex)
        {
            return Err(IdError::InvalidPrefix { input: excerpt(s) });
        }
        Ok(IdPrefix {
            hex: hex.to_owned(),
        })
    }

    /// The hex characters of the prefix (without `sha256:`).
    pub fn as_str(&self) -> &str {
        &self.hex
    }

    /// True when the full prefix is 64 characters, so at most one ID can match.
    pub fn is_full(&self) -> bool {
        self.hex.len() == Algorithm::Sha256.encoded_len()
    }

    /// True when `id` is a sha256 ID whose hex starts with this prefix. The direction
    /// matters: the ID is the longer string, the prefix the shorter.
    pub fn matches(&self, id: &Digest) -> bool {
        id.algorithm() == Algorithm::Sha256 && id.encoded().starts_with(&self.hex)
    }
}

impl fmt::Display for IdPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex)
    }
}

impl std::str::FromStr for IdPrefix {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdPrefix::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Digest {
        Digest::parse(s).expect("valid digest")
    }

    const ID: &str = "sha256:90435eec5c4e124e741ef731e118be2fc799a68aba0466ec17717f24ce2ae6a2";

    #[test]
    fn chain_ids_table() {
        // image-spec config.md example diff_ids; expected values from python hashlib.
        let l0 = d("sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1");
        let l1 = d("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
        let c1 = Digest::sha256_of(format!("{l0} {l1}").as_bytes());
        assert_eq!(chain_ids(&[]), Vec::<Digest>::new());
        assert_eq!(chain_id(&[]), None);
        assert_eq!(chain_ids(std::slice::from_ref(&l0)), vec![l0.clone()]);
        assert_eq!(
            chain_ids(&[l0.clone(), l1.clone()]),
            vec![l0.clone(), c1.clone()]
        );
        assert_eq!(chain_id(&[l0.clone(), l1.clone()]), Some(c1.clone()));
        let three = chain_ids(&[l0.clone(), l1.clone(), l0.clone()]);
        assert_eq!(three[2], Digest::sha256_of(format!("{c1} {l0}").as_bytes()));
        assert_eq!(chain_id(&[l0.clone(), l1, l0]).as_ref(), three.last());
    }

    #[test]
    fn image_id_is_digest_of_raw_bytes() {
        assert_eq!(
            image_id(b"{}").as_str(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_ne!(image_id(b"{}"), image_id(b"{ }"));
    }

    #[test]
    fn short_and_looks_like() {
        assert_eq!(short_id(&d(ID)), "90435eec5c4e");
        let hex = &ID[7..];
        assert!(looks_like_id(ID));
        assert!(looks_like_id(hex));
        assert!(!looks_like_id(&hex[..63]));
        assert!(!looks_like_id(&ID.to_uppercase()));
        assert!(!looks_like_id(&format!("sha512:{hex}")));
        assert!(!looks_like_id("busybox"));
        assert!(!looks_like_id(""));
    }

    #[test]
    fn repo_digests() {
        let dg = d(ID);
        let cases = [
            ("gcr.io/library/busybox", "gcr.io/library/busybox"),
            ("gcr.io/library/busybox:latest", "gcr.io/library/busybox"),
            (
                &format!("gcr.io/library/busybox@{ID}") as &str,
                "gcr.io/library/busybox",
            ),
            ("localhost:5000/app:v1", "localhost:5000/app"),
            ("localhost:5000/app", "localhost:5000/app"),
            ("busybox:1@sha256:00", "busybox"),
        ];
        for (name, base) in cases {
            assert_eq!(repo_digest(name, &dg), format!("{base}@{ID}"), "{name}");
        }
    }

    #[test]
    fn prefixes() {
        let id = d(ID);
        let ok = ["9", "90435eec5c4e", "sha256:90435", &ID[7..], ID];
        for p in ok {
            assert!(IdPrefix::parse(p).expect("valid").matches(&id), "{p}");
        }
        let no_match = [
            "1",
            "sha256:90436",
            "90435eec5c4e124e741ef731e118be2fc799a68aba0466ec17717f24ce2ae6a3",
        ];
        for p in no_match {
            assert!(!IdPrefix::parse(p).expect("valid").matches(&id), "{p}");
        }
        let invalid = [
            "",
            "sha256:",
            "90435EEC",
            "sha512:90435",
            "9043 5",
            "g",
            "sha256:sha256:9",
            // one character longer than any sha256 ID: never a prefix of one
            "90435eec5c4e124e741ef731e118be2fc799a68aba0466ec17717f24ce2ae6a2a",
        ];
        for p in invalid {
            assert_eq!(
                IdPrefix::parse(p).map_err(|e| e.code()),
                Err("invalid-id-prefix"),
                "{p:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn every_prefix_of_an_id_matches_it(data in proptest::collection::vec(proptest::num::u8::ANY, 0..64), k in 1usize..=64) {
            let id = Digest::sha256_of(&data);
            let p = IdPrefix::parse(&id.encoded()[..k]).expect("hex prefix");
            proptest::prop_assert!(p.matches(&id));
            proptest::prop_assert!(looks_like_id(id.as_str()));
            let _ = IdPrefix::parse(&String::from_utf8_lossy(&data));
        }
    }

    #[test]
    fn prefix_direction() {
        // The ID must start with the prefix, not the prefix with the ID (cri-o MatchesID bug).
        let id = d(ID);
        let short = IdPrefix::parse("90435eec5c4e").expect("valid");
        assert!(short.matches(&id));
        // Reverse direction: an ID sharing only the first 12 characters does not match a
        // full prefix taken from another ID, though that prefix "starts with" its short form.
        let other = d(&format!("sha256:90435eec5c4e{}", "0".repeat(52)));
        let full = IdPrefix::parse(ID).expect("valid");
        assert!(full.is_full());
        assert!(!full.matches(&other));
        assert!(IdPrefix::parse(short_id(&other))
            .expect("valid")
            .matches(&other));
        // A sha512 digest is never an image ID.
        let sha512 = Digest::of(Algorithm::Sha512, b"");
        assert!(!IdPrefix::parse(&sha512.encoded()[..12])
            .expect("valid")
            .matches(&sha512));
    }
}
