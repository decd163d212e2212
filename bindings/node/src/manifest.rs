//! `manifest` interface: manifests and indexes of every kind, descriptors and platforms
//! (see `hoist_core::manifest`, `hoist_core::descriptor`, `hoist_core::platform`).

use hoist_core::descriptor::Descriptor;
use hoist_core::digest::Digest;
use hoist_core::manifest::{Limits, Manifest};
use hoist_core::platform::{self, Platform};
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{self, core, invalid, to_value, Result};

/// Limits on a manifest (defaults: the core's).
#[napi(object)]
pub struct ManifestLimits {
    /// Largest document in bytes.
    pub max_bytes: Option<u32>,
    /// Most layers.
    pub max_layers: Option<u32>,
    /// Most index entries.
    pub max_index_entries: Option<u32>,
}

/// Options of [`parse_manifest`].
#[napi(object)]
pub struct ParseManifestOptions {
    /// The response's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The media type of the index this manifest was reached through, if any.
    pub parent_media_type: Option<String>,
    /// Size limits.
    pub limits: Option<ManifestLimits>,
}

fn parse(bytes: &[u8], options: Option<ParseManifestOptions>) -> Result<Manifest> {
    let options = options.unwrap_or(ParseManifestOptions {
        content_type: None,
        parent_media_type: None,
        limits: None,
    });
    let mut limits = Limits::default();
    if let Some(l) = &options.limits {
        let pick = |v: Option<u32>, d: usize| v.map_or(d, |v| v as usize);
        limits = Limits {
            max_bytes: pick(l.max_bytes, limits.max_bytes),
            max_layers: pick(l.max_layers, limits.max_layers),
            max_index_entries: pick(l.max_index_entries, limits.max_index_entries),
        };
    }
    core(Manifest::parse_with_limits(
        bytes,
        options.content_type.as_deref(),
        options.parent_media_type.as_deref(),
        &limits,
    ))
}

/// Parses a manifest or index of any kind (OCI image/index, Docker v2/list, schema 1),
/// with the CVE-2021-41190 ambiguity checks: `{kind, mediaType, digest, config, layers,
/// children}`.
#[napi]
pub fn parse_manifest(bytes: Uint8Array, options: Option<ParseManifestOptions>) -> Result<Value> {
    parse(&bytes, options).and_then(|m| convert::manifest(&m))
}

/// Parses a manifest and checks that it is the one `expected` names (for schema 1, the
/// digest of the payload without signatures).
#[napi]
pub fn verify_manifest(
    bytes: Uint8Array,
    expected: String,
    options: Option<ParseManifestOptions>,
) -> Result<()> {
    let expected = core(Digest::parse(&expected))?;
    let m = parse(&bytes, options)?;
    core(m.verify(&expected))
}

/// Validates a descriptor object and returns it as hoist re-serialises it (Go field
/// order, sorted annotations, empty fields omitted).
#[napi]
pub fn parse_descriptor(descriptor: Value) -> Result<Value> {
    to_value(&convert::descriptor_in(&descriptor)?)
}

fn host() -> Platform {
    Platform::new("linux", "amd64", "")
}

fn host_or(host_platform: Option<Value>) -> Result<Platform> {
    match host_platform {
        Some(h) => convert::platform_in(&h, &host()),
        None => Ok(host()),
    }
}

/// Parses a platform specifier (`linux/arm64/v8`, `windows`), filling what is missing
/// from `host` (an object or specifier; default `linux/amd64`). Normalized as containerd
/// does.
#[napi]
pub fn parse_platform(specifier: String, host_platform: Option<Value>) -> Result<Value> {
    let host = host_or(host_platform)?;
    to_value(&core(Platform::parse(&specifier, &host))?)
}

/// Normalizes an image-spec platform object (`i386` → `386`, `aarch64` → `arm64`…).
#[napi]
pub fn normalize_platform(platform: Value) -> Result<Value> {
    to_value(&core(Platform::from_value(&platform))?.normalize())
}

/// Whether `candidate` satisfies `want` (containerd `Only`; `strict`: `OnlyStrict`).
/// Each is a specifier (against `linux/amd64`) or an object.
#[napi]
pub fn platform_matches(want: Value, candidate: Value, strict: Option<bool>) -> Result<bool> {
    let want = convert::platform_in(&want, &host())?;
    let candidate = convert::platform_in(&candidate, &host())?;
    Ok(if strict.unwrap_or(false) {
        want.matches(&candidate)
    } else {
        want.compatible(&candidate)
    })
}

/// Picks the entry of an index for platform `want`: the position in `manifests`
/// (descriptor objects) of the best match. Throws `no-matching-platform` when none fits.
#[napi]
pub fn select_platform(manifests: Vec<Value>, want: Value) -> Result<u32> {
    let want = convert::platform_in(&want, &host())?;
    let children: Vec<Descriptor> = manifests
        .iter()
        .map(convert::descriptor_in)
        .collect::<Result<_>>()?;
    let chosen = core(platform::select_platform(&children, &want))?;
    children
        .iter()
        .position(|c| std::ptr::eq(c, chosen))
        .and_then(|i| u32::try_from(i).ok())
        .ok_or_else(|| invalid("manifests"))
}

/// containerd's `FormatAll` string of a platform object (`linux/arm64/v8`).
#[napi]
pub fn format_platform(platform: Value) -> Result<String> {
    Ok(core(Platform::from_value(&platform))?.format())
}
