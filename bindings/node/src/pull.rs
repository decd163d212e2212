//! `pull` interface: the sans-IO pull machine. A host loops on `pollOutput`, performs
//! each output's I/O, and answers with `handleInput` (see `hoist_core::pull::io` for the
//! contract, which holds here word for word).

use hoist_core::platform::{normalize_arch, Platform};
use hoist_core::pull::{self, Endpoint, PullConfig, PullRequest};
use hoist_core::reference;
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{self, core, to_u64, PullInput, PullOutput, Result};
use crate::reference::RegistriesConf;

/// Options of a [`Puller`].
#[napi(object)]
pub struct PullerOptions {
    /// The platform to select from an index: a specifier (`linux/arm64`) or an object.
    /// Default: this machine's (`linux` and the binary's architecture).
    pub platform: Option<Value>,
    /// Talk plain HTTP to the registry.
    pub plain_http: Option<bool>,
    /// Blob downloads in flight at once (default 4).
    pub max_concurrent_blobs: Option<u32>,
    /// Fetch layers that name foreign `urls` (default true).
    pub allow_foreign_layers: Option<bool>,
    /// The `User-Agent` header value.
    pub user_agent: Option<String>,
}

fn host_platform() -> Platform {
    let (arch, variant) = normalize_arch(std::env::consts::ARCH, "");
    Platform::new("linux", &arch, &variant)
}

/// The pull state machine: one pull of one reference.
#[napi]
pub struct Puller {
    inner: pull::Puller,
}

#[napi]
impl Puller {
    /// Starts pulling `reference` (normalized; `latest` when it has neither tag nor
    /// digest) at host-monotonic time `now` (ms). Mirrors come from `registriesConf`.
    #[napi(constructor)]
    pub fn new(
        reference: String,
        options: Option<PullerOptions>,
        now: f64,
        registries_conf: Option<&RegistriesConf>,
    ) -> Result<Self> {
        let options = options.unwrap_or(PullerOptions {
            platform: None,
            plain_http: None,
            max_concurrent_blobs: None,
            allow_foreign_layers: None,
            user_agent: None,
        });
        let reference = core(reference::parse_normalized(&reference))?;
        let host = host_platform();
        let platform = match &options.platform {
            Some(p) => convert::platform_in(p, &host)?,
            None => host,
        };
        let endpoints = core(Endpoint::for_reference(
            &reference,
            registries_conf.map(RegistriesConf::core),
            options.plain_http.unwrap_or(false),
        ))?;
        let defaults = PullConfig::default();
        let config = PullConfig {
            endpoints,
            max_concurrent_blobs: options
                .max_concurrent_blobs
                .map_or(defaults.max_concurrent_blobs, |n| n as usize),
            allow_foreign_layers: options
                .allow_foreign_layers
                .unwrap_or(defaults.allow_foreign_layers),
            user_agent: options.user_agent.unwrap_or(defaults.user_agent.clone()),
            ..defaults
        };
        let request = PullRequest {
            reference,
            platform,
        };
        core(pull::Puller::new(request, config, to_u64("now", now)?)).map(|inner| Puller { inner })
    }

    /// The next thing to do (see `PullOutput`). Throws the pull's error, the same one on
    /// every later call.
    #[napi]
    pub fn poll_output(&mut self) -> Result<PullOutput> {
        convert::pull_output(core(self.inner.poll_output())?)
    }

    /// Feeds one answer (see `PullInput`).
    #[napi]
    pub fn handle_input(&mut self, input: PullInput) -> Result<()> {
        let input = convert::pull_input(input)?;
        core(self.inner.handle_input(input))
    }
}
