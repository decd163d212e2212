//! Every translation between WIT types (generated in `crate::bindings`) and hoist-core
//! types. Nothing here decides anything: values are copied, validated newtypes are
//! re-validated on entry with the core's own parsers, and errors keep the core's codes.
//!
//! The core's enums are `#[non_exhaustive]`, so every match over one needs a wildcard
//! arm; those arms map to the nearest WIT case and exist only to satisfy the compiler.
//! A new core variant needs a new WIT case (and the vectors test catches the mismatch).

use std::collections::BTreeMap;
use std::fmt::Display;

use hoist_core::auth::{self, Credentials, HeaderValue, Secret};
use hoist_core::config::{self, ImageUser};
use hoist_core::descriptor::Descriptor;
use hoist_core::digest::Digest;
use hoist_core::manifest::{self, ManifestKind};
use hoist_core::platform::Platform;
use hoist_core::pull::{self as core_pull};
use hoist_core::reference::{
    self as core_ref, ArchiveSelector, ImageLocation, OciSelector, PullFromMirror, Reference,
    ResolutionOrigin, ShortNameMode,
};
use hoist_core::store::{Change, ImageRecord, PullRecord};
use hoist_core::ErrorCode;

use crate::bindings::exports::hoist::image::{
    auth as w_auth, config as w_config, manifest as w_manifest, pull as w_pull, reference as w_ref,
    store as w_store, types as w,
};

/// A core error as the WIT `error` record: the stable code and the short message.
pub fn err<E: ErrorCode + Display>(e: E) -> w::Error {
    w::Error {
        code: e.code().to_owned(),
        message: e.to_string(),
    }
}

/// Maps a core result's error to the WIT error.
pub fn res<T, E: ErrorCode + Display>(r: Result<T, E>) -> Result<T, w::Error> {
    r.map_err(err)
}

/// A digest string from the WIT side, validated.
pub fn digest_in(s: &str) -> Result<Digest, w::Error> {
    res(Digest::parse(s))
}

/// Validates every digest of a list.
pub fn digests_in(list: &[String]) -> Result<Vec<Digest>, w::Error> {
    list.iter().map(|s| digest_in(s)).collect()
}

/// Digests as WIT strings.
pub fn digests_out(list: &[Digest]) -> Vec<String> {
    list.iter().map(Digest::to_string).collect()
}

fn pairs_out(map: &BTreeMap<String, String>) -> Vec<w::Pair> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn pairs_in(list: Vec<w::Pair>) -> BTreeMap<String, String> {
    list.into_iter().collect()
}

// ---- types ----

/// Core platform → WIT.
pub fn platform_out(p: &Platform) -> w::Platform {
    w::Platform {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        os_version: p.os_version.clone(),
        os_features: p.os_features.clone(),
        variant: p.variant.clone(),
    }
}

/// WIT platform → core (fields copied as given; empty means unset in both).
pub fn platform_in(p: w::Platform) -> Platform {
    Platform {
        architecture: p.architecture,
        os: p.os,
        os_version: p.os_version,
        os_features: p.os_features,
        variant: p.variant,
    }
}

/// Core descriptor → WIT.
pub fn descriptor_out(d: &Descriptor) -> w::Descriptor {
    w::Descriptor {
        media_type: d.media_type.clone(),
        digest: d.digest.to_string(),
        size: d.size,
        urls: d.urls.clone(),
        annotations: pairs_out(&d.annotations),
        data: d.data.clone(),
        platform: d.platform.as_ref().map(platform_out),
        artifact_type: d.artifact_type.clone(),
    }
}

/// WIT descriptor → core (the digest is validated).
pub fn descriptor_in(d: w::Descriptor) -> Result<Descriptor, w::Error> {
    let mut out = Descriptor::new(d.media_type, digest_in(&d.digest)?, d.size);
    out.urls = d.urls;
    out.annotations = pairs_in(d.annotations);
    out.data = d.data;
    out.platform = d.platform.map(platform_in);
    out.artifact_type = d.artifact_type;
    Ok(out)
}

/// A core reference with its derived forms.
pub fn reference_out(r: &Reference) -> w::ImageReference {
    w::ImageReference {
        text: r.as_str().to_owned(),
        domain: r.domain().map(str::to_owned),
        path: r.path().to_owned(),
        name: r.name().to_owned(),
        tag: r.tag().map(str::to_owned),
        digest: r.digest().map(Digest::to_string),
        familiar: r.familiar().to_owned(),
        canonical: r.canonical(),
    }
}

