//! Manifests and indexes: OCI image manifest and index (image-spec `manifest.md`,
//! `image-index.md`), Docker schema 2 manifest and manifest list (distribution
//! `manifest-v2-2.md`), and Docker schema 1, signed and unsigned (`manifest-v2-1.md`).
//!
//! [`Manifest::parse`] takes the body exactly as received plus what the transport says
//! about it, and applies, in this order:
//!
//! 1. the size limit, on the length alone ([`Limits::max_bytes`], 4 MiB by default);
//! 2. strict JSON ([`crate::json::check`]): duplicate keys, trailing data, depth;
//! 3. kind detection and the ambiguity checks of CVE-2021-41190 ([`detect`]);
//! 4. the kind's own rules (one file per kind).
//!
//! A parsed [`Manifest`] keeps the exact bytes it came from. Its [`Manifest::digest`] is
//! SHA-256 over those bytes, except for signed schema 1, where registries hash the JWS
//! payload (see [`schema1`]).

mod detect;
mod docker_list;
mod docker_v2;
mod error;
mod fields;
mod limits;
mod oci_image;
mod oci_index;
mod schema1;
pub(crate) mod tree;

use crate::descriptor::{Annotations, Descriptor};
use crate::digest::Digest;
use crate::media_type::MediaType;

pub use error::{ManifestError, MismatchSource};
pub use limits::Limits;
pub use oci_image::ImageManifest;
pub use oci_index::ImageIndex;
pub use schema1::Schema1Manifest;

/// The kind of a manifest document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ManifestKind {
    /// OCI image manifest.
    OciImage,
    /// OCI image index.
    OciIndex,
    /// Docker image manifest, version 2 schema 2.
    DockerV2,
    /// Docker manifest list.
    DockerList,
    /// Docker image manifest, version 2 schema 1 (signed or not).
    DockerSchema1,
}

impl ManifestKind {
    /// A stable kebab-case name: `oci-image`, `oci-index`, `docker-v2`, `docker-list`,
    /// `docker-schema1`.
    pub fn as_str(self) -> &'static str {
        match self {
            ManifestKind::OciImage => "oci-image",
            ManifestKind::OciIndex => "oci-index",
            ManifestKind::DockerV2 => "docker-v2",
            ManifestKind::DockerList => "docker-list",
            ManifestKind::DockerSchema1 => "docker-schema1",
        }
    }

    /// True for the two multi-image kinds.
    pub fn is_index(self) -> bool {
        matches!(self, ManifestKind::OciIndex | ManifestKind::DockerList)
    }
}

/// One layer of an image, as the pull machine needs it, whatever the manifest kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// The blob's digest.
    pub digest: Digest,
    /// The blob's media type (schema 1: always the Docker gzip layer type).
    pub media_type: String,
    /// The blob's size; `None` for schema 1, which does not record sizes.
    pub size: Option<u64>,
    /// Where a foreign layer may be fetched from.
    pub urls: Vec<String>,
    /// The layer descriptor's annotations.
    pub annotations: Annotations,
    /// A schema 1 "throwaway" entry: it changes no files, and docker skips it on pull.
    /// Always `false` for schema 2 and OCI.
    pub empty: bool,
}

impl Layer {
    /// The layer's descriptor, when its size is known.
    pub fn descriptor(&self) -> Option<Descriptor> {
        let size = self.size?;
        Some(Descriptor {
            urls: self.urls.clone(),
            annotations: self.annotations.clone(),
            ..Descriptor::new(self.media_type.clone(), self.digest.clone(), size)
        })
    }
}

impl From<&Descriptor> for Layer {
    fn from(d: &Descriptor) -> Self {
        Layer {
            digest: d.digest.clone(),
            media_type: d.media_type.clone(),
            size: Some(d.size),
            urls: d.urls.clone(),
            annotations: d.annotations.clone(),
            empty: false,
        }
    }
}

/// A parsed manifest or index.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Manifest {
    /// OCI image manifest.
    OciImage(ImageManifest),
    /// OCI image index.
    OciIndex(ImageIndex),
    /// Docker schema 2 manifest.
    DockerV2(ImageManifest),
    /// Docker manifest list.
    DockerList(ImageIndex),
    /// Docker schema 1 manifest.
    DockerSchema1(Schema1Manifest),
}

