//! Limits on what a manifest may contain, checked before and during parsing.
//!
//! Manifests arrive from registries hoist does not trust, and are buffered whole, so
//! every count that drives memory or work is bounded here.

/// Bounds applied by [`Manifest::parse_with_limits`](super::Manifest::parse_with_limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest manifest body accepted, in bytes. Checked against the body's length
    /// before anything is parsed.
    ///
    /// Default 4 MiB: docker/distribution refuses to store larger manifests
    /// (`registry/handlers/manifests.go`, `maxManifestBodySize = 4 << 20`) and
    /// containers/image refuses to read them (`internal/iolimits`, `MaxManifestBodySize`),
    /// so nothing larger can have been pushed through a conforming registry.
    pub max_bytes: usize,
    /// Most layers (`layers`, or schema 1 `fsLayers`) one image manifest may list.
    ///
    /// Default 1000. Docker refuses to run images deeper than 125 layers
    /// (`layer/layer_store.go`, `maxLayerDepth = 125`, for the 127-layer limit of some
    /// graph drivers) and overlayfs mounts run out of option space near 500, so 1000
    /// rejects nothing runnable while bounding the work a hostile manifest can cause.
    pub max_layers: usize,
    /// Most entries one index or manifest list may list.
    ///
    /// Default 1000: real indexes list one entry per platform (plus attestations), a
    /// few dozen at most; Windows images with one entry per OS build stay well below.
    pub max_index_entries: usize,
}

impl Limits {
    /// The defaults documented on each field.
    pub const DEFAULT: Limits = Limits {
        max_bytes: 4 << 20,
        max_layers: 1000,
        max_index_entries: 1000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
