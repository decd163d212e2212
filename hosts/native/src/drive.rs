//! The native drive loop: runs a [`Puller`] to completion with tokio, the hyper
//! [`Transport`], a [`PullStaging`] store and a [`CredentialLookup`].
//!
//! The loop only moves bytes and answers: every `Output` of the machine is turned into
//! one piece of I/O, and every result goes back as one `Input`. HTTP requests run as
//! concurrent tasks (the machine bounds how many blobs are in flight); store operations
//! run on the blocking pool. On any failure the staging area is discarded, so the visible
//! store is exactly as it was.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hoist_core::auth::Credentials;
use hoist_core::descriptor::Descriptor;
use hoist_core::digest::Digest;
use hoist_core::pull::{
    BodyAction, Failure, Input, Output, PullError, PullEvent, PullOutcome, Puller, StoreOp,
    StoreResult, TransportFailure,
};
use hoist_core::store::{ImageRecord, PullRecord};
use hoist_core::ErrorCode;
use tokio::sync::{mpsc, oneshot};

use crate::transport::Transport;

/// Report progress to the machine every this many streamed bytes.
const PROGRESS_EVERY: u64 = 1 << 20;

/// Where a streamed blob goes: a staging file behind a digest verifier.
pub trait BlobSink: Send {
    /// Appends verified-so-far bytes. Fails early when the stream outgrows its size.
    fn write(&mut self, data: &[u8]) -> Result<(), TransportFailure>;
    /// Bytes safely staged so far (the resume point after a failure).
    fn staged_len(&self) -> u64;
    /// Ends the stream: fsync, verify digest and size, mark staged.
    fn finish(self: Box<Self>) -> Result<(), TransportFailure>;
}

/// What [`PullStaging::blob_writer`] hands back.
pub enum BlobTarget {
    /// Write the body here.
    Sink(Box<dyn BlobSink>),
    /// Another pull (this process or another) committed or staged the blob meanwhile:
    /// drop the body.
    AlreadyPresent,
}

/// One pull's view of the store: stat committed blobs, stage new ones, commit or discard.
/// Implementations are synchronous; the loop calls them on the blocking pool.
pub trait PullStaging: Send + Sync {
    /// The size of `digest` if it is present (committed, or staged for this pull). When it
    /// is absent the implementation may reserve it for this pull, waiting while another
    /// pull downloads it, so concurrent pulls fetch each blob once.
    fn stat(&self, digest: &Digest) -> Result<Option<u64>, String>;
    /// A sink for blob `digest` of `size` bytes continuing at `offset`.
    fn blob_writer(&self, digest: &Digest, size: u64, offset: u64) -> Result<BlobTarget, String>;
    /// Stages a small, already verified document.
    fn put_blob(&self, digest: &Digest, bytes: &[u8]) -> Result<(), String>;
    /// Makes the image visible atomically and records it.
    fn commit(
        &self,
        blobs: &[Digest],
        manifest: &Descriptor,
        record: PullRecord,
    ) -> Result<ImageRecord, String>;
    /// Throws away everything this pull staged.
    fn discard(&self);
}

/// A boxed future, for the object-safe async trait below.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Looks credentials up for a registry host (auth files, helpers, `--creds`, CRI).
pub trait CredentialLookup: Send + Sync {
    /// Credentials for `host` (and the normalized `repository`, for `host/namespace`
    /// keys); `Anonymous` when none. Errors are final for the pull.
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<Credentials, DriveError>>;
}

/// Why a driven pull failed.
#[derive(Debug)]
pub enum DriveError {
    /// The machine failed (registry, content, auth…).
    Pull(PullError),
    /// A credential lookup failed (bad auth file, helper timeout…).
    Credentials {
        /// Stable code.
        code: &'static str,
        /// Message (never a secret).
        message: String,
    },
    /// The pull was cancelled by the caller.
    Cancelled,
}

