'use strict';
// Streams one response body into the store (the machine's `stream-to-store` body action)
// through a BlobWriter, in batches: while one batch is written and hashed off the event
// loop, the next is read from the network. The body is read in flowing mode (`data`
// events: no promise per chunk, and the socket is not stopped and restarted every 16 KiB
// as an async iterator's buffer fills); it is paused only while a full batch waits for
// the one in flight, so at most two batches are held at a time.

/** Bytes collected before they are handed to the writer as one batch. */
const BATCH = 1 << 20;

/**
 * Streams `res` into `writer` (null when the blob was already staged or committed).
 * `report(input)` receives progress inputs; resolves with the input that ends the
 * exchange (`blob-staged` or `http-failed`). A store error is thrown after the writer is
 * closed (its partial file kept for a resume).
 */
async function streamToStore({ id, res, writer, now, failureOf, report, progressEvery }) {
  if (writer === null) {
    res.destroy();
    return { kind: 'blob-staged', id, now: now() };
  }
  const end = await pump(res, writer, (staged) => report({ kind: 'progress', id, staged }), progressEvery);
  if (end.error) {
    res.destroy();
    await writer.close(false);
    throw end.error;
  }
  if (end.failure) {
    // A stream longer than declared: the writer removed its partial file.
    res.destroy();
    return { kind: 'http-failed', id, failure: end.failure, staged: 0, now: now() };
  }
  if (end.networkError) {
    // What arrived before the error is a valid prefix, kept for the resume.
    await writer.close(false);
    return { kind: 'http-failed', id, failure: failureOf(end.networkError), staged: writer.written, now: now() };
  }
  const failure = await writer.finish();
  return failure
    ? { kind: 'http-failed', id, failure, staged: 0, now: now() }
    : { kind: 'blob-staged', id, now: now() };
}

/**
 * Moves the body into the writer batch by batch. Resolves with `{}` when all of it is
 * written, `{failure}` (from the writer), `{error}` (a store error) or `{networkError}`
 * (after writing what arrived).
 */
function pump(res, writer, progress, progressEvery) {
  return new Promise((resolve) => {
    let batch = [];
    let batchLen = 0;
    let writing = false;
    let ended = false;
    let networkError = null;
    let settled = false;
    let next = writer.written + progressEvery;
    const settle = (end) => {
      if (!settled) {
        settled = true;
        resolve(end);
      }
    };
    const step = () => {
      if (writing || settled) return;
      const last = ended || networkError !== null;
      if (batchLen >= BATCH || (last && batchLen > 0)) {
        const chunks = batch;
        batch = [];
        batchLen = 0;
        writing = true;
        if (!last) res.resume();
        writer.write(chunks).then((failure) => {
          writing = false;
          if (failure) return settle({ failure });
          if (writer.written >= next) {
            next = writer.written + progressEvery;
            progress(writer.written);
          }
          return step();
        }, (error) => {
          writing = false;
          settle({ error });
        });
      } else if (last) {
        settle(networkError ? { networkError } : {});
      }
    };
    res.on('data', (chunk) => {
      batch.push(chunk);
      batchLen += chunk.length;
      if (batchLen >= BATCH) {
        if (writing) res.pause();
        else step();
      }
    });
    res.on('end', () => {
      ended = true;
      step();
    });
    res.on('error', (e) => {
      networkError ??= e;
      step();
    });
    res.on('close', () => {
      // A connection that closes before the end of the body, without an error event.
      if (!ended && networkError === null) {
        networkError = closedEarly();
        step();
      }
    });
    // The connection may have dropped while the response waited for the machine's
    // decision: then its events are gone, and only its state tells.
    if (res.destroyed && !res.readableEnded) {
      networkError = res.errored ?? closedEarly();
      step();
      return;
    }
    // The driver paused the response until the machine chose this action.
    res.resume();
  });
}

function closedEarly() {
  return Object.assign(new Error('connection closed before the end of the body'), { code: 'ECONNRESET' });
}

module.exports = { streamToStore };
