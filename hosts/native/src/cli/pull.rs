//! `hoist pull`: resolve the name, drive the pull machine, show progress, print the ID.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use hoist_core::platform::{normalize_arch, Platform};
use hoist_core::pull::{Endpoint, PullConfig, PullEvent, PullRequest, Puller};
use hoist_core::reference::Reference;
use hoist_core::ErrorCode;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::settings::Settings;
use super::{CliError, Format};
use crate::credentials::{parse_creds, CredentialStore};
use crate::drive::{drive, DriveContext, DriveError};
use crate::glue::FsStaging;
use crate::store::FsStore;
use crate::transport::{Transport, TransportOptions};

/// `hoist pull REF`
#[derive(Debug, Args)]
pub struct PullArgs {
    /// The image reference (short names resolve through registries.conf).
    pub reference: String,
    /// Print only the image ID.
    #[arg(short, long)]
    pub quiet: bool,
    /// The platform to select from a multi-platform image: `os/arch[/variant]`.
    #[arg(long)]
    pub platform: Option<String>,
    /// Talk plain HTTP to the registry (also set per registry by `insecure = true`).
    #[arg(long)]
    pub plain_http: bool,
    /// Credentials `USER:PASSWORD` (otherwise auth files and helpers are used).
    #[arg(long)]
    pub creds: Option<String>,
    /// Extra CA certificate files (PEM) to trust.
    #[arg(long = "ca-file")]
    pub ca_files: Vec<PathBuf>,
    /// Blob downloads in flight at once.
    #[arg(long, default_value_t = 4)]
    pub max_concurrent: usize,
    /// Longest silence from a registry (waiting for the response head or body bytes) before the
    /// request counts as failed: `30s`, `500ms`, or seconds.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Longest a manifest, config, token or error document may take to arrive in full
    /// (a slow-loris server can trickle bytes under the idle timeout).
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    pub document_timeout: Duration,
}

/// `500ms`, `30s`, `2m`, or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let (n, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = n.parse().map_err(|_| format!("not a duration: {s:?}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!("not a duration: {s:?} (use ms, s or m)")),
    }
    .and_then(|d| {
        if d.is_zero() {
            Err("a timeout must be more than zero".to_owned())
        } else {
            Ok(d)
        }
    })
}

/// The host's own platform: what `--platform` defaults to and fills in.
pub fn host_platform() -> Platform {
    let (arch, variant) = normalize_arch(std::env::consts::ARCH, "");
    Platform::new("linux", &arch, &variant)
}

/// Candidates to try for the user's input, in order.
fn candidates(settings: &Settings, input: &str) -> Result<Vec<Reference>, CliError> {
    crate::glue::pull_candidates(settings.registries.as_ref(), input).map_err(CliError::core)
}

