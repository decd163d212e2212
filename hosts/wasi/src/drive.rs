//! The WASI drive loop: runs a [`Puller`] to completion on one thread, with
//! `wasi:http` for the network, the [`Staging`] of [`crate::store`] for blobs and
//! `wasi:io/poll` to wait on every exchange (and the machine's timer) at once.
//!
//! As in the native host, the loop only moves bytes: every [`Output`] becomes one piece
//! of I/O and every result goes back as one [`Input`] (the contract in
//! `hoist_core::pull::io`). Several blob downloads progress together: bodies are read
//! without blocking, and the loop sleeps in `poll` only when nothing is ready. When the
//! pull fails, the staging is dropped, which removes everything it staged.

use std::collections::{BTreeMap, VecDeque};

use hoist_core::pull::{
    BodyAction, Failure, Input, Output, PullEvent, PullOutcome, Puller, RequestId, StoreOp,
    StoreResult, TransportFailure,
};
use wasi::clocks::monotonic_clock;
use wasi::io::poll::{poll, Pollable};

use crate::creds::CredentialSource;
use crate::error::{Error, Result};
use crate::http::{self, Body, Pending, Read, Response, Timeouts};
use crate::store::{BlobWriter, Staging};

/// Report progress to the machine every this many streamed bytes.
const PROGRESS_EVERY: u64 = 1 << 20;
/// Largest single read from a body stream.
const READ_MAX: u64 = 1 << 20;
/// Reads from one body per round before the others get their turn.
const READS_PER_ROUND: usize = 16;

/// Everything a pull does I/O with, besides the machine and its staging.
pub struct DriveContext<'a> {
    /// Credential lookups.
    pub credentials: &'a CredentialSource,
    /// The normalized repository, for `host/namespace` auth-file keys.
    pub repository: String,
    /// Request timeouts.
    pub timeouts: Timeouts,
    /// Longest a buffered document (manifest, config, token, error) may take in full,
    /// in ms: an idle timeout alone does not stop a server trickling bytes.
    pub document_timeout_ms: u64,
    /// Wall-clock seconds, for the record's pull time.
    pub now_unix: i64,
}

/// Where one exchange is.
enum Slot {
    /// The head has not arrived.
    Waiting(Pending),
    /// The head went to the machine; its body waits for a [`BodyAction`].
    Held(Response),
    /// Reading a document into memory, up to `limit + 1` bytes, before `deadline`.
    Buffering {
        body: Body,
        bytes: Vec<u8>,
        limit: u64,
        deadline: u64,
    },
    /// Streaming a blob into staging.
    Streaming {
        body: Body,
        writer: Box<BlobWriter>,
        next_progress: u64,
    },
}

/// Milliseconds since `epoch` on the monotonic clock.
fn since(epoch: u64) -> u64 {
    monotonic_clock::now().saturating_sub(epoch) / 1_000_000
}

/// Runs `puller` to the end. `on_event` sees every event.
pub fn drive(
    mut puller: Puller,
    staging: &mut Staging<'_>,
    ctx: &DriveContext<'_>,
    epoch: u64,
    mut on_event: impl FnMut(&PullEvent),
) -> std::result::Result<PullOutcome, (Error, bool)> {
    let now = || since(epoch);
    // A machine error says whether another candidate name may succeed; ours never.
    let machine = |e: hoist_core::pull::PullError| {
        let next = e.next_candidate_may_succeed();
        (Error::core(e), next)
    };
    let ours = |e: Error| (e, false);
    let mut slots: BTreeMap<RequestId, Slot> = BTreeMap::new();
    let mut inputs: VecDeque<Input> = VecDeque::new();
    loop {
        while let Some(input) = inputs.pop_front() {
            puller.handle_input(input).map_err(machine)?;
        }
        match puller.poll_output().map_err(machine)? {
            Output::Http(req) => match http::send(&req, ctx.timeouts) {
                Ok(p) => {
                    slots.insert(req.id, Slot::Waiting(p));
                }
                Err(kind) => inputs.push_back(failed(req.id, kind, 0, now())),
            },
            Output::Body { id, action } => {
                let Some(Slot::Held(resp)) = slots.remove(&id) else {
                    return Err(ours(Error::new(
                        "internal",
                        format!("the pull machine asked for the body of unknown request {id:?}"),
                    )));
                };
                if let Some(input) = begin_body(id, resp, action, &mut slots, staging, ctx, now()) {
                    inputs.push_back(input);
                }
            }
            Output::Store { id, op } => {
                let result = store_op(staging, op, ctx.now_unix);
                inputs.push_back(Input::Store { id, result });
            }
            Output::NeedCredentials { id, host } => {
                let credentials = ctx
                    .credentials
                    .lookup(&host, &ctx.repository)
                    .map_err(ours)?;
                inputs.push_back(Input::Credentials { id, credentials });
            }
            Output::Event(e) => on_event(&e),
            Output::Done(outcome) => return Ok(*outcome),
            Output::Wait { until } => {
                wait(&mut slots, &mut inputs, staging, until, &now).map_err(ours)?
            }
        }
    }
}