impl DriveError {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            DriveError::Pull(e) => e.code(),
            DriveError::Credentials { code, .. } => code,
            DriveError::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for DriveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriveError::Pull(e) => e.fmt(f),
            DriveError::Credentials { message, .. } => f.write_str(message),
            DriveError::Cancelled => f.write_str("pull cancelled"),
        }
    }
}

impl std::error::Error for DriveError {}

/// Everything a driven pull does I/O with.
#[derive(Clone)]
pub struct DriveContext {
    /// The monotonic epoch `now` is measured from (share one per process).
    pub epoch: Instant,
    /// The HTTP client.
    pub transport: Transport,
    /// This pull's staging in the store.
    pub staging: Arc<dyn PullStaging>,
    /// Credential lookups.
    pub credentials: Arc<dyn CredentialLookup>,
    /// The normalized repository (`docker.io/library/redis`), for auth.json
    /// `host/namespace` keys.
    pub repository: String,
}

/// Runs `puller` to the end. `on_event` sees every event. `cancel` ends the pull early.
pub async fn drive(
    mut puller: Puller,
    ctx: DriveContext,
    mut on_event: impl FnMut(&PullEvent),
    mut cancel: oneshot::Receiver<()>,
) -> Result<PullOutcome, DriveError> {
    let DriveContext {
        epoch,
        transport,
        staging,
        credentials,
        repository,
    } = ctx;
    let now = move || epoch.elapsed().as_millis() as u64;
    let (tx, mut rx) = mpsc::unbounded_channel::<Result<Input, DriveError>>();
    let mut bodies: HashMap<_, oneshot::Sender<BodyAction>> = HashMap::new();
    let result = loop {
        let out = match puller.poll_output() {
            Ok(o) => o,
            Err(e) => break Err(DriveError::Pull(e)),
        };
        match out {
            Output::Http(req) => {
                let (btx, brx) = oneshot::channel();
                bodies.insert(req.id, btx);
                let transport = transport.clone();
                let staging = staging.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    exchange(req, transport, staging, tx, brx, now).await;
                });
            }
            Output::Body { id, action } => {
                if let Some(b) = bodies.remove(&id) {
                    let _ = b.send(action);
                }
            }
            Output::Store { id, op } => {
                let staging = staging.clone();
                let tx = tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = store_op(&*staging, op);
                    let _ = tx.send(Ok(Input::Store { id, result }));
                });
            }
            Output::NeedCredentials { id, host } => {
                let credentials = credentials.clone();
                let tx = tx.clone();
                let repository = repository.clone();
                tokio::spawn(async move {
                    let r = credentials
                        .lookup(&host, &repository)
                        .await
                        .map(|credentials| Input::Credentials { id, credentials });
                    let _ = tx.send(r);
                });
            }
            Output::Event(e) => on_event(&e),
            Output::Done(outcome) => break Ok(*outcome),
            Output::Wait { until } => {
                let sleep = async {
                    match until {
                        Some(t) => {
                            tokio::time::sleep(Duration::from_millis(t.saturating_sub(now()))).await
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                let input = tokio::select! {
                    biased;
                    _ = &mut cancel => break Err(DriveError::Cancelled),
                    got = rx.recv() => match got {
                        Some(Ok(i)) => i,
                        Some(Err(e)) => break Err(e),
                        // Every sender lives in this function; unreachable in practice.
                        None => break Err(DriveError::Cancelled),
                    },
                    _ = sleep => Input::Timeout(now()),
                };
                if let Err(e) = puller.handle_input(input) {
                    break Err(DriveError::Pull(e));
                }
            }
        }
    };
    if result.is_err() {
        // Dropping the body senders ends every exchange task; then nothing staged stays.
        drop(bodies);
        let staging = staging.clone();
        let _ = tokio::task::spawn_blocking(move || staging.discard()).await;
    }
    result
}

