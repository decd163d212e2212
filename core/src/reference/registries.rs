//! containers-registries.conf(5), as read by containers/image `pkg/sysregistriesv2`
//! (`system_registries_v2.go`, `shortnames.go`).
//!
//! hoist reads one file's text; merging drop-in directories and the per-user alias cache
//! is the host's job (it can parse each file and apply them in order itself). Validation
//! follows `loadConfigFile` + `postProcessRegistries` step by step, and where Go would
//! report several problems at once hoist reports the first one (keys in sorted order).
//! Keys hoist does not use are ignored, as the Go TOML decoder ignores them.

use std::collections::BTreeMap;

use toml::{Table, Value};

use super::grammar::is_domain_and_port;
use super::short_names::ShortNameMode;
use super::{parse, parse_named, parse_normalized, Reference, ReferenceError};
use crate::digest::excerpt;

/// Which pulls a mirror serves (`pull-from-mirror`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PullFromMirror {
    /// Pulls by tag and by digest (`all`, or unset).
    #[default]
    All,
    /// Only pulls by digest (`digest-only`): a tag may point elsewhere on a mirror.
    DigestOnly,
    /// Only pulls by tag (`tag-only`).
    TagOnly,
}

impl PullFromMirror {
    /// The registries.conf spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PullFromMirror::All => "all",
            PullFromMirror::DigestOnly => "digest-only",
            PullFromMirror::TagOnly => "tag-only",
        }
    }
}

/// A place to pull from: a registry's primary location or one of its mirrors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    location: String,
    insecure: bool,
    pull_from_mirror: PullFromMirror,
}

impl Endpoint {
    /// `host[:port][/namespace…]`; empty only for a registry whose prefix is a
    /// `*.example.com` wildcard (the reference is then used unchanged).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// `insecure = true`: skip TLS verification and allow plain HTTP.
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// Which pulls this endpoint serves when it is a mirror.
    pub fn pull_from_mirror(&self) -> PullFromMirror {
        self.pull_from_mirror
    }
}

/// One `[[registry]]` table after validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registry {
    prefix: String,
    endpoint: Endpoint,
    mirrors: Vec<Endpoint>,
    blocked: bool,
    mirror_by_digest_only: bool,
}

/// One place to try for a pull: the endpoint and the reference rewritten for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullSource {
    /// Where to pull from.
    pub endpoint: Endpoint,
    /// The reference with the registry prefix replaced by the endpoint's location.
    pub reference: Reference,
}

impl Registry {
    /// The prefix images are matched against (defaults to the location).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The primary location; may be empty for a wildcard prefix.
    pub fn location(&self) -> &str {
        &self.endpoint.location
    }

    /// The primary endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// `insecure = true` on the primary location.
    pub fn insecure(&self) -> bool {
        self.endpoint.insecure
    }

    /// `blocked = true`: pulls that match this registry must fail.
    pub fn blocked(&self) -> bool {
        self.blocked
    }

    /// `mirror-by-digest-only = true`: mirrors serve only digest pulls.
    pub fn mirror_by_digest_only(&self) -> bool {
        self.mirror_by_digest_only
    }

    /// The mirrors, in configured order.
    pub fn mirrors(&self) -> &[Endpoint] {
        &self.mirrors
    }

    /// The places to pull `reference` from, in order: the mirrors allowed for this kind of
    /// pull, then the primary location, each with the reference rewritten from this
    /// registry's prefix to the endpoint's location (`PullSourcesFromReference`).
    ///
    /// `reference` must be fully qualified (normalized). Fails with
    /// `invalid-pull-source-rewrite` when the prefix does not match or the rewritten
    /// reference is not canonical. Does not check [`Registry::blocked`].
    pub fn pull_sources(&self, reference: &Reference) -> Result<Vec<PullSource>, ReferenceError> {
        let digested = reference.digest().is_some();
        let mut endpoints: Vec<&Endpoint> = Vec::with_capacity(self.mirrors.len() + 1);
        if self.mirror_by_digest_only {
            if digested {
                endpoints.extend(self.mirrors.iter());
            }
        } else {
            endpoints.extend(self.mirrors.iter().filter(|m| match m.pull_from_mirror {
                PullFromMirror::DigestOnly => digested,
                PullFromMirror::TagOnly => !digested,
                PullFromMirror::All => true,
            }));
        }
        endpoints.push(&self.endpoint);
        endpoints
            .into_iter()
            .map(|ep| {
                Ok(PullSource {
                    endpoint: ep.clone(),
                    reference: rewrite(reference, &self.prefix, &ep.location)?,
                })
            })
            .collect()
    }
}