fn failed(id: RequestId, kind: TransportFailure, staged_bytes: u64, now: u64) -> Input {
    Input::HttpFailed {
        id,
        failure: Failure { kind, staged_bytes },
        now,
    }
}

/// Starts what the machine decided for a response body; an input when it is already
/// answered (discarded, already present, or failed at once).
fn begin_body(
    id: RequestId,
    resp: Response,
    action: BodyAction,
    slots: &mut BTreeMap<RequestId, Slot>,
    staging: &mut Staging<'_>,
    ctx: &DriveContext<'_>,
    now: u64,
) -> Option<Input> {
    match action {
        BodyAction::Discard => {
            drop(resp);
            Some(Input::HttpBody {
                id,
                bytes: Vec::new(),
                now,
            })
        }
        BodyAction::Buffer { limit } => match resp.open() {
            Ok(body) => {
                slots.insert(
                    id,
                    Slot::Buffering {
                        body,
                        bytes: Vec::new(),
                        limit,
                        deadline: now.saturating_add(ctx.document_timeout_ms),
                    },
                );
                None
            }
            Err(kind) => Some(failed(id, kind, 0, now)),
        },
        BodyAction::StreamToStore {
            digest,
            size,
            offset,
        } => {
            let writer = match staging.blob_writer(&digest, size, offset) {
                Ok(Some(w)) => w,
                Ok(None) => return Some(Input::BlobStaged { id, now }),
                Err(e) => {
                    let kind = TransportFailure::Store { message: e.message };
                    return Some(failed(id, kind, 0, now));
                }
            };
            match resp.open() {
                Ok(body) => {
                    let next_progress = writer.written() + PROGRESS_EVERY;
                    slots.insert(
                        id,
                        Slot::Streaming {
                            body,
                            writer: Box::new(writer),
                            next_progress,
                        },
                    );
                    None
                }
                Err(kind) => Some(failed(id, kind, writer.written(), now)),
            }
        }
    }
}

/// Performs one store operation.
fn store_op(staging: &mut Staging<'_>, op: StoreOp, now_unix: i64) -> StoreResult {
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
            .commit(&blobs, &manifest, record, now_unix)
            .map(StoreResult::Committed),
    };
    r.unwrap_or_else(|e| StoreResult::Failed(e.to_string()))
}