static NO_ANNOTATIONS: Annotations = Annotations::new();

impl Manifest {
    /// Parses a manifest body with the default [`Limits`].
    ///
    /// `content_type` is the response's `Content-Type` header, if any; `parent_media_type`
    /// is the `mediaType` of the descriptor that led here (index entry, or the descriptor
    /// a pull by digest was asked for), if any. See [`detect`] for how they combine.
    pub fn parse(
        bytes: &[u8],
        content_type: Option<&str>,
        parent_media_type: Option<&str>,
    ) -> Result<Manifest, ManifestError> {
        Manifest::parse_with_limits(bytes, content_type, parent_media_type, &Limits::DEFAULT)
    }

    /// [`Manifest::parse`] with explicit limits.
    pub fn parse_with_limits(
        bytes: &[u8],
        content_type: Option<&str>,
        parent_media_type: Option<&str>,
        limits: &Limits,
    ) -> Result<Manifest, ManifestError> {
        if bytes.len() > limits.max_bytes {
            return Err(ManifestError::TooLarge {
                size: bytes.len(),
                limit: limits.max_bytes,
            });
        }
        crate::json::check(bytes)?;
        let obj = tree::Node::parse(bytes)
            .map_err(|e| ManifestError::Json(crate::json::StrictError::Syntax(e.to_string())))?;
        if !matches!(obj, tree::Node::Object(_)) {
            return Err(ManifestError::Json(crate::json::StrictError::Syntax(
                "the document is not a json object".into(),
            )));
        }
        let obj = &obj;
        let media_type = detect::detect(obj, content_type, parent_media_type)?;
        Ok(match media_type {
            MediaType::OciIndex => Manifest::OciIndex(oci_index::parse(bytes, obj, limits)?),
            MediaType::DockerManifestList => {
                Manifest::DockerList(docker_list::parse(bytes, obj, limits)?)
            }
            MediaType::DockerManifest => Manifest::DockerV2(docker_v2::parse(bytes, obj, limits)?),
            MediaType::DockerSchema1Manifest | MediaType::DockerSchema1SignedManifest => {
                Manifest::DockerSchema1(schema1::parse(
                    bytes,
                    obj,
                    media_type == MediaType::DockerSchema1SignedManifest,
                    limits,
                )?)
            }
            _ => Manifest::OciImage(oci_image::parse(bytes, obj, limits)?),
        })
    }

    /// The document's media type (for schema 1: signed or not, by the body).
    pub fn media_type(&self) -> MediaType {
        match self {
            Manifest::OciImage(m) | Manifest::DockerV2(m) => m.media_type(),
            Manifest::OciIndex(i) | Manifest::DockerList(i) => i.media_type(),
            Manifest::DockerSchema1(s) => s.media_type(),
        }
    }

    /// The document's kind.
    pub fn kind(&self) -> ManifestKind {
        match self {
            Manifest::OciImage(_) => ManifestKind::OciImage,
            Manifest::OciIndex(_) => ManifestKind::OciIndex,
            Manifest::DockerV2(_) => ManifestKind::DockerV2,
            Manifest::DockerList(_) => ManifestKind::DockerList,
            Manifest::DockerSchema1(_) => ManifestKind::DockerSchema1,
        }
    }

    /// The exact bytes received.
    pub fn raw(&self) -> &[u8] {
        match self {
            Manifest::OciImage(m) | Manifest::DockerV2(m) => m.raw(),
            Manifest::OciIndex(i) | Manifest::DockerList(i) => i.raw(),
            Manifest::DockerSchema1(s) => s.raw(),
        }
    }

    /// The bytes the digest covers: [`Manifest::raw`], or the JWS payload of a signed
    /// schema 1 manifest.
    pub fn canonical(&self) -> &[u8] {
        match self {
            Manifest::DockerSchema1(s) => s.canonical(),
            _ => self.raw(),
        }
    }

