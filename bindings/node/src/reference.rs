//! `reference` interface: the distribution/reference grammar, normalization, short
//! names and `registries.conf` (see `hoist_core::reference`).
//!
//! The functions returning a reference answer in the compact form of
//! [`crate::convert::compact`] (a packed string, or a returned `Error`); the npm package's
//! `lib/convert.js` turns it into the `ReferenceInfo` object or the thrown `Error` that
//! `index.d.ts` documents.

use hoist_core::reference::{self, ImageLocation, Reference, ShortNameMode};
use napi_derive::napi;
use serde_json::Value;

use crate::convert::compact::{ReferenceParts, Returned, Text};
use crate::convert::{self, core, invalid, Result};

/// Parses `s` with the exact grammar (no normalization), like Go's `reference.Parse`.
#[napi]
pub fn parse_reference(s: Text) -> Returned<ReferenceParts> {
    Returned(core(reference::parse(s.as_str())).map(ReferenceParts))
}

/// Parses and normalizes `s` (`redis` → `docker.io/library/redis`), like
/// `ParseNormalizedNamed`.
#[napi]
pub fn parse_normalized(s: Text) -> Returned<ReferenceParts> {
    Returned(core(reference::parse_normalized(s.as_str())).map(ReferenceParts))
}

/// Parses a fully qualified name (`ParseNamed`): the input must already be canonical.
#[napi]
pub fn parse_named(s: Text) -> Returned<ReferenceParts> {
    Returned(core(reference::parse_named(s.as_str())).map(ReferenceParts))
}

/// Parses a repository name without tag or digest (`WithName`).
#[napi]
pub fn parse_name(s: Text) -> Returned<ReferenceParts> {
    Returned(core(Reference::parse_name(s.as_str())).map(ReferenceParts))
}

/// Parses like docker's `ParseDockerRef` (normalized, `latest` added, tag dropped when a
/// digest is present).
#[napi]
pub fn parse_docker_ref(s: Text) -> Returned<ReferenceParts> {
    Returned(core(reference::parse_docker_ref(s.as_str())).map(ReferenceParts))
}

/// The familiar form of `s` (`docker.io/library/redis:7` → `redis:7`).
#[napi]
pub fn familiar(s: String) -> Result<String> {
    core(reference::parse_normalized(&s)).map(|r| r.familiar().to_owned())
}

/// The canonical form of `s` with `latest` filled in (`redis` →
/// `docker.io/library/redis:latest`).
#[napi]
pub fn canonical(s: String) -> Result<String> {
    core(reference::parse_normalized(&s)).map(|r| r.canonical())
}

/// `reference` (exact grammar) with its tag replaced by `tag` (`WithTag`).
#[napi]
pub fn with_tag(reference: String, tag: String) -> Returned<ReferenceParts> {
    Returned(
        core(reference::parse(&reference)).and_then(|r| core(r.with_tag(&tag)).map(ReferenceParts)),
    )
}

/// `reference` (exact grammar) with `digest` added (`WithDigest`).
#[napi]
pub fn with_digest(reference: String, digest: String) -> Returned<ReferenceParts> {
    Returned(core(reference::parse(&reference)).and_then(|r| {
        let d = convert::digest(&digest)?;
        Ok(ReferenceParts(r.with_digest(d)))
    }))
}

/// Whether `s` is a short name (no registry), which `registries.conf` resolves.
#[napi]
pub fn is_short_name(s: String) -> Result<bool> {
    core(reference::is_short_name(&s))
}

/// Parses a transport-qualified location (`docker://…`, `oci:path:name`, `dir:…`).
#[napi]
pub fn parse_image_location(s: String) -> Result<Value> {
    core(ImageLocation::parse(&s)).map(|l| convert::image_location(&l))
}

/// A parsed `registries.conf` (containers-registries.conf(5) v2).
#[napi]
pub struct RegistriesConf {
    inner: reference::RegistriesConf,
}

#[napi]
impl RegistriesConf {
    /// Parses the TOML text of a `registries.conf`.
    #[napi(factory)]
    pub fn parse(text: String) -> Result<RegistriesConf> {
        core(reference::RegistriesConf::parse(&text)).map(|inner| RegistriesConf { inner })
    }

    /// Its registries, search registries, short-name mode and aliases.
    #[napi]
    pub fn describe(&self) -> Value {
        convert::registries_conf(&self.inner)
    }

    /// The `[[registry]]` entry whose prefix matches `reference` best, if any.
    #[napi]
    pub fn find_registry(&self, reference: String) -> Option<Value> {
        self.inner
            .find_registry(&reference)
            .map(|r| serde_json::json!({ "prefix": r.prefix(), "location": r.location() }))
    }

    /// Where to pull `reference` (normalized first) from, mirrors first.
    #[napi]
    pub fn pull_sources(&self, reference: String) -> Result<Value> {
        let r = core(reference::parse_normalized(&reference))?;
        let sources = core(self.inner.pull_sources(&r))?;
        Ok(Value::Array(
            sources
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "location": s.endpoint.location(),
                        "insecure": s.endpoint.insecure(),
                        "reference": s.reference.as_str(),
                    })
                })
                .collect(),
        ))
    }

    /// The candidates a short name resolves to (aliases, then search registries), with
    /// the mode (`enforcing`, `permissive`, `disabled`) given or configured.
    #[napi]
    pub fn short_name_candidates(&self, name: String, mode: Option<String>) -> Result<Value> {
        let r = match mode {
            Some(m) => {
                let m = ShortNameMode::parse(&m).ok_or_else(|| invalid("mode"))?;
                self.inner.short_name_candidates_with_mode(&name, m)
            }
            None => self.inner.short_name_candidates(&name),
        };
        core(r).map(|r| convert::short_names(&r))
    }

    /// The references a pull of `name` tries, in order.
    #[napi]
    pub fn candidates_to_try(&self, name: String) -> Result<Vec<String>> {
        core(self.inner.candidates_to_try(&name))
            .map(|v| v.iter().map(|r| r.as_str().to_owned()).collect())
    }
}

impl RegistriesConf {
    pub(crate) fn core(&self) -> &reference::RegistriesConf {
        &self.inner
    }
}

/// Short-name resolution with a `registries.conf` text (see
/// [`RegistriesConf::short_name_candidates`]).
#[napi]
pub fn short_name_candidates(conf: String, name: String, mode: Option<String>) -> Result<Value> {
    RegistriesConf::parse(conf)?.short_name_candidates(name, mode)
}