/// Core image record → WIT.
pub fn record_out(r: &ImageRecord) -> w::ImageRecord {
    w::ImageRecord {
        id: r.id.to_string(),
        names: r.names.clone(),
        digests: r.digests.clone(),
        created: r.created,
        pulled_at: r.pulled_at,
        labels: pairs_out(&r.labels),
        size: r.size,
        manifest_digest: r.manifest_digest.to_string(),
        config_digest: r.config_digest.as_ref().map(Digest::to_string),
        os: r.os.clone(),
        architecture: r.architecture.clone(),
        pinned: r.pinned,
    }
}

fn opt_digest_in(s: Option<String>) -> Result<Option<Digest>, w::Error> {
    s.map(|s| digest_in(&s)).transpose()
}

/// WIT image record → core (digests validated).
pub fn record_in(r: w::ImageRecord) -> Result<ImageRecord, w::Error> {
    let mut out = ImageRecord::new(digest_in(&r.id)?, digest_in(&r.manifest_digest)?);
    out.names = r.names;
    out.digests = r.digests;
    out.created = r.created;
    out.pulled_at = r.pulled_at;
    out.labels = pairs_in(r.labels);
    out.size = r.size;
    out.config_digest = opt_digest_in(r.config_digest)?;
    out.os = r.os;
    out.architecture = r.architecture;
    out.pinned = r.pinned;
    Ok(out)
}

/// Core pull record → WIT.
pub fn pull_record_out(r: &PullRecord) -> w::PullRecord {
    w::PullRecord {
        reference: r.reference.clone(),
        id: r.id.to_string(),
        manifest_digest: r.manifest_digest.to_string(),
        resolved_digest: r.resolved_digest.as_ref().map(Digest::to_string),
        config_digest: r.config_digest.as_ref().map(Digest::to_string),
        created: r.created,
        labels: pairs_out(&r.labels),
        size: r.size,
        os: r.os.clone(),
        architecture: r.architecture.clone(),
    }
}

/// WIT pull record → core (digests validated).
pub fn pull_record_in(r: w::PullRecord) -> Result<PullRecord, w::Error> {
    Ok(PullRecord {
        reference: r.reference,
        id: digest_in(&r.id)?,
        manifest_digest: digest_in(&r.manifest_digest)?,
        resolved_digest: opt_digest_in(r.resolved_digest)?,
        config_digest: opt_digest_in(r.config_digest)?,
        created: r.created,
        labels: pairs_in(r.labels),
        size: r.size,
        os: r.os,
        architecture: r.architecture,
    })
}

/// Core credentials → WIT (secrets exposed: the embedding host is the trusted side).
pub fn credentials_out(c: &Credentials) -> w::Credentials {
    match c {
        Credentials::Basic { username, password } => w::Credentials::Basic(w::UserSecret {
            username: username.clone(),
            secret: password.expose().to_owned(),
        }),
        Credentials::IdentityToken { username, token } => {
            w::Credentials::IdentityToken(w::UserSecret {
                username: username.clone(),
                secret: token.expose().to_owned(),
            })
        }
        Credentials::RegistryToken(t) => w::Credentials::RegistryToken(t.expose().to_owned()),
        _ => w::Credentials::Anonymous,
    }
}

/// WIT credentials → core (secrets wrapped again).
pub fn credentials_in(c: w::Credentials) -> Credentials {
    match c {
        w::Credentials::Anonymous => Credentials::Anonymous,
        w::Credentials::Basic(u) => Credentials::Basic {
            username: u.username,
            password: Secret::new(u.secret),
        },
        w::Credentials::IdentityToken(u) => Credentials::IdentityToken {
            username: u.username,
            token: Secret::new(u.secret),
        },
        w::Credentials::RegistryToken(t) => Credentials::RegistryToken(Secret::new(t)),
    }
}

/// A header to send, with its secrecy.
pub fn header_out((name, value): &(String, HeaderValue)) -> w::Header {
    w::Header {
        name: name.clone(),
        value: value.expose().to_owned(),
        secret: value.is_secret(),
    }
}

// ---- reference ----