/// `Endpoint.rewriteReference`.
fn rewrite(
    reference: &Reference,
    prefix: &str,
    location: &str,
) -> Result<Reference, ReferenceError> {
    let fail = || ReferenceError::InvalidPullSourceRewrite {
        reference: excerpt(reference.as_str()),
        location: excerpt(location),
    };
    let text = reference.as_str();
    let len = ref_matching_prefix(text, prefix).ok_or_else(fail)?;
    if location.is_empty() {
        return if prefix.starts_with("*.") {
            Ok(reference.clone())
        } else {
            Err(fail())
        };
    }
    let rest = text.get(len..).ok_or_else(fail)?;
    let mut rewritten = String::with_capacity(location.len() + rest.len());
    rewritten.push_str(location);
    rewritten.push_str(rest);
    parse_named(&rewritten).map_err(|_| fail())
}

/// `refMatchingPrefix`: the length of the matched prefix of `reference` (a domain, a
/// name or a whole reference string), or `None`.
///
/// A plain prefix matches when it equals the reference or is followed by `:`, `/` or `@`
/// (so `example.com` also matches `example.com:5000`, as in Go). A `*.example.com`
/// prefix matches a host ending in `.example.com`, judged at the first occurrence of
/// `.example.com` only, before any `/`.
pub(crate) fn ref_matching_prefix(reference: &str, prefix: &str) -> Option<usize> {
    if let Some(pattern) = prefix.strip_prefix('*') {
        if pattern.starts_with('.') {
            let index = reference.find(pattern)?;
            if reference.get(..index)?.contains('/') {
                return None;
            }
            let end = index + pattern.len();
            return match reference.as_bytes().get(end) {
                None | Some(b':' | b'/' | b'@') => Some(end),
                Some(_) => None,
            };
        }
    }
    let rest = reference.strip_prefix(prefix)?;
    match rest.as_bytes().first() {
        None | Some(b':' | b'/' | b'@') => Some(prefix.len()),
        Some(_) => None,
    }
}

/// A parsed registries.conf: registries sorted by prefix, unqualified-search registries,
/// short-name mode and aliases.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RegistriesConf {
    registries: Vec<Registry>,
    unqualified_search_registries: Vec<String>,
    short_name_mode: Option<ShortNameMode>,
    aliases: BTreeMap<String, Option<Reference>>,
    credential_helpers: Vec<String>,
}

/// The location of a TOML syntax error, as `line N`.
fn syntax_key(text: &str, err: &toml::de::Error) -> String {
    match err.span() {
        Some(span) => {
            let upto = text.get(..span.start).unwrap_or(text);
            format!("line {}", upto.bytes().filter(|&b| b == b'\n').count() + 1)
        }
        None => "document".to_owned(),
    }
}

fn type_error(key: &str, problem: &'static str) -> ReferenceError {
    ReferenceError::InvalidRegistriesConf {
        key: excerpt(key),
        problem,
    }
}

fn get_str<'a>(t: &'a Table, key: &str, path: &str) -> Result<Option<&'a str>, ReferenceError> {
    match t.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(type_error(&format!("{path}{key}"), "must be a string")),
    }
}

fn get_bool(t: &Table, key: &str, path: &str) -> Result<bool, ReferenceError> {
    match t.get(key) {
        None => Ok(false),
        Some(Value::Boolean(b)) => Ok(*b),
        Some(_) => Err(type_error(&format!("{path}{key}"), "must be a boolean")),
    }
}

fn get_str_array(t: &Table, key: &str, path: &str) -> Result<Option<Vec<String>>, ReferenceError> {
    match t.get(key) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(type_error(&format!("{path}{key}[{i}]"), "must be a string")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(type_error(
            &format!("{path}{key}"),
            "must be an array of strings",
        )),
    }
}

