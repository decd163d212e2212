//! In-process pull deduplication: concurrent pulls of one reference share one `Puller`
//! and one download (the CRI server gets many `PullImage` calls for one image at once).
//! Across processes the store's per-digest ingest locks do the same for blobs.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use hoist_core::pull::PullOutcome;
use tokio::sync::OnceCell;

use crate::drive::DriveError;

type Shared = Arc<OnceCell<Result<PullOutcome, Arc<DriveError>>>>;

/// Pulls in flight, keyed by what identifies a pull (the canonical reference and the
/// platform, as the caller builds the key).
#[derive(Default)]
pub struct PullGroup {
    inflight: Mutex<HashMap<String, Shared>>,
}

impl PullGroup {
    /// A new, empty group.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `start` for `key` unless a pull for `key` is already running, in which case
    /// this call waits for that pull and returns its result. Once a pull has finished,
    /// the next call for `key` starts a new one.
    pub async fn pull<F, Fut>(&self, key: &str, start: F) -> Result<PullOutcome, Arc<DriveError>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<PullOutcome, DriveError>>,
    {
        let cell = {
            let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key.to_owned()).or_default().clone()
        };
        let result = cell
            .get_or_init(|| async { start().await.map_err(Arc::new) })
            .await
            .clone();
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            map.remove(key);
        }
        result
    }

    /// Whether a pull for `key` is running (the CRI server refuses `RemoveImage` then).
    pub fn is_pulling(&self, key: &str) -> bool {
        let map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).is_some_and(|c| !c.initialized())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use hoist_core::digest::Digest;
    use hoist_core::store::ImageRecord;

    use super::*;

    fn outcome() -> PullOutcome {
        let d = Digest::sha256_of(b"config");
        PullOutcome {
            record: ImageRecord::new(d.clone(), d.clone()),
            resolved_digest: d.clone(),
            manifest_digest: d.clone(),
            config_digest: d,
            chain_id: None,
            bytes_downloaded: 1,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn twenty_concurrent_pulls_run_once() {
        let group = Arc::new(PullGroup::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (group, runs) = (group.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                group
                    .pull("docker.io/library/redis:7 linux/amd64", || async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok(outcome())
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(
                t.await.expect("task").expect("pull").config_digest,
                outcome().config_digest
            );
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(!group.is_pulling("docker.io/library/redis:7 linux/amd64"));
        // A later pull starts afresh.
        group
            .pull("docker.io/library/redis:7 linux/amd64", || async {
                Ok(outcome())
            })
            .await
            .expect("ok");
    }

    #[tokio::test]
    async fn a_shared_failure_reaches_every_waiter() {
        let group = PullGroup::new();
        let r = group
            .pull("k", || async { Err(DriveError::Cancelled) })
            .await;
        assert_eq!(r.expect_err("fails").code(), "cancelled");
    }
}