/// Core mode → WIT.
pub fn mode_out(m: ShortNameMode) -> w_ref::ShortNameMode {
    match m {
        ShortNameMode::Disabled => w_ref::ShortNameMode::Disabled,
        ShortNameMode::Permissive => w_ref::ShortNameMode::Permissive,
        _ => w_ref::ShortNameMode::Enforcing,
    }
}

/// WIT mode → core.
pub fn mode_in(m: w_ref::ShortNameMode) -> ShortNameMode {
    match m {
        w_ref::ShortNameMode::Disabled => ShortNameMode::Disabled,
        w_ref::ShortNameMode::Permissive => ShortNameMode::Permissive,
        w_ref::ShortNameMode::Enforcing => ShortNameMode::Enforcing,
    }
}

fn pull_from_mirror_out(p: PullFromMirror) -> w_ref::PullFromMirror {
    match p {
        PullFromMirror::DigestOnly => w_ref::PullFromMirror::DigestOnly,
        PullFromMirror::TagOnly => w_ref::PullFromMirror::TagOnly,
        _ => w_ref::PullFromMirror::All,
    }
}

/// A `[[registry]]` table.
pub fn registry_out(r: &core_ref::Registry) -> w_ref::Registry {
    w_ref::Registry {
        prefix: r.prefix().to_owned(),
        location: r.location().to_owned(),
        insecure: r.insecure(),
        blocked: r.blocked(),
        mirror_by_digest_only: r.mirror_by_digest_only(),
        mirrors: r
            .mirrors()
            .iter()
            .map(|m| w_ref::Mirror {
                location: m.location().to_owned(),
                insecure: m.insecure(),
                pull_from_mirror: pull_from_mirror_out(m.pull_from_mirror()),
            })
            .collect(),
    }
}

/// One pull source.
pub fn pull_source_out(s: &core_ref::PullSource) -> w_ref::PullSource {
    w_ref::PullSource {
        location: s.endpoint.location().to_owned(),
        insecure: s.endpoint.insecure(),
        reference: s.reference.as_str().to_owned(),
    }
}

/// Short-name candidates.
pub fn resolution_out(r: &core_ref::ShortNameResolution) -> w_ref::ShortNameResolution {
    w_ref::ShortNameResolution {
        origin: match r.origin {
            ResolutionOrigin::FullyQualified => w_ref::ResolutionOrigin::FullyQualified,
            ResolutionOrigin::Alias => w_ref::ResolutionOrigin::Alias,
            _ => w_ref::ResolutionOrigin::SearchRegistries,
        },
        mode: mode_out(r.mode),
        candidates: r.candidates.iter().map(|c| c.as_str().to_owned()).collect(),
    }
}

fn oci_selector_out(s: &OciSelector) -> w_ref::OciSelector {
    match s {
        OciSelector::Name(n) => w_ref::OciSelector::Name(n.clone()),
        OciSelector::Index(i) => w_ref::OciSelector::Index(*i),
        _ => w_ref::OciSelector::Default,
    }
}

/// A transport location.
pub fn location_out(l: &ImageLocation) -> w_ref::ImageLocation {
    let location = match l {
        ImageLocation::Docker {
            reference,
            explicit,
        } => w_ref::Location::Docker((reference.as_str().to_owned(), *explicit)),
        ImageLocation::Oci { path, selector } => {
            w_ref::Location::Oci((path.clone(), oci_selector_out(selector)))
        }
        ImageLocation::OciArchive { path, selector } => {
            w_ref::Location::OciArchive((path.clone(), oci_selector_out(selector)))
        }
        ImageLocation::DockerArchive { path, selector } => {
            let s = match selector {
                ArchiveSelector::Reference(r) => {
                    w_ref::ArchiveSelector::Reference(r.as_str().to_owned())
                }
                ArchiveSelector::Index(i) => w_ref::ArchiveSelector::Index(*i),
                _ => w_ref::ArchiveSelector::Default,
            };
            w_ref::Location::DockerArchive((path.clone(), s))
        }
        ImageLocation::Dir { path } => w_ref::Location::Dir(path.clone()),
        _ => w_ref::Location::Dir(String::new()),
    };
    w_ref::ImageLocation {
        transport: l.transport().to_owned(),
        text: l.to_string(),
        location,
    }
}

// ---- auth ----