fn get_tables<'a>(
    t: &'a Table,
    key: &str,
    path: &str,
) -> Result<Option<Vec<&'a Table>>, ReferenceError> {
    match t.get(key) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Table(t) => Ok(t),
                _ => Err(type_error(&format!("{path}{key}[{i}]"), "must be a table")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(type_error(
            &format!("{path}{key}"),
            "must be an array of tables",
        )),
    }
}

/// A `[[registry]]` or `[[registry.mirror]]` as written, before validation.
#[derive(Default)]
struct RawEndpoint {
    location: String,
    insecure: bool,
    pull_from_mirror: String,
}

#[derive(Default)]
struct RawRegistry {
    prefix: String,
    endpoint: RawEndpoint,
    mirrors: Vec<RawEndpoint>,
    blocked: bool,
    mirror_by_digest_only: bool,
}

fn raw_endpoint(t: &Table, path: &str) -> Result<RawEndpoint, ReferenceError> {
    Ok(RawEndpoint {
        location: get_str(t, "location", path)?.unwrap_or_default().to_owned(),
        insecure: get_bool(t, "insecure", path)?,
        pull_from_mirror: get_str(t, "pull-from-mirror", path)?
            .unwrap_or_default()
            .to_owned(),
    })
}

fn raw_registry(t: &Table, index: usize) -> Result<RawRegistry, ReferenceError> {
    let path = format!("registry[{index}].");
    let mirrors = get_tables(t, "mirror", &path)?
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(j, m)| raw_endpoint(m, &format!("{path}mirror[{j}].")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RawRegistry {
        prefix: get_str(t, "prefix", &path)?.unwrap_or_default().to_owned(),
        endpoint: raw_endpoint(t, &path)?,
        mirrors,
        blocked: get_bool(t, "blocked", &path)?,
        mirror_by_digest_only: get_bool(t, "mirror-by-digest-only", &path)?,
    })
}

/// `parseLocation`: trims trailing `/` and refuses `http://` / `https://`.
fn parse_location(input: &str, key: &str) -> Result<String, ReferenceError> {
    let trimmed = input.trim_end_matches('/');
    if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        return Err(ReferenceError::InvalidRegistryLocation {
            key: key.to_owned(),
            value: excerpt(input),
            problem: "uri schemes are not supported",
        });
    }
    Ok(trimmed.to_owned())
}

/// The v1 format (`[registries.search] registries = […]` etc.), if present.
struct V1 {
    search: Option<Vec<String>>,
    insecure: Option<Vec<String>>,
    block: Option<Vec<String>>,
}

fn read_v1(table: &Table) -> Result<Option<V1>, ReferenceError> {
    let Some(value) = table.get("registries") else {
        return Ok(None);
    };
    let Value::Table(t) = value else {
        return Err(type_error("registries", "must be a table"));
    };
    let list = |name: &str| -> Result<Option<Vec<String>>, ReferenceError> {
        match t.get(name) {
            None => Ok(None),
            Some(Value::Table(inner)) => {
                get_str_array(inner, "registries", &format!("registries.{name}."))
            }
            Some(_) => Err(type_error(&format!("registries.{name}"), "must be a table")),
        }
    };
    let v1 = V1 {
        search: list("search")?,
        insecure: list("insecure")?,
        block: list("block")?,
    };
    let set = v1.search.is_some() || v1.insecure.is_some() || v1.block.is_some();
    Ok(set.then_some(v1))
}

/// `V1RegistriesConf.ConvertToV2`: blocked and insecure lists become registries in order
/// of first appearance; the search list becomes the unqualified-search registries.
fn convert_v1(v1: V1) -> Result<(Vec<RawRegistry>, Vec<String>), ReferenceError> {
    let mut registries: Vec<RawRegistry> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (name, list, blocked) in [
        ("block", &v1.block, true),
        ("insecure", &v1.insecure, false),
    ] {
        for (k, entry) in list.iter().flatten().enumerate() {
            let location = parse_location(entry, &format!("registries.{name}.registries[{k}]"))?;
            let i = *index.entry(location.clone()).or_insert_with(|| {
                registries.push(RawRegistry {
                    prefix: location.clone(),
                    endpoint: RawEndpoint {
                        location: location.clone(),
                        ..RawEndpoint::default()
                    },
                    ..RawRegistry::default()
                });
                registries.len() - 1
            });
            if let Some(reg) = registries.get_mut(i) {
                if blocked {
                    reg.blocked = true;
                } else {
                    reg.endpoint.insecure = true;
                }
            }
        }
    }
    Ok((registries, v1.search.unwrap_or_default()))
}