/// Moves every exchange forward until at least one input is ready for the machine (or
/// its timer `until` passes), sleeping in `wasi:io/poll` while nothing is.
fn wait(
    slots: &mut BTreeMap<RequestId, Slot>,
    inputs: &mut VecDeque<Input>,
    staging: &mut Staging<'_>,
    until: Option<u64>,
    now: &dyn Fn() -> u64,
) -> Result<()> {
    loop {
        let ids: Vec<RequestId> = slots.keys().copied().collect();
        for id in ids {
            if let Some(slot) = slots.remove(&id) {
                if let Some(slot) = advance(id, slot, inputs, staging, now) {
                    slots.insert(id, slot);
                }
            }
        }
        if !inputs.is_empty() {
            return Ok(());
        }
        let t = now();
        if until.is_some_and(|u| t >= u) {
            inputs.push_back(Input::Timeout(t));
            return Ok(());
        }
        // Sleep until an exchange, the machine's timer or a document deadline is due.
        let mut pollables: Vec<Pollable> = Vec::new();
        let mut wake_at = until;
        for slot in slots.values() {
            match slot {
                Slot::Waiting(p) => pollables.push(p.subscribe()),
                Slot::Held(_) => {}
                Slot::Buffering { body, deadline, .. } => {
                    pollables.push(body.subscribe());
                    wake_at = Some(wake_at.map_or(*deadline, |w| w.min(*deadline)));
                }
                Slot::Streaming { body, .. } => pollables.push(body.subscribe()),
            }
        }
        if let Some(w) = wake_at {
            let ms = w.saturating_sub(t).max(1);
            pollables.push(monotonic_clock::subscribe_duration(ms * 1_000_000));
        }
        if pollables.is_empty() {
            return Err(Error::new(
                "internal",
                "the pull machine waits with nothing in flight and no timer",
            ));
        }
        let refs: Vec<&Pollable> = pollables.iter().collect();
        poll(&refs);
    }
}

/// One exchange's non-blocking step. Returns the slot when it is still in flight.
fn advance(
    id: RequestId,
    slot: Slot,
    inputs: &mut VecDeque<Input>,
    staging: &mut Staging<'_>,
    now: &dyn Fn() -> u64,
) -> Option<Slot> {
    match slot {
        Slot::Waiting(pending) => match pending.take() {
            None => Some(Slot::Waiting(pending)),
            Some(Ok((head, resp))) => {
                inputs.push_back(Input::HttpResponse {
                    id,
                    head,
                    now: now(),
                });
                Some(Slot::Held(resp))
            }
            Some(Err(kind)) => {
                inputs.push_back(failed(id, kind, 0, now()));
                None
            }
        },
        held @ Slot::Held(_) => Some(held),
        Slot::Buffering {
            body,
            mut bytes,
            limit,
            deadline,
        } => {
            for _ in 0..READS_PER_ROUND {
                let room = (limit + 1).saturating_sub(bytes.len() as u64);
                if room == 0 {
                    // limit + 1 bytes: enough for the machine to reject the document.
                    inputs.push_back(Input::HttpBody {
                        id,
                        bytes,
                        now: now(),
                    });
                    return None;
                }
                match body.read(room.min(READ_MAX)) {
                    Ok(Read::Data(d)) => bytes.extend_from_slice(&d),
                    Ok(Read::Empty) => break,
                    Ok(Read::End) => {
                        inputs.push_back(Input::HttpBody {
                            id,
                            bytes,
                            now: now(),
                        });
                        return None;
                    }
                    Err(kind) => {
                        inputs.push_back(failed(id, kind, 0, now()));
                        return None;
                    }
                }
            }
            if now() >= deadline {
                inputs.push_back(failed(id, TransportFailure::Timeout, 0, now()));
                return None;
            }
            Some(Slot::Buffering {
                body,
                bytes,
                limit,
                deadline,
            })
        }
        Slot::Streaming {
            body,
            mut writer,
            mut next_progress,
        } => {
            for _ in 0..READS_PER_ROUND {
                match body.read(READ_MAX) {
                    Ok(Read::Data(d)) => {
                        if let Err(kind) = writer.write(&d) {
                            inputs.push_back(failed(id, kind, writer.written(), now()));
                            return None;
                        }
                        if writer.written() >= next_progress {
                            next_progress = writer.written() + PROGRESS_EVERY;
                            inputs.push_back(Input::Progress {
                                id,
                                bytes: writer.written(),
                            });
                        }
                    }
                    Ok(Read::Empty) => break,
                    Ok(Read::End) => {
                        drop(body);
                        let digest = writer.digest().clone();
                        inputs.push_back(match writer.finish() {
                            Ok(size) => {
                                staging.mark_staged(&digest, size);
                                Input::BlobStaged { id, now: now() }
                            }
                            Err(kind) => failed(id, kind, 0, now()),
                        });
                        return None;
                    }
                    Err(kind) => {
                        inputs.push_back(failed(id, kind, writer.written(), now()));
                        return None;
                    }
                }
            }
            Some(Slot::Streaming {
                body,
                writer,
                next_progress,
            })
        }
    }
}