/// WIT CRI AuthConfig → core.
pub fn auth_config_in(c: w_auth::AuthConfig) -> auth::AuthConfig {
    auth::AuthConfig {
        username: c.username,
        password: Secret::new(c.password),
        auth: Secret::new(c.auth),
        server_address: c.server_address,
        identity_token: Secret::new(c.identity_token),
        registry_token: Secret::new(c.registry_token),
    }
}

/// WIT auth-file environment → core.
pub fn auth_file_env_in(e: w_auth::AuthFileEnv) -> auth::AuthFileEnv {
    auth::AuthFileEnv {
        registry_auth_file: e.registry_auth_file,
        xdg_runtime_dir: e.xdg_runtime_dir,
        xdg_runtime_dir_missing: e.xdg_runtime_dir_missing,
        xdg_config_home: e.xdg_config_home,
        home: e.home,
        docker_config: e.docker_config,
        uid: e.uid,
    }
}

/// One auth file to read.
pub fn auth_file_out(p: auth::AuthFilePath) -> w_auth::AuthFile {
    w_auth::AuthFile {
        path: p.path,
        legacy: p.legacy,
    }
}

/// An auth-file lookup.
pub fn lookup_out(l: &auth::Lookup) -> w_auth::Lookup {
    match l {
        auth::Lookup::Helper(h) => w_auth::Lookup::Helper(h.clone()),
        auth::Lookup::Credentials(c) => w_auth::Lookup::Credentials(credentials_out(c)),
        _ => w_auth::Lookup::None,
    }
}

/// A parsed challenge.
pub fn challenge_out(c: &auth::Challenge) -> w_auth::Challenge {
    w_auth::Challenge {
        scheme: c.scheme().as_str().to_owned(),
        params: c.params().to_vec(),
        token68: c.token68().map(str::to_owned),
    }
}

/// WIT flow → core.
pub fn flow_in(f: w_auth::TokenFlow) -> auth::TokenFlow {
    match f {
        w_auth::TokenFlow::Get => auth::TokenFlow::Get,
        w_auth::TokenFlow::OauthPost => auth::TokenFlow::OAuthPost,
    }
}

/// Core flow → WIT.
pub fn flow_out(f: auth::TokenFlow) -> w_auth::TokenFlow {
    match f {
        auth::TokenFlow::Get => w_auth::TokenFlow::Get,
        _ => w_auth::TokenFlow::OauthPost,
    }
}

/// A token request to send.
pub fn token_request_out(r: &auth::TokenRequest) -> w_auth::TokenHttpRequest {
    w_auth::TokenHttpRequest {
        method: r.method.as_str().to_owned(),
        url: r.url.clone(),
        headers: r.headers.iter().map(header_out).collect(),
        body: r.body.as_ref().map(|b| b.expose().to_owned()),
    }
}

/// A parsed token response.
pub fn token_out(t: &auth::Token) -> w_auth::Token {
    w_auth::Token {
        token: t.token().expose().to_owned(),
        expires_in: t.expires_in(),
        issued_at: t.issued_at().map(str::to_owned),
        refresh_token: t.refresh_token().map(|s| s.expose().to_owned()),
    }
}

/// A validated realm.
pub fn realm_out(r: &auth::Realm) -> w_auth::Realm {
    w_auth::Realm {
        host: r.host().to_owned(),
        port: r.port(),
        https: r.is_https(),
    }
}

// ---- config ----

/// A parsed timestamp.
pub fn timestamp_out(t: &config::Timestamp) -> w_config::Timestamp {
    w_config::Timestamp {
        text: t.as_str().to_owned(),
        unix_seconds: t.unix_seconds(),
        nanos: t.nanos(),
        offset_seconds: t.offset_seconds(),
    }
}

/// A config's user.
pub fn user_out(u: &ImageUser) -> w_config::ImageUser {
    match u {
        ImageUser::Uid(n) => w_config::ImageUser::Uid(*n),
        ImageUser::Name(s) => w_config::ImageUser::Name(s.clone()),
    }
}

