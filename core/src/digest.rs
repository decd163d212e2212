//! Content digests, as defined by the OCI image-spec ("Digests", `descriptor.md`) and
//! implemented by go-digest.
//!
//! Grammar (image-spec `descriptor.md#digests`):
//!
//! ```text
//! digest                ::= algorithm ":" encoded
//! algorithm             ::= algorithm-component (algorithm-separator algorithm-component)*
//! algorithm-component   ::= [a-z0-9]+
//! algorithm-separator   ::= [+._-]
//! encoded               ::= [a-zA-Z0-9=_-]+
//! ```
//!
//! hoist supports the two registered algorithms, `sha256` and `sha512`, whose encoded part
//! is exact lowercase hex of 64 and 128 characters. A string that fits the grammar but
//! names another algorithm is `unsupported-digest-algorithm`, not a format error, so a
//! caller can tell "garbage" from "a digest we cannot check". Validation follows
//! go-digest's order: the colon is found first, then the algorithm, then the length, then
//! the characters.
//!
//! A [`Digest`] is the only way a string from the network becomes a path in a store:
//! every host builds blob paths from [`Digest::algorithm`] and [`Digest::encoded`], which
//! are proven to be `[a-z0-9]+` and `[a-f0-9]+`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256, Sha512};

use crate::ErrorCode;

/// A registered digest algorithm (image-spec `descriptor.md#registered-algorithms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256, the canonical algorithm: image IDs, chain IDs and most descriptors use it.
    Sha256,
    /// SHA-512, allowed by image-spec for descriptors.
    Sha512,
}

impl Algorithm {
    /// The algorithm's name as it appears before the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Length of the hex-encoded part.
    pub fn encoded_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Algorithm::Sha256),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a usable digest, or why content does not match one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestError {
    /// The string does not fit the digest grammar (or its encoded part is not lowercase hex).
    InvalidFormat {
        /// The rejected input, cut to at most 80 characters.
        input: String,
    },
    /// The encoded part has the wrong length for its algorithm.
    InvalidLength {
        /// The algorithm named by the input.
        algorithm: Algorithm,
        /// The length the algorithm requires.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// The string fits the grammar but names an algorithm hoist cannot verify.
    UnsupportedAlgorithm {
        /// The algorithm named by the input, cut to at most 80 characters.
        algorithm: String,
    },
    /// Content hashed to a different digest than the one expected.
    Mismatch {
        /// The digest the content was supposed to have.
        expected: Digest,
        /// The digest it actually has.
        actual: Digest,
    },
    /// Content had a different length than its descriptor declared.
    SizeMismatch {
        /// The digest of the content being verified.
        digest: Digest,
        /// Declared size in bytes.
        expected: u64,
        /// Bytes actually received.
        actual: u64,
    },
}

impl ErrorCode for DigestError {
    fn code(&self) -> &'static str {
        match self {
            DigestError::InvalidFormat { .. } => "invalid-digest-format",
            DigestError::InvalidLength { .. } => "invalid-digest-length",
            DigestError::UnsupportedAlgorithm { .. } => "unsupported-digest-algorithm",
            DigestError::Mismatch { .. } => "digest-mismatch",
            DigestError::SizeMismatch { .. } => "size-mismatch",
        }
    }
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestError::InvalidFormat { input } => write!(f, "invalid digest format: {input:?}"),
            DigestError::InvalidLength {
                algorithm,
                expected,
                actual,
            } => write!(
                f,
                "invalid {algorithm} digest length: expected {expected} hex characters, got {actual}"
            ),
            DigestError::UnsupportedAlgorithm { algorithm } => {
                write!(f, "unsupported digest algorithm: {algorithm:?}")
            }
            DigestError::Mismatch { expected, actual } => {
                write!(f, "digest mismatch: expected {expected}, got {actual}")
            }
            DigestError::SizeMismatch {
                digest,
                expected,
                actual,
            } => write!(
                f,
                "size mismatch for {digest}: expected {expected} bytes, got {actual}"
            ),
        }
    }
}

impl std::error::Error for DigestError {}

/// Cuts untrusted input for inclusion in an error message.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 80;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A validated content digest such as `sha256:e3b0c442…`.
///
/// Construction proves the grammar, the algorithm and the exact lowercase hex, so the
/// algorithm and encoded parts are safe to use as path components.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    text: String,
    algorithm: Algorithm,
}

