//! Media types of the documents and blobs an image is made of.
//!
//! Two families share the registry protocol: OCI (image-spec `media-types.md`) and Docker
//! (distribution `manifest-v2-2.md`, `manifest-v2-1.md`). [`MediaType`] names every type
//! hoist understands; anything else stays a plain string in a
//! [`Descriptor`](crate::descriptor::Descriptor), because image-spec `manifest.md` says an
//! unknown layer media type MUST be ignored rather than rejected.
//!
//! [`MANIFEST_ACCEPT`] is the `Accept` list the pull machine sends for manifests; its
//! order is explained there.

use std::fmt;

/// OCI image manifest (image-spec `manifest.md`).
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index (image-spec `image-index.md`).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image configuration (image-spec `config.md`).
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// The OCI empty descriptor's type, `{}` (image-spec `manifest.md#guidance-for-an-empty-descriptor`).
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// OCI layer, uncompressed tar (image-spec `layer.md`).
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI layer, gzip-compressed tar (image-spec `layer.md#gzip-media-types`).
pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// OCI layer, zstd-compressed tar (image-spec `layer.md#zstd-media-types`).
pub const OCI_LAYER_TAR_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// OCI non-distributable layer, uncompressed (image-spec `layer.md#non-distributable-layers`,
/// deprecated in 1.1 but still found in Windows images).
pub const OCI_LAYER_NONDISTRIBUTABLE_TAR: &str =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
/// OCI non-distributable layer, gzip.
pub const OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP: &str =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
/// OCI non-distributable layer, zstd.
pub const OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD: &str =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
/// Docker image manifest, version 2 schema 2 (distribution `manifest-v2-2.md`).
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list, the "fat manifest" (distribution `manifest-v2-2.md#manifest-list`).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker container image configuration.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker layer, uncompressed tar.
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
/// Docker layer, gzip-compressed tar.
pub const DOCKER_LAYER_TAR_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker foreign layer, uncompressed (fetched from `urls`, e.g. Windows base layers).
pub const DOCKER_FOREIGN_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar";
/// Docker foreign layer, gzip.
pub const DOCKER_FOREIGN_LAYER_TAR_GZIP: &str =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/// Docker image manifest, version 2 schema 1, unsigned (distribution `manifest-v2-1.md`).
pub const DOCKER_SCHEMA1_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// Docker image manifest, version 2 schema 1, with a JWS signature.
pub const DOCKER_SCHEMA1_SIGNED_MANIFEST: &str =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The manifest `Accept` list the pull machine sends, most preferred first.
///
/// Why this order and this set:
///
/// 1. The two index types come first. hoist chooses the platform itself
///    ([`crate::platform::select_platform`]); a registry that does not see an index type
///    in `Accept` may pick a platform for us (docker/distribution falls back to the
///    `linux/amd64` entry), or answer 404 for an index-only tag.
/// 2. The two single-image types follow. docker/distribution rewrote schema 2 manifests
///    into signed schema 1 on the fly when `Accept` lacked the schema 2 type, which changes
///    the digest, so both must always be present.
/// 3. Schema 1 comes last: deprecated, only still served by very old registries, and
///    only accepted so those remain pullable.
///
/// No `*/*`: a type hoist cannot parse is better refused by the registry (406) than
/// downloaded and then rejected. Registries ignore the order of `Accept`, but
/// content-negotiating proxies do not, so the order is meaningful for them.
pub const MANIFEST_ACCEPT: [&str; 6] = [
    OCI_INDEX,
    DOCKER_MANIFEST_LIST,
    OCI_MANIFEST,
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1_SIGNED_MANIFEST,
    DOCKER_SCHEMA1_MANIFEST,
];

/// [`MANIFEST_ACCEPT`] joined as one `Accept` header value.
pub fn manifest_accept_header() -> String {
    MANIFEST_ACCEPT.join(", ")
}

/// A media type hoist understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MediaType {
    /// [`OCI_MANIFEST`]
    OciManifest,
    /// [`OCI_INDEX`]
    OciIndex,
    /// [`OCI_CONFIG`]
    OciConfig,
    /// [`OCI_EMPTY`]
    OciEmpty,
    /// [`OCI_LAYER_TAR`]
    OciLayerTar,
    /// [`OCI_LAYER_TAR_GZIP`]
    OciLayerTarGzip,
    /// [`OCI_LAYER_TAR_ZSTD`]
    OciLayerTarZstd,
    /// [`OCI_LAYER_NONDISTRIBUTABLE_TAR`]
    OciLayerNondistributableTar,
    /// [`OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP`]
    OciLayerNondistributableTarGzip,
    /// [`OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD`]
    OciLayerNondistributableTarZstd,
    /// [`DOCKER_MANIFEST`]
    DockerManifest,
    /// [`DOCKER_MANIFEST_LIST`]
    DockerManifestList,
    /// [`DOCKER_CONFIG`]
    DockerConfig,
    /// [`DOCKER_LAYER_TAR`]
    DockerLayerTar,
    /// [`DOCKER_LAYER_TAR_GZIP`]
    DockerLayerTarGzip,
    /// [`DOCKER_FOREIGN_LAYER_TAR`]
    DockerForeignLayerTar,
    /// [`DOCKER_FOREIGN_LAYER_TAR_GZIP`]
    DockerForeignLayerTarGzip,
    /// [`DOCKER_SCHEMA1_MANIFEST`]
    DockerSchema1Manifest,
    /// [`DOCKER_SCHEMA1_SIGNED_MANIFEST`]
    DockerSchema1SignedManifest,
}