/// A parsed image config.
pub fn image_config_out(c: &config::ImageConfig) -> w_config::ImageConfig {
    w_config::ImageConfig {
        id: c.id().to_string(),
        architecture: c.architecture().to_owned(),
        os: c.os().to_owned(),
        variant: c.variant().map(str::to_owned),
        os_version: c.os_version().map(str::to_owned),
        os_features: c.os_features().to_vec(),
        author: c.author().map(str::to_owned),
        created: c.created().map(timestamp_out),
        user: c.user().as_ref().map(user_out),
        labels: pairs_out(c.labels()),
        config: c.config().map(|e| w_config::ExecConfig {
            user: e.user.clone(),
            env: e.env.clone(),
            entrypoint: e.entrypoint.clone(),
            cmd: e.cmd.clone(),
            working_dir: e.working_dir.clone(),
            exposed_ports: e
                .exposed_ports
                .as_ref()
                .map(|s| s.iter().cloned().collect()),
            volumes: e.volumes.as_ref().map(|s| s.iter().cloned().collect()),
            stop_signal: e.stop_signal.clone(),
            extra_keys: e.extra.keys().cloned().collect(),
        }),
        diff_ids: digests_out(c.diff_ids()),
        history: c
            .history()
            .iter()
            .map(|h| w_config::HistoryEntry {
                created: h.created.as_ref().map(|t| t.as_str().to_owned()),
                created_by: h.created_by.clone(),
                author: h.author.clone(),
                comment: h.comment.clone(),
                empty_layer: h.empty_layer,
            })
            .collect(),
        extra_keys: c.extra().keys().cloned().collect(),
    }
}

// ---- manifest ----

/// WIT limits → core (saturating on 32-bit targets).
pub fn limits_in(l: w_manifest::ManifestLimits) -> manifest::Limits {
    manifest::Limits {
        max_bytes: usize::try_from(l.max_bytes).unwrap_or(usize::MAX),
        max_layers: usize::try_from(l.max_layers).unwrap_or(usize::MAX),
        max_index_entries: usize::try_from(l.max_index_entries).unwrap_or(usize::MAX),
    }
}

/// Core limits → WIT (saturating).
pub fn limits_out(l: &manifest::Limits) -> w_manifest::ManifestLimits {
    w_manifest::ManifestLimits {
        max_bytes: u64::try_from(l.max_bytes).unwrap_or(u64::MAX),
        max_layers: u32::try_from(l.max_layers).unwrap_or(u32::MAX),
        max_index_entries: u32::try_from(l.max_index_entries).unwrap_or(u32::MAX),
    }
}

fn kind_out(k: ManifestKind) -> w_manifest::ManifestKind {
    match k {
        ManifestKind::OciImage => w_manifest::ManifestKind::OciImage,
        ManifestKind::OciIndex => w_manifest::ManifestKind::OciIndex,
        ManifestKind::DockerV2 => w_manifest::ManifestKind::DockerV2,
        ManifestKind::DockerList => w_manifest::ManifestKind::DockerList,
        _ => w_manifest::ManifestKind::DockerSchema1,
    }
}

/// A parsed manifest's summary.
pub fn manifest_out(m: &manifest::Manifest) -> w_manifest::ManifestInfo {
    w_manifest::ManifestInfo {
        kind: kind_out(m.kind()),
        media_type: m.media_type().as_str().to_owned(),
        digest: m.digest().to_string(),
        config: m.config().map(descriptor_out),
        layers: m
            .layers()
            .iter()
            .map(|l| w_manifest::Layer {
                digest: l.digest.to_string(),
                media_type: l.media_type.clone(),
                size: l.size,
                empty: l.empty,
            })
            .collect(),
        children: m.children().iter().map(descriptor_out).collect(),
    }
}

// ---- store ----

/// One index change.
pub fn change_out(c: &Change) -> w_store::Change {
    let named = |id: &Digest, name: &str| w_store::NameChange {
        id: id.to_string(),
        name: name.to_owned(),
    };
    let digested = |id: &Digest, digest: &str| w_store::DigestChange {
        id: id.to_string(),
        digest: digest.to_owned(),
    };
    match c {
        Change::ImageAdded { id } => w_store::Change::ImageAdded(id.to_string()),
        Change::ImageUpdated { id } => w_store::Change::ImageUpdated(id.to_string()),
        Change::NameAdded { id, name } => w_store::Change::NameAdded(named(id, name)),
        Change::NameRemoved { id, name } => w_store::Change::NameRemoved(named(id, name)),
        Change::DigestAdded { id, digest } => w_store::Change::DigestAdded(digested(id, digest)),
        Change::DigestRemoved { id, digest } => {
            w_store::Change::DigestRemoved(digested(id, digest))
        }
        Change::ImageRemoved { id } => w_store::Change::ImageRemoved(id.to_string()),
        _ => w_store::Change::ImageUpdated(String::new()),
    }
}