fn parse_pull_from_mirror(value: &str, key: &str) -> Result<PullFromMirror, ReferenceError> {
    match value {
        "" | "all" => Ok(PullFromMirror::All),
        "digest-only" => Ok(PullFromMirror::DigestOnly),
        "tag-only" => Ok(PullFromMirror::TagOnly),
        _ => Err(ReferenceError::InvalidPullFromMirror {
            key: key.to_owned(),
            problem: "must be all, digest-only or tag-only",
        }),
    }
}

/// `postProcessRegistries` for one registry.
fn validate_registry(raw: RawRegistry, i: usize) -> Result<Registry, ReferenceError> {
    let location = parse_location(&raw.endpoint.location, &format!("registry[{i}].location"))?;
    let prefix = if raw.prefix.is_empty() {
        if location.is_empty() {
            return Err(ReferenceError::InvalidRegistryLocation {
                key: format!("registry[{i}]"),
                value: String::new(),
                problem: "both location and prefix are unset",
            });
        }
        location.clone()
    } else {
        let prefix = parse_location(&raw.prefix, &format!("registry[{i}].prefix"))?;
        if !prefix.starts_with("*.") && location.is_empty() {
            return Err(ReferenceError::InvalidRegistryLocation {
                key: format!("registry[{i}].location"),
                value: String::new(),
                problem: "location is unset and prefix is not of the form *.example.com",
            });
        }
        prefix
    };
    if !raw.endpoint.pull_from_mirror.is_empty() {
        return Err(ReferenceError::InvalidPullFromMirror {
            key: format!("registry[{i}].pull-from-mirror"),
            problem: "must not be set for a non-mirror registry",
        });
    }
    let mut mirrors = Vec::with_capacity(raw.mirrors.len());
    for (j, m) in raw.mirrors.into_iter().enumerate() {
        let key = format!("registry[{i}].mirror[{j}]");
        let location = parse_location(&m.location, &format!("{key}.location"))?;
        if location.is_empty() {
            return Err(ReferenceError::InvalidRegistryLocation {
                key: format!("{key}.location"),
                value: String::new(),
                problem: "mirror location is unset",
            });
        }
        if raw.mirror_by_digest_only && !m.pull_from_mirror.is_empty() {
            return Err(ReferenceError::InvalidPullFromMirror {
                key: format!("{key}.pull-from-mirror"),
                problem: "cannot be combined with mirror-by-digest-only on the registry",
            });
        }
        let pull_from_mirror =
            parse_pull_from_mirror(&m.pull_from_mirror, &format!("{key}.pull-from-mirror"))?;
        mirrors.push(Endpoint {
            location,
            insecure: m.insecure,
            pull_from_mirror,
        });
    }
    Ok(Registry {
        prefix,
        endpoint: Endpoint {
            location,
            insecure: raw.endpoint.insecure,
            pull_from_mirror: PullFromMirror::All,
        },
        mirrors,
        blocked: raw.blocked,
        mirror_by_digest_only: raw.mirror_by_digest_only,
    })
}