/// Runs `hoist pull`.
pub async fn run(settings: &Settings, args: PullArgs) -> Result<(), CliError> {
    let epoch = Instant::now();
    let platform = match &args.platform {
        Some(p) => Platform::parse(p, &host_platform()).map_err(CliError::core)?,
        None => host_platform(),
    };
    let store = {
        let root = settings.store.clone();
        tokio::task::spawn_blocking(move || FsStore::open(root))
            .await
            .map_err(|e| CliError::new("store-io", e.to_string()))??
    };
    let transport = Transport::new(&TransportOptions {
        ca_files: args.ca_files.clone(),
        idle_timeout: args.idle_timeout,
        document_timeout: args.document_timeout,
        ..TransportOptions::default()
    })
    .map_err(|e| CliError::new("transport-setup", e.to_string()))?;
    let mut creds = CredentialStore::from_process_env();
    if let Some(c) = &args.creds {
        creds =
            creds.with_creds(parse_creds(c).map_err(|e| CliError::new(e.code(), e.to_string()))?);
    }
    let creds = Arc::new(creds);
    let candidates = candidates(settings, &args.reference)?;
    let mut last: Option<CliError> = None;
    for (i, reference) in candidates.iter().enumerate() {
        let more = i + 1 < candidates.len();
        let endpoints =
            Endpoint::for_reference(reference, settings.registries.as_ref(), args.plain_http)
                .map_err(CliError::core)?;
        let config = PullConfig {
            endpoints,
            max_concurrent_blobs: args.max_concurrent,
            ..PullConfig::default()
        };
        let request = PullRequest {
            reference: reference.clone(),
            platform: platform.clone(),
        };
        let puller = Puller::new(request, config, epoch.elapsed().as_millis() as u64)
            .map_err(CliError::core)?;
        let now_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let staging = FsStaging::begin(&store, now_unix)?;
        let ctx = DriveContext {
            epoch,
            transport: transport.clone(),
            staging,
            credentials: creds.clone(),
            repository: reference.name().to_owned(),
        };
        let (cancel_tx, cancel_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = cancel_tx.send(());
            }
        });
        let mut progress = Progress::new(!args.quiet && settings.format == Format::Human);
        if !args.quiet && settings.format == Format::Human {
            progress.line(format!("Trying to pull {reference}..."));
        }
        match drive(puller, ctx, |e| progress.event(e), cancel_rx).await {
            Ok(outcome) => {
                progress.finish();
                match settings.format {
                    Format::Json => println!(
                        "{}",
                        serde_json::to_string(&outcome)
                            .map_err(|e| CliError::new("json", e.to_string()))?
                    ),
                    Format::Human => println!("{}", outcome.record.id),
                }
                return Ok(());
            }
            Err(e) => {
                progress.finish();
                // Like podman: with several candidates, a missing image or refused
                // credentials moves on to the next one.
                let retryable = matches!(&e, DriveError::Pull(p) if p.next_candidate_may_succeed());
                if more && retryable {
                    last = Some(e.into());
                    continue;
                }
                return Err(e.into());
            }
        }
    }
    Err(last.unwrap_or_else(|| CliError::new("no-candidates", "no registry to pull from")))
}

/// Progress bars (indicatif), one per blob; silent when disabled or not a terminal.
struct Progress {
    enabled: bool,
    multi: MultiProgress,
    bars: HashMap<String, ProgressBar>,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        Progress {
            enabled,
            multi: MultiProgress::new(),
            bars: HashMap::new(),
        }
    }

    fn line(&self, s: String) {
        if self.enabled {
            let _ = self.multi.println(s);
        }
    }

    fn short(d: &impl std::fmt::Display) -> String {
        let s = d.to_string();
        s.split(':')
            .nth(1)
            .map(|h| h.chars().take(12).collect())
            .unwrap_or(s)
    }

    fn event(&mut self, e: &PullEvent) {
        if !self.enabled {
            return;
        }
        match e {
            PullEvent::Resolved { digest, .. } => self.line(format!("Resolved to {digest}")),
            PullEvent::PlatformSelected { platform, .. } => {
                self.line(format!("Selected platform {}", platform.format()))
            }
            PullEvent::BlobStarted { digest, size } => {
                let bar = self.multi.add(ProgressBar::new(*size));
                bar.set_style(
                    ProgressStyle::with_template(
                        "Copying blob {msg} [{bar:30}] {bytes}/{total_bytes}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_message(Self::short(digest));
                bar.enable_steady_tick(Duration::from_millis(200));
                self.bars.insert(digest.to_string(), bar);
            }
            PullEvent::BlobProgress { digest, bytes, .. } => {
                if let Some(b) = self.bars.get(&digest.to_string()) {
                    b.set_position(*bytes);
                }
            }
            PullEvent::BlobDone { digest, size } => {
                if let Some(b) = self.bars.remove(&digest.to_string()) {
                    b.set_position(*size);
                    b.finish();
                }
            }
            PullEvent::BlobSkipped { digest, .. } => self.line(format!(
                "Copying blob {} skipped: already exists",
                Self::short(digest)
            )),
            PullEvent::Retrying { what, attempt, .. } => {
                self.line(format!("Retrying {what} (attempt {attempt})"))
            }
            PullEvent::RateLimit { host, limit } => {
                if let (Some(r), Some(l)) = (limit.remaining, limit.limit) {
                    self.line(format!("{host}: rate limit {r}/{l} remaining"));
                }
            }
            PullEvent::ImageRecorded { .. } => {
                self.line("Writing manifest to image destination".into())
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        for (_, b) in self.bars.drain() {
            b.abandon();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        for bad in [
            "",
            "0",
            "0ms",
            "5h",
            "-1s",
            "1.5s",
            "s",
            "99999999999999999999",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