impl Digest {
    /// Parses and validates a digest string (go-digest `Parse` + `Validate`).
    pub fn parse(s: &str) -> Result<Self, DigestError> {
        let Some(colon) = s.find(':') else {
            return Err(DigestError::InvalidFormat { input: excerpt(s) });
        };
        if colon == 0 || colon + 1 == s.len() {
            return Err(DigestError::InvalidFormat { input: excerpt(s) });
        }
        let (alg, encoded) = (&s[..colon], &s[colon + 1..]);
        let Some(algorithm) = Algorithm::from_name(alg) else {
            if fits_grammar(alg, encoded) {
                return Err(DigestError::UnsupportedAlgorithm {
                    algorithm: excerpt(alg),
                });
            }
            return Err(DigestError::InvalidFormat { input: excerpt(s) });
        };
        if encoded.len() != algorithm.encoded_len() {
            return Err(DigestError::InvalidLength {
                algorithm,
                expected: algorithm.encoded_len(),
                actual: encoded.len(),
            });
        }
        if !encoded
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(DigestError::InvalidFormat { input: excerpt(s) });
        }
        Ok(Digest {
            text: s.to_owned(),
            algorithm,
        })
    }

    /// The SHA-256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        Self::from_hash(Algorithm::Sha256, &Sha256::digest(bytes))
    }

    /// The digest of `bytes` under `algorithm`.
    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Self {
        match algorithm {
            Algorithm::Sha256 => Self::sha256_of(bytes),
            Algorithm::Sha512 => Self::from_hash(Algorithm::Sha512, &Sha512::digest(bytes)),
        }
    }

    fn from_hash(algorithm: Algorithm, hash: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(algorithm.as_str().len() + 1 + hash.len() * 2);
        text.push_str(algorithm.as_str());
        text.push(':');
        for b in hash {
            text.push(HEX[usize::from(b >> 4)] as char);
            text.push(HEX[usize::from(b & 0xf)] as char);
        }
        Digest { text, algorithm }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The lowercase hex part after the colon.
    pub fn encoded(&self) -> &str {
        &self.text[self.algorithm.as_str().len() + 1..]
    }

    /// The whole digest string.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A verifier that checks streamed content against this digest.
    pub fn verifier(&self) -> Verifier {
        Verifier::new(self.clone())
    }
}

/// go-digest's `DigestRegexpAnchored`, used only to choose between "unsupported" and
/// "invalid format" for an unknown algorithm.
fn fits_grammar(alg: &str, encoded: &str) -> bool {
    let alg_ok = !alg.is_empty()
        && alg.split(['+', '.', '_', '-']).all(|c| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    let enc_ok = !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    alg_ok && enc_ok
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.text)
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

impl AsRef<str> for Digest {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Digest::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[derive(Clone)]
enum State {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl State {
    fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha256 => State::Sha256(Sha256::new()),
            Algorithm::Sha512 => State::Sha512(Sha512::new()),
        }
    }
}

/// A streaming hasher that computes the digest of content fed to it in pieces.
///
/// sha2 selects the CPU's SHA extensions (x86 SHA-NI, ARMv8 SHA2) at run time when they
/// are present, so hashing keeps up with disk and network.
#[derive(Clone)]
pub struct Hasher {
    state: State,
    algorithm: Algorithm,
    len: u64,
}

impl Hasher {
    /// A fresh hasher for `algorithm`.
    pub fn new(algorithm: Algorithm) -> Self {
        Hasher {
            state: State::new(algorithm),
            algorithm,
            len: 0,
        }
    }

    /// Feeds more content.
    pub fn update(&mut self, bytes: &[u8]) {
        self.len = self.len.saturating_add(bytes.len() as u64);
        match &mut self.state {
            State::Sha256(h) => h.update(bytes),
            State::Sha512(h) => h.update(bytes),
        }
    }

    /// Bytes fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing has been fed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Digest {
        match self.state {
            State::Sha256(h) => Digest::from_hash(self.algorithm, &h.finalize()),
            State::Sha512(h) => Digest::from_hash(self.algorithm, &h.finalize()),
        }
    }
}