/// Registries sharing a location (or, without one, a prefix) must agree on `insecure`
/// and `blocked`. Reports the group met first in file order, in linear time.
fn check_conflicts(registries: &[Registry]) -> Result<(), ReferenceError> {
    let key = |r: &Registry| -> String {
        if r.endpoint.location.is_empty() {
            r.prefix.clone()
        } else {
            r.endpoint.location.clone()
        }
    };
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in registries.iter().enumerate() {
        groups.entry(key(r)).or_default().push(i);
    }
    let mut first_conflict: Option<(usize, &'static str, String)> = None;
    for members in groups.values() {
        let Some((&head, rest)) = members.split_first() else {
            continue;
        };
        let Some(first) = registries.get(head) else {
            continue;
        };
        let setting = rest
            .iter()
            .filter_map(|&i| registries.get(i))
            .find_map(|other| {
                if other.endpoint.insecure != first.endpoint.insecure {
                    Some("insecure")
                } else if other.blocked != first.blocked {
                    Some("blocked")
                } else {
                    None
                }
            });
        if let Some(setting) = setting {
            if first_conflict.as_ref().is_none_or(|(at, _, _)| head < *at) {
                first_conflict = Some((head, setting, first.endpoint.location.clone()));
            }
        }
    }
    match first_conflict {
        Some((_, setting, location)) => Err(ReferenceError::ConflictingRegistrySettings {
            location: excerpt(&location),
            setting,
        }),
        None => Ok(()),
    }
}

/// `validateShortName`: an alias name must parse, carry no tag or digest, and have no
/// registry.
fn validate_alias_name(name: &str) -> Result<(), &'static str> {
    let r = parse(name).map_err(|_| "the name is not a valid reference")?;
    if r.digest().is_some() {
        return Err("the name must not contain a digest");
    }
    if r.tag().is_some() {
        return Err("the name must not contain a tag");
    }
    if r.domain()
        .is_some_and(|d| d.contains(['.', ':']) || d == "localhost")
    {
        return Err("the name must not contain a registry");
    }
    Ok(())
}

/// `parseShortNameValue`: an alias value must parse, carry no tag or digest, and start
/// with a registry; it is returned normalized.
fn parse_alias_value(value: &str) -> Result<Reference, &'static str> {
    let r = parse(value).map_err(|_| "the value is not a valid reference")?;
    if r.digest().is_some() {
        return Err("the value must not contain a digest");
    }
    if r.tag().is_some() {
        return Err("the value must not contain a tag");
    }
    if !r
        .domain()
        .is_some_and(|d| d.contains(['.', ':']) || d == "localhost")
    {
        return Err("the value must contain a registry and a repository");
    }
    parse_normalized(value).map_err(|_| "the value is not a valid reference")
}

impl RegistriesConf {
    /// Parses the text of one registries.conf (v2, or v1 converted to v2) and validates it
    /// as containers/image does when loading a file.
    ///
    /// Errors name the key at fault: `invalid-registries-conf` (TOML syntax or a value of
    /// the wrong type), `invalid-registry-location`, `conflicting-registry-settings`,
    /// `invalid-search-registry`, `invalid-short-name-mode`, `invalid-pull-from-mirror`,
    /// `invalid-wildcard-prefix`, `invalid-alias`, `mixed-registries-conf-versions`.
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        let table: Table =
            toml::from_str(text).map_err(|e| ReferenceError::InvalidRegistriesConf {
                key: syntax_key(text, &e),
                problem: "not valid toml",
            })?;

        let registry_tables = get_tables(&table, "registry", "")?;
        let search = get_str_array(&table, "unqualified-search-registries", "")?;
        let helpers = get_str_array(&table, "credential-helpers", "")?;
        let mode = get_str(&table, "short-name-mode", "")?.unwrap_or_default();
        let als_helper =
            get_str(&table, "additional-layer-store-auth-helper", "")?.unwrap_or_default();
        let aliases = match table.get("aliases") {
            None => None,
            Some(Value::Table(t)) => Some(t),
            Some(_) => return Err(type_error("aliases", "must be a table")),
        };
        let v2_set = registry_tables.is_some()
            || search.is_some()
            || helpers.is_some()
            || !mode.is_empty()
            || !als_helper.is_empty()
            || aliases.is_some();