    /// SHA-256 of [`Manifest::canonical`]: the digest registries address it by.
    pub fn digest(&self) -> &Digest {
        match self {
            Manifest::OciImage(m) | Manifest::DockerV2(m) => m.digest(),
            Manifest::OciIndex(i) | Manifest::DockerList(i) => i.digest(),
            Manifest::DockerSchema1(s) => s.digest(),
        }
    }

    /// A descriptor for this document: its media type, digest and canonical size.
    pub fn descriptor(&self) -> Descriptor {
        let size = u64::try_from(self.canonical().len()).unwrap_or(u64::MAX);
        Descriptor::new(self.media_type().as_str(), self.digest().clone(), size)
    }

    /// Checks the document against the digest it was fetched by, under that digest's
    /// algorithm (image-spec `descriptor.md#verification`).
    pub fn verify(&self, expected: &Digest) -> Result<(), ManifestError> {
        let actual = if expected.algorithm() == self.digest().algorithm() {
            self.digest().clone()
        } else {
            Digest::of(expected.algorithm(), self.canonical())
        };
        if &actual == expected {
            Ok(())
        } else {
            Err(ManifestError::DigestMismatch {
                expected: expected.clone(),
                actual,
            })
        }
    }

    /// The entries of an index or manifest list; empty for single-image manifests.
    pub fn children(&self) -> &[Descriptor] {
        match self {
            Manifest::OciIndex(i) | Manifest::DockerList(i) => i.manifests(),
            _ => &[],
        }
    }

    /// The config descriptor of an OCI or Docker schema 2 manifest; `None` for indexes
    /// and schema 1 (whose config is built from its history, see
    /// [`Manifest::schema1_history`]).
    pub fn config(&self) -> Option<&Descriptor> {
        match self {
            Manifest::OciImage(m) | Manifest::DockerV2(m) => Some(m.config()),
            _ => None,
        }
    }

    /// The layers, base layer first; empty for indexes. For schema 1: `fsLayers`
    /// reversed, duplicates and throwaways handled as described in [`schema1`].
    pub fn layers(&self) -> Vec<Layer> {
        match self {
            Manifest::OciImage(m) | Manifest::DockerV2(m) => {
                m.layers().iter().map(Layer::from).collect()
            }
            Manifest::OciIndex(_) | Manifest::DockerList(_) => Vec::new(),
            Manifest::DockerSchema1(s) => s.layers(),
        }
    }

    /// The document's annotations (empty for schema 1).
    pub fn annotations(&self) -> &Annotations {
        match self {
            Manifest::OciImage(m) | Manifest::DockerV2(m) => m.annotations(),
            Manifest::OciIndex(i) | Manifest::DockerList(i) => i.annotations(),
            Manifest::DockerSchema1(_) => &NO_ANNOTATIONS,
        }
    }

    /// The `subject` descriptor (OCI 1.1 referrers); `None` for Docker kinds.
    pub fn subject(&self) -> Option<&Descriptor> {
        match self {
            Manifest::OciImage(m) => m.subject(),
            Manifest::OciIndex(i) => i.subject(),
            _ => None,
        }
    }

    /// The `artifactType` field as written; `None` for Docker kinds.
    pub fn artifact_type(&self) -> Option<&str> {
        match self {
            Manifest::OciImage(m) => m.artifact_type(),
            Manifest::OciIndex(i) => i.artifact_type(),
            _ => None,
        }
    }