const ALL: [MediaType; 19] = [
    MediaType::OciManifest,
    MediaType::OciIndex,
    MediaType::OciConfig,
    MediaType::OciEmpty,
    MediaType::OciLayerTar,
    MediaType::OciLayerTarGzip,
    MediaType::OciLayerTarZstd,
    MediaType::OciLayerNondistributableTar,
    MediaType::OciLayerNondistributableTarGzip,
    MediaType::OciLayerNondistributableTarZstd,
    MediaType::DockerManifest,
    MediaType::DockerManifestList,
    MediaType::DockerConfig,
    MediaType::DockerLayerTar,
    MediaType::DockerLayerTarGzip,
    MediaType::DockerForeignLayerTar,
    MediaType::DockerForeignLayerTarGzip,
    MediaType::DockerSchema1Manifest,
    MediaType::DockerSchema1SignedManifest,
];

impl MediaType {
    /// Recognises a media type. Parameters (`; charset=utf-8`), surrounding whitespace
    /// and letter case are ignored, as RFC 9110 §8.3.1 says type and subtype are
    /// case-insensitive. `None` for anything hoist does not know.
    pub fn parse(s: &str) -> Option<MediaType> {
        let essence = essence(s);
        ALL.into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(essence))
    }

    /// The canonical string.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::OciManifest => OCI_MANIFEST,
            MediaType::OciIndex => OCI_INDEX,
            MediaType::OciConfig => OCI_CONFIG,
            MediaType::OciEmpty => OCI_EMPTY,
            MediaType::OciLayerTar => OCI_LAYER_TAR,
            MediaType::OciLayerTarGzip => OCI_LAYER_TAR_GZIP,
            MediaType::OciLayerTarZstd => OCI_LAYER_TAR_ZSTD,
            MediaType::OciLayerNondistributableTar => OCI_LAYER_NONDISTRIBUTABLE_TAR,
            MediaType::OciLayerNondistributableTarGzip => OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP,
            MediaType::OciLayerNondistributableTarZstd => OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD,
            MediaType::DockerManifest => DOCKER_MANIFEST,
            MediaType::DockerManifestList => DOCKER_MANIFEST_LIST,
            MediaType::DockerConfig => DOCKER_CONFIG,
            MediaType::DockerLayerTar => DOCKER_LAYER_TAR,
            MediaType::DockerLayerTarGzip => DOCKER_LAYER_TAR_GZIP,
            MediaType::DockerForeignLayerTar => DOCKER_FOREIGN_LAYER_TAR,
            MediaType::DockerForeignLayerTarGzip => DOCKER_FOREIGN_LAYER_TAR_GZIP,
            MediaType::DockerSchema1Manifest => DOCKER_SCHEMA1_MANIFEST,
            MediaType::DockerSchema1SignedManifest => DOCKER_SCHEMA1_SIGNED_MANIFEST,
        }
    }

    /// A single-image manifest: OCI image manifest, Docker schema 2, or Docker schema 1.
    pub fn is_manifest(self) -> bool {
        matches!(
            self,
            MediaType::OciManifest
                | MediaType::DockerManifest
                | MediaType::DockerSchema1Manifest
                | MediaType::DockerSchema1SignedManifest
        )
    }

    /// A multi-image document: OCI index or Docker manifest list.
    pub fn is_index(self) -> bool {
        matches!(self, MediaType::OciIndex | MediaType::DockerManifestList)
    }

    /// Anything [`crate::manifest::Manifest::parse`] can parse (manifest or index).
    pub fn is_manifest_or_index(self) -> bool {
        self.is_manifest() || self.is_index()
    }

    /// A filesystem layer (a tar changeset, possibly compressed or foreign).
    pub fn is_layer(self) -> bool {
        matches!(
            self,
            MediaType::OciLayerTar
                | MediaType::OciLayerTarGzip
                | MediaType::OciLayerTarZstd
                | MediaType::OciLayerNondistributableTar
                | MediaType::OciLayerNondistributableTarGzip
                | MediaType::OciLayerNondistributableTarZstd
                | MediaType::DockerLayerTar
                | MediaType::DockerLayerTarGzip
                | MediaType::DockerForeignLayerTar
                | MediaType::DockerForeignLayerTarGzip
        )
    }

    /// A layer whose distribution may be restricted: Docker "foreign" layers and OCI
    /// "non-distributable" layers. Registries may not hold them; their descriptor's `urls`
    /// say where to fetch them, and pushes skip them.
    pub fn is_foreign_layer(self) -> bool {
        matches!(
            self,
            MediaType::OciLayerNondistributableTar
                | MediaType::OciLayerNondistributableTarGzip
                | MediaType::OciLayerNondistributableTarZstd
                | MediaType::DockerForeignLayerTar
                | MediaType::DockerForeignLayerTarGzip
        )
    }

    /// An image configuration blob (OCI or Docker).
    pub fn is_config(self) -> bool {
        matches!(self, MediaType::OciConfig | MediaType::DockerConfig)
    }

    /// Docker schema 1, signed or not.
    pub fn is_schema1(self) -> bool {
        matches!(
            self,
            MediaType::DockerSchema1Manifest | MediaType::DockerSchema1SignedManifest
        )
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `type/subtype` part of a `Content-Type` value: parameters cut, whitespace trimmed.
pub fn essence(s: &str) -> &str {
    s.split(';').next().unwrap_or_default().trim()
}

/// True for `Content-Type` values that say nothing about a manifest's type, so that the
/// body must be sniffed (as containers/image `GuessMIMEType` does): missing, empty,
/// `application/json` (allowed for schema 1 by distribution `manifest-v2-1.md`),
/// `text/plain` and `application/octet-stream` (CDNs and static file servers).
pub fn is_generic_content_type(s: &str) -> bool {
    let e = essence(s);
    e.is_empty()
        || [
            "application/json",
            "text/plain",
            "application/octet-stream",
            "binary/octet-stream",
        ]
        .iter()
        .any(|g| g.eq_ignore_ascii_case(e))
}

/// Checks the media type grammar image-spec uses for descriptors (`defs-descriptor.json`,
/// after RFC 6838 §4.2): `type "/" subtype`, each 1–127 characters from
/// `[A-Za-z0-9!#$&^_.+-]` starting with a letter or digit. No parameters.
pub fn is_valid(s: &str) -> bool {
    fn part(p: &str) -> bool {
        let b = p.as_bytes();
        (1..=127).contains(&b.len())
            && b.first().is_some_and(u8::is_ascii_alphanumeric)
            && b.iter().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        b'!' | b'#' | b'$' | b'&' | b'^' | b'_' | b'.' | b'+' | b'-'
                    )
            })
    }
    match s.split_once('/') {
        Some((t, sub)) => part(t) && part(sub),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_classes() {
        for m in ALL {
            assert_eq!(MediaType::parse(m.as_str()), Some(m));
            assert!(is_valid(m.as_str()), "{m}");
            assert!(!(m.is_manifest() && m.is_index()));
            assert!(!(m.is_layer() && m.is_config()));
            if m.is_foreign_layer() {
                assert!(m.is_layer());
            }
        }
        assert_eq!(
            MediaType::parse(
                " Application/VND.docker.distribution.manifest.v2+json; charset=utf-8"
            ),
            Some(MediaType::DockerManifest)
        );
        assert_eq!(MediaType::parse("application/json"), None);
        assert!(MANIFEST_ACCEPT
            .iter()
            .all(|m| MediaType::parse(m).is_some_and(MediaType::is_manifest_or_index)));
        assert!(manifest_accept_header().starts_with(OCI_INDEX));
    }

    #[test]
    fn grammar() {
        // (input, valid) — image-spec schema/descriptor_test.go mediaType cases
        let long = "1".repeat(127);
        let too_long = "1".repeat(128);
        let cases: Vec<(String, bool)> = vec![
            ("application/vnd.oci.image.manifest.v1+json".into(), true),
            ("application/octet-stream".into(), true),
            ("application".into(), false),
            (".foo/bar".into(), false),
            ("foo/.bar".into(), false),
            (format!("{long}/{long}"), true),
            (format!("{too_long}/bar"), false),
            (format!("foo/{too_long}"), false),
            ("invalid".into(), false),
            ("".into(), false),
            ("a/b/c".into(), false),
            ("text/plain; charset=utf-8".into(), false),
        ];
        for (input, want) in cases {
            assert_eq!(is_valid(&input), want, "{input}");
        }
    }

    #[test]
    fn generic() {
        for g in [
            "",
            "application/json",
            "text/plain; charset=utf-8",
            "Application/Octet-Stream",
        ] {
            assert!(is_generic_content_type(g), "{g}");
        }
        assert!(!is_generic_content_type(OCI_MANIFEST));
        assert!(!is_generic_content_type("text/html"));
    }
}