fn store_op(staging: &dyn PullStaging, op: StoreOp) -> StoreResult {
    let r = match op {
        StoreOp::Stat { digest } => staging.stat(&digest).map(StoreResult::Stat),
        StoreOp::PutBlob { digest, bytes } => staging
            .put_blob(&digest, &bytes)
            .map(|()| StoreResult::Done),
        StoreOp::Commit {
            blobs,
            manifest,
            record,
        } => staging
            .commit(&blobs, &manifest, record)
            .map(StoreResult::Committed),
    };
    r.unwrap_or_else(StoreResult::Failed)
}

type Tx = mpsc::UnboundedSender<Result<Input, DriveError>>;

/// One HTTP exchange: send, report the head, wait for the machine's body action, do it.
async fn exchange(
    req: hoist_core::pull::HttpRequest,
    transport: Transport,
    staging: Arc<dyn PullStaging>,
    tx: Tx,
    action: oneshot::Receiver<BodyAction>,
    now: impl Fn() -> u64 + Send + 'static,
) {
    let id = req.id;
    let failed = |kind, staged_bytes| Input::HttpFailed {
        id,
        failure: Failure { kind, staged_bytes },
        now: now(),
    };
    let (head, mut body) = match transport.send(&req).await {
        Ok(x) => x,
        Err(failure) => {
            let _ = tx.send(Ok(Input::HttpFailed {
                id,
                failure,
                now: now(),
            }));
            return;
        }
    };
    let _ = tx.send(Ok(Input::HttpResponse {
        id,
        head,
        now: now(),
    }));
    let Ok(action) = action.await else {
        return; // The machine abandoned the request or the pull ended.
    };
    let input = match action {
        BodyAction::Discard => Input::HttpBody {
            id,
            bytes: Vec::new(),
            now: now(),
        },
        BodyAction::Buffer { limit } => match transport.read_limited(&mut body, limit).await {
            Ok(bytes) => Input::HttpBody {
                id,
                bytes,
                now: now(),
            },
            Err(kind) => failed(kind, 0),
        },
        BodyAction::StreamToStore {
            digest,
            size,
            offset,
        } => {
            let target = {
                let staging = staging.clone();
                let digest = digest.clone();
                tokio::task::spawn_blocking(move || staging.blob_writer(&digest, size, offset))
                    .await
            };
            let mut sink = match target {
                Ok(Ok(BlobTarget::Sink(s))) => s,
                Ok(Ok(BlobTarget::AlreadyPresent)) => {
                    let _ = tx.send(Ok(Input::BlobStaged { id, now: now() }));
                    return;
                }
                Ok(Err(message)) => {
                    let _ = tx.send(Ok(failed(TransportFailure::Store { message }, 0)));
                    return;
                }
                Err(_) => {
                    let _ = tx.send(Ok(failed(TransportFailure::Cancelled, 0)));
                    return;
                }
            };
            let mut next_progress = sink.staged_len() + PROGRESS_EVERY;
            loop {
                match transport.next_chunk(&mut body).await {
                    Ok(Some(chunk)) => {
                        if let Err(kind) = sink.write(&chunk) {
                            break failed(kind, sink.staged_len());
                        }
                        if sink.staged_len() >= next_progress {
                            next_progress = sink.staged_len() + PROGRESS_EVERY;
                            let _ = tx.send(Ok(Input::Progress {
                                id,
                                bytes: sink.staged_len(),
                            }));
                        }
                    }
                    Ok(None) => {
                        let finished = tokio::task::spawn_blocking(move || sink.finish()).await;
                        break match finished {
                            Ok(Ok(())) => Input::BlobStaged { id, now: now() },
                            Ok(Err(kind)) => failed(kind, 0),
                            Err(_) => failed(TransportFailure::Cancelled, 0),
                        };
                    }
                    Err(kind) => break failed(kind, sink.staged_len()),
                }
            }
        }
    };
    let _ = tx.send(Ok(input));
}
