//! `PullImage`: candidates → one shared pull per (reference, platform, credentials) →
//! the image ID.
//!
//! Each actual pull runs in its own task, registered in [`Pulling`] for its lifetime, so
//! `RemoveImage` can refuse while it runs, and a caller that disconnects does not abort it
//! for the others. On shutdown the pulls get a grace period, then are cancelled: the drive
//! loop discards their staging, so the store stays as it was.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hoist_core::auth::{decode_auth_config, AuthConfig};
use hoist_core::platform::Platform;
use hoist_core::pull::{Endpoint, PullConfig, PullRequest, Puller};
use hoist_core::reference::{Reference, RegistriesConf};
use hoist_core::ErrorClass;
use tokio::sync::{oneshot, watch};

use super::creds::{fingerprint, CriCredentials};
use super::status::{core_error, CallError};
use crate::dedupe::PullGroup;
use crate::drive::{drive, DriveContext, DriveError};
use crate::glue::{pull_candidates, FsStaging};
use crate::store::FsStore;
use crate::transport::Transport;

/// The references of the pulls running now (for `RemoveImage`).
#[derive(Default)]
pub struct Pulling {
    next: AtomicU64,
    running: Mutex<HashMap<u64, Reference>>,
}

/// Unregisters a pull when dropped.
struct Registered<'a>(&'a Pulling, u64);

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.0
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.1);
    }
}

impl Pulling {
    fn register(&self, reference: Reference) -> Registered<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, reference);
        Registered(self, id)
    }

    /// The references being pulled now.
    pub fn snapshot(&self) -> Vec<Reference> {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }
}

/// How pulls are made (from `hoist serve`'s flags and registries.conf).
pub struct PullSettings {
    /// The HTTP client.
    pub transport: Transport,
    /// registries.conf, if any.
    pub registries: Option<RegistriesConf>,
    /// Plain HTTP to every registry (`--plain-http`).
    pub plain_http: bool,
    /// The platform to select from multi-platform images.
    pub platform: Platform,
    /// Blob downloads in flight per pull.
    pub max_concurrent: usize,
}

/// Everything `PullImage` needs; shared by all calls.
pub struct Pulls {
    /// The store.
    pub store: FsStore,
    /// How pulls are made.
    pub settings: PullSettings,
    /// The monotonic epoch of the drive loops.
    pub epoch: Instant,
    /// In-process dedupe.
    pub group: PullGroup,
    /// What is running.
    pub pulling: Arc<Pulling>,
    /// Becomes `true` when running pulls must be cancelled (shutdown, after the grace).
    pub cancel: watch::Receiver<bool>,
}

impl Pulls {
    /// Pulls `image` with `auth` and returns the image ID.
    pub async fn pull(
        self: &Arc<Self>,
        image: &str,
        auth: AuthConfig,
    ) -> Result<String, CallError> {
        if image.is_empty() {
            return Err(CallError::new(
                ErrorClass::InvalidInput,
                "empty-image",
                "ImageSpec.image is empty",
            ));
        }
        let candidates = pull_candidates(self.settings.registries.as_ref(), image)
            .map_err(|e| core_error(ErrorClass::InvalidInput, &e))?;
        let first_host = candidates
            .first()
            .and_then(|r| r.domain().map(str::to_owned))
            .unwrap_or_default();
        // Reject undecodable credentials before any network traffic.
        decode_auth_config(&auth, &first_host)
            .map_err(|e| core_error(ErrorClass::InvalidInput, &e))?;
        let fp = fingerprint(&auth);
        let auth = Arc::new(auth);
        let mut last = None;
        for (i, reference) in candidates.iter().enumerate() {
            let key = format!(
                "{} {} {fp}",
                reference.canonical(),
                self.settings.platform.format()
            );
            let this = self.clone();
            let (reference2, auth2) = (reference.clone(), auth.clone());
            let result = self
                .group
                .pull(&key, move || async move {
                    let task = tokio::spawn(async move { this.run(reference2, auth2).await });
                    task.await.unwrap_or(Err(DriveError::Cancelled))
                })
                .await;
            match result {
                Ok(outcome) => return Ok(outcome.record.id.to_string()),
                Err(e) => {
                    let next = matches!(&*e, DriveError::Pull(p) if p.next_candidate_may_succeed());
                    if next && i + 1 < candidates.len() {
                        last = Some(CallError::from(&*e));
                        continue;
                    }
                    return Err(CallError::from(&*e));
                }
            }
        }
        Err(last.unwrap_or_else(|| {
            CallError::new(
                ErrorClass::NotFound,
                "no-candidates",
                "no registry to pull from",
            )
        }))
    }

    /// One pull of `reference`, start to commit (or discard).
    async fn run(
        &self,
        reference: Reference,
        auth: Arc<AuthConfig>,
    ) -> Result<hoist_core::pull::PullOutcome, DriveError> {
        let _registered = self.pulling.register(reference.clone());
        let endpoints = Endpoint::for_reference(
            &reference,
            self.settings.registries.as_ref(),
            self.settings.plain_http,
        )
        .map_err(DriveError::Pull)?;
        let config = PullConfig {
            endpoints,
            max_concurrent_blobs: self.settings.max_concurrent,
            ..PullConfig::default()
        };
        let request = PullRequest {
            reference: reference.clone(),
            platform: self.settings.platform.clone(),
        };
        let puller = Puller::new(request, config, self.epoch.elapsed().as_millis() as u64)
            .map_err(DriveError::Pull)?;
        let now_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let store = self.store.clone();
        let staging = tokio::task::spawn_blocking(move || FsStaging::begin(&store, now_unix))
            .await
            .map_err(|_| DriveError::Cancelled)?
            .map_err(|e| {
                DriveError::Pull(hoist_core::pull::PullError::Store {
                    message: e.to_string(),
                })
            })?;
        let ctx = DriveContext {
            epoch: self.epoch,
            transport: self.settings.transport.clone(),
            staging,
            credentials: Arc::new(CriCredentials((*auth).clone())),
            repository: reference.name().to_owned(),
        };
        let (cancel_tx, cancel_rx) = oneshot::channel();
        let mut cancel_tx = Some(cancel_tx);
        let mut shutdown = self.cancel.clone();
        let driving = drive(puller, ctx, |_| {}, cancel_rx);
        tokio::pin!(driving);
        loop {
            tokio::select! {
                r = &mut driving => return r,
                _ = shutdown.wait_for(|c| *c), if cancel_tx.is_some() => {
                    if let Some(tx) = cancel_tx.take() {
                        let _ = tx.send(());
                    }
                }
            }
        }
    }
}