/// Verifies streamed content against an expected digest and, optionally, a declared size.
///
/// Hosts stream layer bytes through a `Verifier` on their way into the store's ingest
/// area and commit the blob only when [`Verifier::finish`] succeeds. [`Verifier::update`]
/// reports an oversize stream as soon as it happens, so an endless body is cut off at the
/// declared size plus one chunk rather than filling the disk.
#[derive(Clone)]
pub struct Verifier {
    expected: Digest,
    expected_size: Option<u64>,
    hasher: Hasher,
}

impl Verifier {
    /// A verifier for content that must hash to `expected`.
    pub fn new(expected: Digest) -> Self {
        let hasher = Hasher::new(expected.algorithm());
        Verifier {
            expected,
            expected_size: None,
            hasher,
        }
    }

    /// Also require exactly `size` bytes (the descriptor's `size`).
    pub fn with_size(mut self, size: u64) -> Self {
        self.expected_size = Some(size);
        self
    }

    /// The digest being verified against.
    pub fn expected(&self) -> &Digest {
        &self.expected
    }

    /// Feeds more content. Fails with `size-mismatch` as soon as the stream is longer than
    /// the declared size.
    pub fn update(&mut self, bytes: &[u8]) -> Result<(), DigestError> {
        self.hasher.update(bytes);
        match self.expected_size {
            Some(size) if self.hasher.len() > size => Err(DigestError::SizeMismatch {
                digest: self.expected.clone(),
                expected: size,
                actual: self.hasher.len(),
            }),
            _ => Ok(()),
        }
    }

    /// Bytes fed so far.
    pub fn bytes_verified(&self) -> u64 {
        self.hasher.len()
    }

    /// Ends the stream: checks the size (if declared) and then the digest.
    pub fn finish(self) -> Result<Digest, DigestError> {
        let len = self.hasher.len();
        if let Some(size) = self.expected_size {
            if len != size {
                return Err(DigestError::SizeMismatch {
                    digest: self.expected,
                    expected: size,
                    actual: len,
                });
            }
        }
        let actual = self.hasher.finish();
        if actual == self.expected {
            Ok(actual)
        } else {
            Err(DigestError::Mismatch {
                expected: self.expected,
                actual,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn table() {
        // (input, expected code or None for ok) — cases from go-digest digest_test.go
        let cases: &[(&str, Option<&str>)] = &[
            (EMPTY, None),
            ("sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", None),
            ("", Some("invalid-digest-format")),
            ("sha256:", Some("invalid-digest-format")),
            (":e3b0", Some("invalid-digest-format")),
            ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Some("invalid-digest-format")),
            ("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", Some("invalid-digest-length")),
            ("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", Some("invalid-digest-format")),
            ("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g", Some("invalid-digest-format")),
            ("md5:d41d8cd98f00b204e9800998ecf8427e", Some("unsupported-digest-algorithm")),
            ("sha384:abc", Some("unsupported-digest-algorithm")),
            ("foo/bar:abc", Some("invalid-digest-format")),
            ("SHA256:abc", Some("invalid-digest-format")),
            ("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", Some("unsupported-digest-algorithm")),
        ];
        for (input, want) in cases {
            let got = Digest::parse(input).map_err(|e| e.code());
            assert_eq!(got.err(), *want, "{input}");
        }
    }

    #[test]
    fn verifier() {
        let d = Digest::parse(EMPTY).expect("valid");
        assert_eq!(Digest::sha256_of(b""), d);
        let mut v = d.verifier().with_size(0);
        v.update(b"").expect("fits");
        assert_eq!(v.finish().expect("matches"), d);

        let mut v = d.verifier();
        v.update(b"x").expect("no size");
        let err = v.finish().expect_err("mismatch");
        assert_eq!(err.code(), "digest-mismatch");
        assert!(err.to_string().contains(EMPTY));

        let mut v = d.verifier().with_size(0);
        assert_eq!(
            v.update(b"x").expect_err("too long").code(),
            "size-mismatch"
        );
    }

    #[test]
    fn serde_round_trip() {
        let d: Digest = serde_json::from_str(&format!("\"{EMPTY}\"")).expect("valid");
        assert_eq!(
            serde_json::to_string(&d).expect("ser"),
            format!("\"{EMPTY}\"")
        );
        assert!(serde_json::from_str::<Digest>("\"sha256:zz\"").is_err());
    }
}
