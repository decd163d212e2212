//! `hoist serve --cri unix:///run/hoist/image.sock`: the CRI image service (see
//! `crate::cri`).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use hoist_core::platform::Platform;

use super::pull::host_platform;
use super::settings::Settings;
use super::CliError;
use crate::cri::{parse_endpoint, serve, PullSettings, ServeOptions};
use crate::store::FsStore;
use crate::transport::{Transport, TransportOptions};

/// `hoist serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve the CRI `runtime.v1.ImageService` on this unix socket
    /// (`unix:///run/hoist/image.sock`; kubelet's `--image-service-endpoint`).
    #[arg(long)]
    pub cri: String,
    /// The platform to pull from multi-platform images: `os/arch[/variant]`.
    #[arg(long)]
    pub platform: Option<String>,
    /// Talk plain HTTP to every registry (also set per registry by `insecure = true`).
    #[arg(long)]
    pub plain_http: bool,
    /// Extra CA certificate files (PEM) to trust.
    #[arg(long = "ca-file")]
    pub ca_files: Vec<PathBuf>,
    /// Blob downloads in flight at once, per pull.
    #[arg(long, default_value_t = 4)]
    pub max_concurrent: usize,
    /// Milliseconds calls in flight may run on after SIGTERM before pulls are cancelled.
    #[arg(long, default_value_t = 5000)]
    pub grace_ms: u64,
}

/// Runs `hoist serve` until SIGTERM/SIGINT.
pub async fn run(settings: Settings, args: ServeArgs) -> Result<(), CliError> {
    let socket = parse_endpoint(&args.cri).map_err(|e| CliError::new(e.code(), e.to_string()))?;
    let platform = match &args.platform {
        Some(p) => Platform::parse(p, &host_platform()).map_err(CliError::core)?,
        None => host_platform(),
    };
    let root = settings.store.clone();
    let store = tokio::task::spawn_blocking(move || FsStore::open(root))
        .await
        .map_err(|e| CliError::new("store-io", e.to_string()))??;
    let transport = Transport::new(&TransportOptions {
        ca_files: args.ca_files,
        ..TransportOptions::default()
    })
    .map_err(|e| CliError::new("transport-setup", e.to_string()))?;
    serve(ServeOptions {
        socket,
        store,
        pulls: PullSettings {
            transport,
            registries: settings.registries,
            plain_http: args.plain_http,
            platform,
            max_concurrent: args.max_concurrent,
        },
        grace: Duration::from_millis(args.grace_ms),
    })
    .await
    .map_err(|(code, message)| CliError::new(code, message))
}