/// Changes in order.
pub fn changes_out(list: &[Change]) -> Vec<w_store::Change> {
    list.iter().map(change_out).collect()
}

// ---- pull ----

fn endpoint_out(e: &core_pull::Endpoint) -> w_pull::Endpoint {
    w_pull::Endpoint {
        scheme: e.scheme.as_str().to_owned(),
        tls_verify: e.tls_verify,
        authority: e.authority.clone(),
        repository: e.repository.clone(),
        credential_host: e.credential_host.clone(),
    }
}

/// Endpoints in order.
pub fn endpoints_out(list: &[core_pull::Endpoint]) -> Vec<w_pull::Endpoint> {
    list.iter().map(endpoint_out).collect()
}

fn endpoint_in(e: w_pull::Endpoint) -> Result<core_pull::Endpoint, w::Error> {
    let scheme = match e.scheme.as_str() {
        "http" => hoist_core::url::Scheme::Http,
        "https" => hoist_core::url::Scheme::Https,
        _ => {
            return Err(w::Error {
                code: "invalid-pull-request".to_owned(),
                message: "endpoint scheme must be http or https".to_owned(),
            })
        }
    };
    Ok(core_pull::Endpoint {
        scheme,
        tls_verify: e.tls_verify,
        authority: e.authority,
        repository: e.repository,
        credential_host: e.credential_host,
    })
}

/// Core pull config → WIT.
pub fn pull_config_out(c: &core_pull::PullConfig) -> w_pull::PullConfig {
    let l = &c.limits;
    w_pull::PullConfig {
        max_concurrent_blobs: u32::try_from(c.max_concurrent_blobs).unwrap_or(u32::MAX),
        retry: w_pull::RetryPolicy {
            max_attempts: c.retry.max_attempts,
            base_delay_ms: c.retry.base_delay_ms,
            max_delay_ms: c.retry.max_delay_ms,
            max_retry_after_ms: c.retry.max_retry_after_ms,
        },
        limits: w_pull::PullLimits {
            max_manifest_bytes: l.max_manifest_bytes,
            max_config_bytes: l.max_config_bytes,
            max_token_bytes: l.max_token_bytes,
            max_error_body_bytes: l.max_error_body_bytes,
            max_index_depth: l.max_index_depth,
            max_redirects: l.max_redirects,
            max_auth_attempts: l.max_auth_attempts,
        },
        endpoints: endpoints_out(&c.endpoints),
        allow_foreign_layers: c.allow_foreign_layers,
        user_agent: c.user_agent.clone(),
    }
}

/// WIT pull config → core.
pub fn pull_config_in(c: w_pull::PullConfig) -> Result<core_pull::PullConfig, w::Error> {
    let l = c.limits;
    Ok(core_pull::PullConfig {
        max_concurrent_blobs: usize::try_from(c.max_concurrent_blobs).unwrap_or(usize::MAX),
        retry: core_pull::RetryPolicy {
            max_attempts: c.retry.max_attempts,
            base_delay_ms: c.retry.base_delay_ms,
            max_delay_ms: c.retry.max_delay_ms,
            max_retry_after_ms: c.retry.max_retry_after_ms,
        },
        limits: core_pull::PullLimits {
            max_manifest_bytes: l.max_manifest_bytes,
            max_config_bytes: l.max_config_bytes,
            max_token_bytes: l.max_token_bytes,
            max_error_body_bytes: l.max_error_body_bytes,
            max_index_depth: l.max_index_depth,
            max_redirects: l.max_redirects,
            max_auth_attempts: l.max_auth_attempts,
        },
        endpoints: c
            .endpoints
            .into_iter()
            .map(endpoint_in)
            .collect::<Result<_, _>>()?,
        allow_foreign_layers: c.allow_foreign_layers,
        user_agent: c.user_agent,
    })
}