        let (raw, search) = match read_v1(&table)? {
            Some(v1) => {
                if v2_set {
                    return Err(ReferenceError::MixedRegistriesConfVersions);
                }
                convert_v1(v1)?
            }
            None => {
                let raw = registry_tables
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| raw_registry(t, i))
                    .collect::<Result<Vec<_>, _>>()?;
                (raw, search.unwrap_or_default())
            }
        };

        let registries = raw
            .into_iter()
            .enumerate()
            .map(|(i, r)| validate_registry(r, i))
            .collect::<Result<Vec<_>, _>>()?;
        check_conflicts(&registries)?;

        let mut unqualified_search_registries = Vec::with_capacity(search.len());
        for (i, entry) in search.iter().enumerate() {
            let location = parse_location(entry, &format!("unqualified-search-registries[{i}]"))?;
            if !is_domain_and_port(location.as_bytes()) {
                return Err(ReferenceError::InvalidSearchRegistry {
                    value: excerpt(&location),
                });
            }
            unqualified_search_registries.push(location);
        }

        // The first registry with a given prefix wins; the list is kept sorted by prefix.
        let mut by_prefix: BTreeMap<String, Registry> = BTreeMap::new();
        for r in registries {
            by_prefix.entry(r.prefix.clone()).or_insert(r);
        }
        let registries: Vec<Registry> = by_prefix.into_values().collect();

        let short_name_mode = if mode.is_empty() {
            None
        } else {
            Some(ShortNameMode::parse(mode).ok_or_else(|| {
                ReferenceError::InvalidShortNameMode {
                    value: excerpt(mode),
                }
            })?)
        };

        if let Some(r) = registries
            .iter()
            .find(|r| r.prefix.starts_with("*.") && r.prefix.contains(['/', '@', ':']))
        {
            return Err(ReferenceError::InvalidWildcardPrefix {
                prefix: excerpt(&r.prefix),
            });
        }

        let mut alias_map = BTreeMap::new();
        for (name, value) in aliases.into_iter().flatten() {
            let invalid = |problem| ReferenceError::InvalidAlias {
                name: excerpt(name),
                problem,
            };
            let Value::String(value) = value else {
                return Err(type_error(&format!("aliases.{name}"), "must be a string"));
            };
            validate_alias_name(name).map_err(invalid)?;
            let target = if value.is_empty() {
                None
            } else {
                Some(parse_alias_value(value).map_err(invalid)?)
            };
            alias_map.insert(name.clone(), target);
        }

        Ok(RegistriesConf {
            registries,
            unqualified_search_registries,
            short_name_mode,
            aliases: alias_map,
            credential_helpers: helpers.unwrap_or_default(),
        })
    }

    /// The registries, sorted by prefix, one per prefix.
    pub fn registries(&self) -> &[Registry] {
        &self.registries
    }

    /// The `unqualified-search-registries`, in order (trailing `/` removed).
    pub fn unqualified_search_registries(&self) -> &[String] {
        &self.unqualified_search_registries
    }

    /// The `short-name-mode` as written, `None` when unset (the effective default is
    /// [`ShortNameMode::Permissive`], see [`RegistriesConf::short_name_mode`]).
    pub fn configured_short_name_mode(&self) -> Option<ShortNameMode> {
        self.short_name_mode
    }

    /// The configured credential helpers; `["containers-auth.json"]` when none are set.
    pub fn credential_helpers(&self) -> Vec<&str> {
        if self.credential_helpers.is_empty() {
            vec!["containers-auth.json"]
        } else {
            self.credential_helpers.iter().map(String::as_str).collect()
        }
    }

    /// The `[aliases]` table: short name → normalized target, or `None` for an alias set
    /// to `""` (which resets an alias and resolves to nothing).
    pub fn aliases(&self) -> &BTreeMap<String, Option<Reference>> {
        &self.aliases
    }

    /// The registry with the longest prefix matching `reference`, which must start with a
    /// host (a domain, a name such as `example.com/ns/repo`, or a whole reference string)
    /// — sysregistriesv2 `FindRegistry`. Ties go to the first prefix in sorted order.
    pub fn find_registry(&self, reference: &str) -> Option<&Registry> {
        let mut best: Option<&Registry> = None;
        for r in &self.registries {
            if ref_matching_prefix(reference, &r.prefix).is_some()
                && best.is_none_or(|b| r.prefix.len() > b.prefix.len())
            {
                best = Some(r);
            }
        }
        best
    }

    /// Where to pull a fully-qualified `reference` from, in order (what containers/image's
    /// docker transport does): the matching registry's allowed mirrors and then its
    /// primary location, rewritten from prefix to location; or, when no registry matches,
    /// the reference itself at its own domain.
    ///
    /// Fails with `registry-blocked` when the matching registry is blocked.
    pub fn pull_sources(&self, reference: &Reference) -> Result<Vec<PullSource>, ReferenceError> {
        match self.find_registry(reference.name()) {
            None => Ok(vec![PullSource {
                endpoint: Endpoint {
                    location: reference.domain().unwrap_or_default().to_owned(),
                    insecure: false,
                    pull_from_mirror: PullFromMirror::All,
                },
                reference: reference.clone(),
            }]),
            Some(r) if r.blocked => Err(ReferenceError::RegistryBlocked {
                prefix: excerpt(&r.prefix),
            }),
            Some(r) => r.pull_sources(reference),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn prefix_matching_table() {
        // From sysregistriesv2 TestRefMatchingPrefix / TestRefMatchingSubdomainPrefix.
        let a64 = "a".repeat(64);
        let cases: Vec<(String, &str, Option<usize>)> = vec![
            ("docker.io".into(), "docker.io", Some(9)),
            ("docker.io".into(), "example.com", None),
            ("example.com:5000".into(), "example.com:5000", Some(16)),
            ("example.com:50000".into(), "example.com:5000", None),
            ("example.com:5000".into(), "example.com", Some(11)),
            ("example.com/foo".into(), "example.com", Some(11)),
            ("docker.io/libraryy".into(), "docker.io/library", None),
            (
                format!("example.com/foo@sha256:{a64}"),
                "example.com",
                Some(11),
            ),
            ("example.com/foo".into(), "*", None),
            ("docker.io".into(), "*.io", Some(9)),
            ("docker.io/foo".into(), "*.com", None),
            ("example.com/foo".into(), "*.example.com", None),
            ("example.com/foo:bar".into(), "*.com", Some(11)),
            ("yet.another.example.com/foo".into(), "**.example.com", None),
            (
                "another.example.com/namespace.com/foo/bar/bbq:baz".into(),
                "*.example.com",
                Some(19),
            ),
            (
                "example.net/namespace-ends-in.com/foo/bar/bbq:baz".into(),
                "*.com",
                None,
            ),
        ];
        for (reference, prefix, want) in cases {
            assert_eq!(
                ref_matching_prefix(&reference, prefix),
                want,
                "{reference} vs {prefix}"
            );
        }
    }

    #[test]
    fn conf_errors() {
        let cases: &[(&str, &str)] = &[
            ("[[registry]\n", "invalid-registries-conf"),
            ("[[registry]]\nlocation = 5\n", "invalid-registries-conf"),
            ("[[registry]]\nlocation = \"https://x.com\"\n", "invalid-registry-location"),
            ("[[registry]]\ninsecure = true\n", "invalid-registry-location"),
            (
                "[[registry]]\nlocation = \"a.com\"\n[[registry]]\nlocation = \"a.com\"\nprefix = \"b.com\"\nblocked = true\n",
                "conflicting-registry-settings",
            ),
            ("unqualified-search-registries = [\"a.com/ns\"]\n", "invalid-search-registry"),
            ("short-name-mode = \"prompt\"\n", "invalid-short-name-mode"),
            (
                "[[registry]]\nlocation = \"a.com\"\npull-from-mirror = \"all\"\n",
                "invalid-pull-from-mirror",
            ),
            ("[[registry]]\nprefix = \"*.a.com:5000\"\n", "invalid-wildcard-prefix"),
            ("[aliases]\n\"a.com/x\" = \"a.com/x\"\n", "invalid-alias"),
            (
                "unqualified-search-registries = []\n[registries.search]\nregistries = [\"a.com\"]\n",
                "mixed-registries-conf-versions",
            ),
        ];
        for (text, code) in cases {
            let got = RegistriesConf::parse(text)
                .map(|_| ())
                .map_err(|e| e.code());
            assert_eq!(got, Err(*code), "{text}");
        }
    }

    #[test]
    fn v1_conversion() {
        let conf = RegistriesConf::parse(
            "[registries.search]\nregistries = [\"registry-a.com////\", \"registry-c.com\"]\n[registries.block]\nregistries = [\"registry-b.com\"]\n[registries.insecure]\nregistries = [\"registry-d.com\", \"registry-b.com\"]\n",
        )
        .expect("valid v1");
        assert_eq!(
            conf.unqualified_search_registries(),
            ["registry-a.com", "registry-c.com"]
        );
        let b = conf
            .find_registry("registry-b.com/bar/foo:latest")
            .expect("found");
        assert!(b.blocked() && b.insecure());
        assert_eq!(conf.registries().len(), 2);
    }
}
