'use strict';
// The Node host's blob ingest (hosts/node/lib/ingest.js) against the real store and the
// core's verifier: bodies of several batches, a connection lost mid-body and resumed, a
// body longer than declared, wrong bytes, an early close. The body is a stream of
// chunks shaped like node:http's (64 KiB); everything after it is the real thing.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Readable } = require('node:stream');
const { tempDir } = require('./helpers');
const { FsStore } = require('../../hosts/node/lib/store');
const { streamToStore } = require('../../hosts/node/lib/ingest');

const CHUNK = 64 << 10;
const sha256 = (b) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

/** A response body delivering `bytes` in 64 KiB chunks, then `end` ('end', an error, or a bare close). */
function body(bytes, end = 'end') {
  let off = 0;
  return new Readable({
    read() {
      if (off < bytes.length) {
        this.push(bytes.subarray(off, off + CHUNK));
        off += CHUNK;
      } else if (end === 'end') {
        this.push(null);
      } else if (end === 'error') {
        this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      } else {
        this.destroy();
      }
    },
  });
}

async function ingest(staging, digest, size, offset, res) {
  const progress = [];
  const writer = await staging.blobWriter(digest, size, offset);
  res.pause();
  const end = await streamToStore({
    id: 7, res, writer, now: () => 0, failureOf: (e) => ({ kind: 'reset', code: e.code }),
    report: (input) => progress.push(input.staged), progressEvery: 1 << 20,
  });
  return { end, progress };
}

async function setup(t) {
  const tmp = tempDir();
  const store = await FsStore.open(path.join(tmp.dir, 's'));
  const staging = await store.beginPull();
  t.after(async () => { await staging.discard(); tmp.cleanup(); });
  return { store, staging };
}

const blob = crypto.randomBytes((5 << 20) + 12345);
const digest = sha256(blob);
const partial = (store) => path.join(store.ingest, `sha256-${digest.slice(7)}.partial`);

test('a body of several batches is staged whole, with progress', async (t) => {
  const { staging } = await setup(t);
  const { end, progress } = await ingest(staging, digest, blob.length, 0, body(blob));
  assert.deepStrictEqual(end, { kind: 'blob-staged', id: 7, now: 0 });
  assert.ok(fs.readFileSync(staging.pathOf(digest)).equals(blob));
  assert.ok(progress.length >= 4, `progress ${progress}`);
  assert.deepStrictEqual(progress, [...progress].sort((a, b) => a - b));
});

test('a connection lost mid-body keeps what arrived, and the resume completes', async (t) => {
  const { store, staging } = await setup(t);
  const cut = (3 << 20) + 7 * CHUNK;
  const first = await ingest(staging, digest, blob.length, 0, body(blob.subarray(0, cut), 'error'));
  assert.strictEqual(first.end.kind, 'http-failed');
  assert.deepStrictEqual(first.end.failure, { kind: 'reset', code: 'ECONNRESET' });
  assert.strictEqual(first.end.staged, cut, 'every byte that arrived is kept');
  assert.ok(fs.readFileSync(partial(store)).equals(blob.subarray(0, cut)));
  // The machine resumes with Range from `staged`: the writer re-hashes the kept prefix.
  const second = await ingest(staging, digest, blob.length, cut, body(blob.subarray(cut)));
  assert.strictEqual(second.end.kind, 'blob-staged');
  assert.ok(fs.readFileSync(staging.pathOf(digest)).equals(blob));
  assert.ok(!fs.existsSync(partial(store)));
});

test('a connection closed early without an error is a failure, not a short blob', async (t) => {
  const { staging } = await setup(t);
  const { end } = await ingest(staging, digest, blob.length, 0, body(blob.subarray(0, 2 << 20), 'close'));
  assert.strictEqual(end.kind, 'http-failed');
  assert.strictEqual(end.staged, 2 << 20);
  assert.ok(!fs.existsSync(staging.pathOf(digest)));
});

test('a body longer than declared is cut off and its partial file removed', async (t) => {
  const { store, staging } = await setup(t);
  const longer = Buffer.concat([blob, crypto.randomBytes(3 << 20)]);
  const { end } = await ingest(staging, digest, blob.length, 0, body(longer));
  assert.strictEqual(end.kind, 'http-failed');
  assert.strictEqual(end.failure.kind, 'size-mismatch');
  assert.ok(end.failure.actual > blob.length && end.failure.actual <= blob.length + (2 << 20), `${end.failure.actual}`);
  assert.ok(!fs.existsSync(partial(store)));
  assert.ok(!fs.existsSync(staging.pathOf(digest)));
});

test('wrong bytes of the right size fail the digest and leave nothing', async (t) => {
  const { store, staging } = await setup(t);
  const wrong = Buffer.from(blob);
  wrong[wrong.length - 1] ^= 1;
  const { end } = await ingest(staging, digest, blob.length, 0, body(wrong));
  assert.strictEqual(end.kind, 'http-failed');
  assert.deepStrictEqual(end.failure, { kind: 'digest-mismatch', actual: sha256(wrong) });
  assert.ok(!fs.existsSync(partial(store)));
  assert.ok(!fs.existsSync(staging.pathOf(digest)));
});

test('a connection that dropped before the body was asked for is a failure, not a hang', async (t) => {
  const { staging } = await setup(t);
  const res = body(blob);
  res.on('error', () => {}); // as node:http, which emits no error without a listener
  res.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  await new Promise((resolve) => res.on('close', resolve));
  const { end } = await ingest(staging, digest, blob.length, 0, res);
  assert.strictEqual(end.kind, 'http-failed');
  assert.deepStrictEqual(end.failure, { kind: 'reset', code: 'ECONNRESET' });
  assert.strictEqual(end.staged, 0);
});

const big = crypto.randomBytes((20 << 20) + 333);
const bigDigest = sha256(big);

test('a body past the flush interval is flushed while it streams, and staged whole', async (t) => {
  const { staging } = await setup(t);
  const writer = await staging.blobWriter(bigDigest, big.length, 0);
  let flushes = 0;
  const datasync = writer.fh.datasync.bind(writer.fh);
  writer.fh.datasync = () => { flushes += 1; return datasync(); };
  const res = body(big);
  res.pause();
  const end = await streamToStore({
    id: 1, res, writer, now: () => 0, failureOf: () => ({ kind: 'reset' }), report: () => {}, progressEvery: 1 << 20,
  });
  assert.deepStrictEqual(end, { kind: 'blob-staged', id: 1, now: 0 });
  assert.ok(flushes >= 1 && flushes <= 2, `background flushes: ${flushes}`);
  assert.ok(fs.readFileSync(staging.pathOf(bigDigest)).equals(big));
});

test('a failed background flush fails the blob with store-io and leaves no partial file', async (t) => {
  const { store, staging } = await setup(t);
  const writer = await staging.blobWriter(bigDigest, big.length, 0);
  writer.fh.datasync = () => Promise.reject(Object.assign(new Error('I/O error'), { code: 'EIO' }));
  const res = body(big);
  res.pause();
  await assert.rejects(
    streamToStore({
      id: 1, res, writer, now: () => 0, failureOf: () => ({ kind: 'reset' }), report: () => {}, progressEvery: 1 << 20,
    }),
    (e) => e.code === 'store-io' && /fsync/.test(e.message) && /EIO/.test(e.message),
  );
  assert.ok(!fs.existsSync(staging.pathOf(bigDigest)));
  assert.ok(!fs.existsSync(path.join(store.ingest, `sha256-${bigDigest.slice(7)}.partial`)));
});