/// WIT pull request → core (the reference is normalized, as every host does).
pub fn pull_request_in(r: w_pull::PullRequest) -> Result<core_pull::PullRequest, w::Error> {
    Ok(core_pull::PullRequest {
        reference: res(core_ref::parse_normalized(&r.reference))?,
        platform: platform_in(r.platform),
    })
}

fn event_out(e: &core_pull::PullEvent) -> w_pull::PullEvent {
    use core_pull::PullEvent as E;
    let blob = |digest: &Digest, size: u64| w_pull::Blob {
        digest: digest.to_string(),
        size,
    };
    match e {
        E::Resolved {
            digest,
            media_type,
            endpoint,
        } => w_pull::PullEvent::Resolved(w_pull::Resolved {
            digest: digest.to_string(),
            media_type: media_type.clone(),
            endpoint: endpoint.clone(),
        }),
        E::PlatformSelected { platform, digest } => {
            w_pull::PullEvent::PlatformSelected(w_pull::PlatformSelected {
                platform: platform_out(platform),
                digest: digest.to_string(),
            })
        }
        E::BlobStarted { digest, size } => w_pull::PullEvent::BlobStarted(blob(digest, *size)),
        E::BlobProgress {
            digest,
            bytes,
            size,
        } => w_pull::PullEvent::BlobProgress(w_pull::BlobProgress {
            digest: digest.to_string(),
            bytes: *bytes,
            size: *size,
        }),
        E::BlobSkipped { digest, size } => w_pull::PullEvent::BlobSkipped(blob(digest, *size)),
        E::BlobDone { digest, size } => w_pull::PullEvent::BlobDone(blob(digest, *size)),
        E::Retrying { what, attempt, at } => w_pull::PullEvent::Retrying(w_pull::Retrying {
            what: what.clone(),
            attempt: *attempt,
            at: *at,
        }),
        E::RateLimit { host, limit } => w_pull::PullEvent::RateLimit(w_pull::RateLimit {
            host: host.clone(),
            limit: limit.limit,
            remaining: limit.remaining,
            window_secs: limit.window_secs,
        }),
        E::ImageRecorded { id } => w_pull::PullEvent::ImageRecorded(id.to_string()),
        _ => w_pull::PullEvent::Retrying(w_pull::Retrying {
            what: String::new(),
            attempt: 0,
            at: 0,
        }),
    }
}

fn store_op_out(op: &core_pull::StoreOp) -> w_pull::StoreOp {
    match op {
        core_pull::StoreOp::Stat { digest } => w_pull::StoreOp::Stat(digest.to_string()),
        core_pull::StoreOp::PutBlob { digest, bytes } => {
            w_pull::StoreOp::PutBlob(w_pull::PutBlob {
                digest: digest.to_string(),
                bytes: bytes.clone(),
            })
        }
        core_pull::StoreOp::Commit {
            blobs,
            manifest,
            record,
        } => w_pull::StoreOp::Commit(w_pull::Commit {
            blobs: digests_out(blobs),
            manifest: descriptor_out(manifest),
            record: pull_record_out(record),
        }),
    }
}

/// What the machine wants next.
pub fn output_out(o: core_pull::Output) -> w_pull::Output {
    use core_pull::Output as O;
    match o {
        O::Http(r) => w_pull::Output::Http(w_pull::HttpRequest {
            id: r.id.0,
            method: match r.method {
                core_pull::Method::Get => w_pull::Method::Get,
                core_pull::Method::Head => w_pull::Method::Head,
                core_pull::Method::Post => w_pull::Method::Post,
            },
            url: r.url.to_string(),
            headers: r.headers.iter().map(header_out).collect(),
            body: r.body.as_ref().map(|b| b.expose().to_owned()),
            is_blob: r.is_blob,
        }),
        O::Body { id, action } => w_pull::Output::Body(w_pull::BodyRequest {
            id: id.0,
            action: match action {
                core_pull::BodyAction::Buffer { limit } => w_pull::BodyAction::Buffer(limit),
                core_pull::BodyAction::StreamToStore {
                    digest,
                    size,
                    offset,
                } => w_pull::BodyAction::StreamToStore(w_pull::StreamToStore {
                    digest: digest.to_string(),
                    size,
                    offset,
                }),
                core_pull::BodyAction::Discard => w_pull::BodyAction::Discard,
            },
        }),
        O::Store { id, op } => w_pull::Output::Store(w_pull::StoreRequest {
            id: id.0,
            op: store_op_out(&op),
        }),
        O::NeedCredentials { id, host } => {
            w_pull::Output::NeedCredentials(w_pull::CredentialRequest { id: id.0, host })
        }
        O::Event(e) => w_pull::Output::Event(event_out(&e)),
        O::Wait { until } => w_pull::Output::Wait(until),
        O::Done(outcome) => w_pull::Output::Done(w_pull::PullOutcome {
            record: record_out(&outcome.record),
            resolved_digest: outcome.resolved_digest.to_string(),
            manifest_digest: outcome.manifest_digest.to_string(),
            config_digest: outcome.config_digest.to_string(),
            chain_id: outcome.chain_id.as_ref().map(Digest::to_string),
            bytes_downloaded: outcome.bytes_downloaded,
        }),
    }
}