    /// For schema 1: `(v1Compatibility raw JSON, blobSum)` pairs in manifest order
    /// (newest first), after consecutive duplicate entries were dropped, for the config
    /// module's schema 1 → config conversion. Empty for every other kind (a schema 1
    /// manifest always has at least one entry).
    pub fn schema1_history(&self) -> Vec<(String, Digest)> {
        match self {
            Manifest::DockerSchema1(s) => s.history(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media_type as mt;
    use crate::ErrorCode;

    const V2S1: &[u8] = include_bytes!("testdata/v2s1.manifest.json");
    const V2S1_UNSIGNED: &[u8] = include_bytes!("testdata/v2s1-unsigned.manifest.json");
    const OCI: &[u8] = include_bytes!("testdata/ociv1.manifest.json");
    const OCI_INDEX: &[u8] = include_bytes!("testdata/ociv1.image.index.json");
    /// containers/image fixtures_info_test.go (v2s1 and v2s1-unsigned share it).
    const V2S1_DIGEST: &str =
        "sha256:7364fea9d84ee548ab67d4c46c6006289800c98de3fbf8c0a97138dfcc23f000";
    const BUSYBOX_LAYER: &str =
        "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

    #[test]
    fn schema1_fixtures() {
        let digest = Digest::parse(V2S1_DIGEST).expect("valid");
        for (bytes, ct, signed) in [
            (V2S1, Some(mt::DOCKER_SCHEMA1_SIGNED_MANIFEST), true),
            (V2S1, None, true),
            (V2S1, Some("application/json"), true),
            (V2S1_UNSIGNED, Some(mt::DOCKER_SCHEMA1_MANIFEST), false),
            (V2S1_UNSIGNED, None, false),
        ] {
            let m = Manifest::parse(bytes, ct, None).expect("valid");
            assert_eq!(m.kind(), ManifestKind::DockerSchema1);
            assert_eq!(m.digest(), &digest, "{ct:?} signed={signed}");
            m.verify(&digest).expect("verifies");
            assert_eq!(m.raw(), bytes);
            assert_eq!(m.canonical(), V2S1_UNSIGNED);
            assert_eq!(m.descriptor().size, 5480);
            assert_eq!(
                m.media_type(),
                if signed {
                    MediaType::DockerSchema1SignedManifest
                } else {
                    MediaType::DockerSchema1Manifest
                }
            );
            let layers = m.layers();
            assert_eq!(layers.len(), 3);
            assert!(layers
                .iter()
                .all(|l| l.digest.as_str() == BUSYBOX_LAYER && !l.empty));
            let history = m.schema1_history();
            assert_eq!(history.len(), 3);
            assert!(history
                .first()
                .is_some_and(|(v1, _)| v1.starts_with(r#"{"id":"f1b5eb0a"#)));
            assert!(m.config().is_none() && m.children().is_empty());
        }
        // The raw bytes of the signed document are not its digest.
        let m = Manifest::parse(V2S1, None, None).expect("valid");
        let raw_digest = Digest::sha256_of(V2S1);
        assert_eq!(
            m.verify(&raw_digest).map_err(|e| e.code()),
            Err("digest-mismatch")
        );
    }

    #[test]
    fn oci_fixtures() {
        let m = Manifest::parse(OCI, Some(mt::OCI_MANIFEST), None).expect("valid");
        assert_eq!(m.kind(), ManifestKind::OciImage);
        assert_eq!(m.kind().as_str(), "oci-image");
        assert_eq!(m.digest(), &Digest::sha256_of(OCI));
        assert_eq!(m.layers().len(), 3);
        assert_eq!(m.config().map(|c| c.size), Some(7023));
        assert_eq!(m.annotations().len(), 2);
        assert!(m.subject().is_none() && m.artifact_type().is_none());
        assert!(m.schema1_history().is_empty());
        let layer = m.layers().into_iter().next().expect("one");
        assert_eq!(layer.descriptor().map(|d| d.size), Some(32654));

        let i = Manifest::parse(OCI_INDEX, None, None).expect("valid");
        assert_eq!(i.kind(), ManifestKind::OciIndex);
        assert!(i.kind().is_index());
        assert_eq!(i.children().len(), 2);
        assert!(i.layers().is_empty() && i.config().is_none());
        // The amd64 entry requires os.features ["sse4"]: only a host offering it matches.
        let mut want = crate::platform::Platform::new("linux", "amd64", "");
        let e = crate::platform::select_platform(i.children(), &want).expect_err("no sse4");
        assert_eq!(e.code(), "no-matching-platform");
        want.os_features = vec!["sse4".into()];
        let chosen = crate::platform::select_platform(i.children(), &want).expect("amd64");
        assert_eq!(chosen.size, 7682);
    }

    #[test]
    fn verify_sha512() {
        let m = Manifest::parse(OCI, None, None).expect("valid");
        let d512 = Digest::of(crate::digest::Algorithm::Sha512, OCI);
        m.verify(&d512).expect("sha512 verifies");
        let other = Digest::of(crate::digest::Algorithm::Sha512, b"x");
        assert_eq!(
            m.verify(&other).map_err(|e| e.code()),
            Err("digest-mismatch")
        );
    }

    #[test]
    fn strictness() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                br#"{"schemaVersion":2,"schemaVersion":2}"#.to_vec(),
                "duplicate-key",
            ),
            ([OCI, b"{}"].concat(), "trailing-data"),
            (b"[]".to_vec(), "invalid-json"),
            (b"".to_vec(), "invalid-json"),
            (b"\xff".to_vec(), "invalid-json"),
            (
                format!("{{\"a\":{}1{}}}", "[".repeat(70), "]".repeat(70)).into_bytes(),
                "json-too-deep",
            ),
        ];
        for (bytes, code) in cases {
            assert_eq!(
                Manifest::parse(&bytes, None, None)
                    .map(|_| ())
                    .map_err(|e| e.code()),
                Err(code),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }

    #[test]
    fn size_limit_comes_first() {
        // 5 MiB of garbage: rejected by length, never parsed.
        let big = vec![b'x'; 5 << 20];
        let e = Manifest::parse(&big, None, None).expect_err("too large");
        assert_eq!(e.code(), "manifest-too-large");
        assert_eq!(
            e,
            ManifestError::TooLarge {
                size: 5 << 20,
                limit: 4 << 20
            }
        );
        let small = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        let e = Manifest::parse_with_limits(OCI, None, None, &small).expect_err("too large");
        assert_eq!(e.code(), "manifest-too-large");
        // Exactly at the limit is fine.
        let exact = Limits {
            max_bytes: OCI.len(),
            ..Limits::default()
        };
        Manifest::parse_with_limits(OCI, None, None, &exact).expect("fits");
    }

    #[test]
    fn cve_2021_41190() {
        // The advisory's case: one document that is both an index and a manifest.
        let both = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#;
        for ct in [None, Some(mt::OCI_INDEX), Some(mt::OCI_MANIFEST)] {
            assert_eq!(
                Manifest::parse(both, ct, None)
                    .map(|_| ())
                    .map_err(|e| e.code()),
                Err("ambiguous-manifest")
            );
        }
        let e = Manifest::parse(both, None, None).expect_err("ambiguous");
        assert_eq!(
            e.to_string(),
            "ambiguous manifest: has fields of several kinds (config, layers, manifests)"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Manifest::parse(&bytes, None, None);
        }

        #[test]
        fn never_panics_on_mutated_fixtures(
            which in 0usize..4,
            at in 0usize..7000,
            byte in proptest::num::u8::ANY,
            ct in proptest::option::of(proptest::sample::select(vec![
                mt::OCI_MANIFEST, mt::OCI_INDEX, mt::DOCKER_MANIFEST, mt::DOCKER_MANIFEST_LIST,
                mt::DOCKER_SCHEMA1_MANIFEST, mt::DOCKER_SCHEMA1_SIGNED_MANIFEST, "application/json",
            ])),
        ) {
            let base = [V2S1, V2S1_UNSIGNED, OCI, OCI_INDEX][which];
            let mut bytes = base.to_vec();
            if let Some(b) = bytes.get_mut(at % base.len()) {
                *b = byte;
            }
            if let Ok(m) = Manifest::parse(&bytes, ct, None) {
                let _ = (m.layers(), m.children(), m.schema1_history(), m.descriptor());
            }
        }
    }

    #[test]
    fn linear_time_on_large_index() {
        let entry = r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7143,"digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f","platform":{"architecture":"ppc64le","os":"linux"}}"#;
        let n = 6000;
        let body = format!(
            r#"{{"schemaVersion":2,"manifests":[{}]}}"#,
            vec![entry; n].join(",")
        );
        assert!(body.len() > 1 << 20);
        let limits = Limits {
            max_index_entries: n,
            ..Limits::default()
        };
        let m = Manifest::parse_with_limits(body.as_bytes(), None, None, &limits).expect("valid");
        assert_eq!(m.children().len(), n);
        let e = Manifest::parse(body.as_bytes(), None, None).expect_err("over default");
        assert_eq!(e.code(), "too-many-manifests");
    }
}