fn failure_in(f: w_pull::TransportFailure) -> Result<core_pull::TransportFailure, w::Error> {
    use core_pull::TransportFailure as T;
    Ok(match f {
        w_pull::TransportFailure::Connect => T::Connect,
        w_pull::TransportFailure::Tls => T::Tls,
        w_pull::TransportFailure::Reset => T::Reset,
        w_pull::TransportFailure::Timeout => T::Timeout,
        w_pull::TransportFailure::DigestMismatch(d) => T::DigestMismatch {
            actual: digest_in(&d)?,
        },
        w_pull::TransportFailure::SizeMismatch(n) => T::SizeMismatch { actual: n },
        w_pull::TransportFailure::Store(message) => T::Store { message },
        w_pull::TransportFailure::Cancelled => T::Cancelled,
    })
}

/// What the host tells the machine.
pub fn input_in(i: w_pull::Input) -> Result<core_pull::Input, w::Error> {
    use core_pull::{CredentialId, Input as I, RequestId, StoreOpId};
    Ok(match i {
        w_pull::Input::HttpResponse(h) => I::HttpResponse {
            id: RequestId(h.id),
            head: core_pull::ResponseHead {
                status: h.status,
                headers: h.headers,
            },
            now: h.now,
        },
        w_pull::Input::HttpBody(b) => I::HttpBody {
            id: RequestId(b.id),
            bytes: b.bytes,
            now: b.now,
        },
        w_pull::Input::BlobStaged(s) => I::BlobStaged {
            id: RequestId(s.id),
            now: s.now,
        },
        w_pull::Input::Progress(p) => I::Progress {
            id: RequestId(p.id),
            bytes: p.bytes,
        },
        w_pull::Input::HttpFailed(f) => I::HttpFailed {
            id: RequestId(f.id),
            failure: core_pull::Failure {
                kind: failure_in(f.failure)?,
                staged_bytes: f.staged_bytes,
            },
            now: f.now,
        },
        w_pull::Input::Store(s) => I::Store {
            id: StoreOpId(s.id),
            result: match s.result {
                w_pull::StoreResult::Stat(size) => core_pull::StoreResult::Stat(size),
                w_pull::StoreResult::Done => core_pull::StoreResult::Done,
                w_pull::StoreResult::Committed(r) => {
                    core_pull::StoreResult::Committed(record_in(r)?)
                }
                w_pull::StoreResult::Failed(m) => core_pull::StoreResult::Failed(m),
            },
        },
        w_pull::Input::Credentials(c) => I::Credentials {
            id: CredentialId(c.id),
            credentials: credentials_in(c.credentials),
        },
        w_pull::Input::Timeout(now) => I::Timeout(now),
    })
}

// ---- filter ----

/// One filter clause.
pub fn clause_out(
    c: &hoist_core::filter::Clause,
) -> crate::bindings::exports::hoist::image::filter::Clause {
    use crate::bindings::exports::hoist::image::filter as wf;
    use hoist_core::filter::FilterKey as K;
    wf::Clause {
        key: match c.key {
            K::Dangling => wf::FilterKey::Dangling,
            K::Label => wf::FilterKey::Label,
            K::Before => wf::FilterKey::Before,
            K::Since => wf::FilterKey::Since,
            K::Until => wf::FilterKey::Until,
            K::Reference => wf::FilterKey::Reference,
            K::Id => wf::FilterKey::Id,
            _ => wf::FilterKey::Digest,
        },
        negate: c.negate,
        value: c.value.clone(),
    }
}
