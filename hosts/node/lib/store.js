'use strict';
// The Node host's store: the same OCI image layout, crash order and lock files as the
// native host (hosts/native/src/store/), so either host can work on a store the other
// wrote. Which bytes go into hoist.json/index.json is the core's (StoreMeta); this file
// only moves them.
//
//   <root>/oci-layout, index.json (derived), hoist.json (the truth), blobs/<alg>/<hex>,
//   lock (store lock), ingest/ (<alg>-<hex>.lock|.partial, pull-<id>.lock, pull-<id>/, tmp-*)
const fs = require('node:fs/promises');
const path = require('node:path');
const b = require('./binding');
const { HoistError } = require('./errors');
const {
  TMP_PREFIX, PULL_PREFIX, uniqueSuffix, ioError, syncDir, writeAtomic, fileLen, lock,
} = require('./fsutil');

/** Largest hoist.json read (a sanity bound, as the native host's). */
const MAX_METADATA_SIZE = 256 << 20;
const CHUNK = 1 << 20;

function stem(digest) {
  const d = b.parseDigest(digest);
  return `${d.algorithm}-${d.encoded}`;
}

async function readBounded(p) {
  const len = await fileLen(p);
  if (len === null) return null;
  if (len > MAX_METADATA_SIZE) throw new HoistError('store-corrupt', `${p}: ${len} bytes is too large`);
  return fs.readFile(p);
}

class FsStore {
  constructor(root, lockWait) {
    this.root = root;
    this.lockWait = lockWait;
    this.ingest = path.join(root, 'ingest');
  }

  /**
   * Opens (creating if missing) the store at `root`, under the store lock: oci-layout
   * checked, leftovers of dead pulls removed, hoist.json created when missing, index.json
   * rewritten from hoist.json when they disagree.
   */
  static async open(root, { lockWait = Infinity } = {}) {
    const store = new FsStore(path.resolve(root), lockWait);
    await fs.mkdir(path.join(store.root, 'blobs', 'sha256'), { recursive: true });
    await fs.mkdir(store.ingest, { recursive: true });
    await store.locked(async () => {
      const layoutPath = path.join(store.root, 'oci-layout');
      const layout = await readBounded(layoutPath);
      if (layout === null) await writeAtomic(store.ingest, layoutPath, b.ociLayoutBytes());
      else b.checkOciLayout(layout);
      await store.sweep();
      const bytes = await readBounded(store.hoistJson());
      if (bytes === null) {
        const current = await readBounded(store.indexJson());
        if (current !== null && b.countIndexEntries(current) > 0) {
          throw new HoistError('store-corrupt',
            `${store.hoistJson()}: missing, but index.json lists manifests: hoist does not import foreign layouts`);
        }
        await store.writeMeta(new b.StoreMeta());
      } else {
        const meta = b.StoreMeta.fromJson(bytes);
        const derived = Buffer.from(meta.indexJson());
        const current = await readBounded(store.indexJson());
        if (current === null || !derived.equals(current)) {
          await writeAtomic(store.ingest, store.indexJson(), derived);
        }
      }
    });
    return store;
  }

  hoistJson() { return path.join(this.root, 'hoist.json'); }
  indexJson() { return path.join(this.root, 'index.json'); }
  blobPath(digest) { return path.join(this.root, b.blobPath(digest)); }

  /** Runs `fn` holding the store lock. */
  async locked(fn) {
    const held = await lock(path.join(this.root, 'lock'), { wait: this.lockWait });
    try {
      return await fn();
    } finally {
      held.release();
    }
  }

  /** Removes temp files and the staging of pulls that are gone (their lock is free). */
  async sweep() {
    for (const name of await fs.readdir(this.ingest)) {
      const p = path.join(this.ingest, name);
      if (name.startsWith(TMP_PREFIX)) {
        await fs.rm(p, { force: true });
      } else if (name.startsWith(PULL_PREFIX) && !name.endsWith('.lock')) {
        const held = b.tryLock(`${p}.lock`, true);
        if (held) {
          await fs.rm(p, { recursive: true, force: true });
          held.release();
        }
      }
    }
  }

  /** hoist.json as the core's StoreMeta (no lock: files change only by rename). */
  async readMeta() {
    const bytes = await readBounded(this.hoistJson());
    if (bytes === null) throw new HoistError('store-corrupt', `${this.hoistJson()}: missing`);
    return b.StoreMeta.fromJson(bytes);
  }

  /** Writes hoist.json, then index.json. Callers hold the store lock. */
  async writeMeta(meta) {
    await writeAtomic(this.ingest, this.hoistJson(), meta.toJson());
    await writeAtomic(this.ingest, this.indexJson(), meta.indexJson());
  }

  /** Applies `op(meta)` (tag, untag, rmi…) under the store lock; writes when it changed anything. */
  async update(op) {
    return this.locked(async () => {
      const meta = await this.readMeta();
      const changes = op(meta);
      if (changes.length > 0) await this.writeMeta(meta);
      return changes;
    });
  }

  /** The committed size of `digest`, or null. */
  async stat(digest) {
    return fileLen(this.blobPath(digest));
  }

  /** Reads a committed blob of at most `limit` bytes, checked against its digest. */
  async readBlob(digest, limit) {
    const p = this.blobPath(digest);
    const len = await fileLen(p);
    if (len === null) throw new HoistError('blob-missing', `blob ${digest} is missing`);
    if (len > limit) throw new HoistError('blob-too-large', `blob ${digest} is ${len} bytes`);
    const bytes = await fs.readFile(p);
    const v = new b.Verifier(digest);
    v.update(bytes);
    if (!v.check().digest) throw new HoistError('store-corrupt', `${p}: content does not match`);
    return bytes;
  }

  /** Starts one pull's staging (ingest/pull-<id>/, held by ingest/pull-<id>.lock). */
  async beginPull() {
    for (;;) {
      const name = `${PULL_PREFIX}${uniqueSuffix()}`;
      const held = b.tryLock(path.join(this.ingest, `${name}.lock`), true);
      if (!held) continue;
      const dir = path.join(this.ingest, name);
      await fs.mkdir(dir);
      return new Staging(this, dir, held);
    }
  }
}

/** One pull's staging area: nothing outside ingest/ changes before `commit`. */
class Staging {
  constructor(store, dir, held) {
    this.store = store;
    this.dir = dir;
    this.held = held;
    this.staged = new Map(); // digest -> size
    this.discarded = false;
    /** Operations creating entries in `dir` right now (see `track`). */
    this.inflight = new Set();
  }

  /**
   * Runs `fn`, which creates an entry in this staging directory, as a tracked operation:
   * `discard` waits for every tracked one before it removes the directory. Otherwise an
   * abort could race a rename or link into it, and the recursive removal failed with
   * ENOTEMPTY (seen once in the aborted-pull test under load).
   */
  async track(fn) {
    this.checkLive();
    const p = fn();
    this.inflight.add(p);
    try {
      return await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  pathOf(digest) { return path.join(this.dir, stem(digest)); }

  checkLive() {
    if (this.discarded) throw new HoistError('store-discarded', 'pull already finished');
  }

  /** Stages a small document the machine verified (checked again here). */
  async putBlob(digest, bytes) {
    this.checkLive();
    const v = new b.Verifier(digest, bytes.length);
    v.update(bytes);
    const out = v.check();
    if (!out.digest) throw new HoistError(out.failure.kind, `blob ${digest} does not verify`);
    if (this.staged.has(digest)) return;
    await this.track(() => writeAtomic(this.dir, this.pathOf(digest), bytes));
    this.staged.set(digest, bytes.length);
  }

  /**
   * A writer for blob `digest` of `size` bytes continuing at `offset`, or null when the
   * blob is already staged or committed (then pinned into this staging by a hard link).
   * Waits for the blob's ingest lock, which excludes other writers of it (any host).
   */
  async blobWriter(digest, size, offset, signal) {
    this.checkLive();
    const s = stem(digest);
    const held = await lock(path.join(this.store.ingest, `${s}.lock`), { removable: true, signal });
    try {
      if (this.staged.has(digest)) {
        held.release();
        return null;
      }
      const own = this.pathOf(digest);
      const committed = await this.store.stat(digest);
      if (committed !== null) {
        if (committed !== size) throw new HoistError('size-mismatch', `blob ${digest} is ${committed} bytes, not ${size}`);
        await this.track(async () => {
          try {
            await fs.link(this.store.blobPath(digest), own);
          } catch (e) {
            if (e.code !== 'EEXIST') throw ioError('link', own, e);
          }
        });
        this.staged.set(digest, committed);
        held.release();
        return null;
      }
      const partial = path.join(this.store.ingest, `${s}.partial`);
      const fh = await fs.open(partial, 'a+').then((f) => f.close()).then(() => fs.open(partial, 'r+'));
      const existing = (await fh.stat()).size;
      const keep = Math.min(offset, existing, size);
      if (keep < existing) await fh.truncate(keep);
      const verifier = new b.Verifier(digest, size);
      const buf = Buffer.allocUnsafe(CHUNK);
      let pos = 0;
      while (pos < keep) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, keep - pos), pos);
        if (bytesRead === 0) break;
        // `keep` is at most the declared size, so this cannot outgrow it.
        await verifier.updateAsync([buf.subarray(0, bytesRead)]);
        pos += bytesRead;
      }
      return new BlobWriter(this, digest, size, fh, partial, verifier, pos, held);
    } catch (e) {
      held.release();
      throw e;
    }
  }

  /**
   * Commits one image under the store lock: checks that the manifest and every blob in
   * `blobs` is committed or staged, records the pull in hoist.json (the core decides
   * names and tag moves), moves staged blobs into blobs/, fsyncs, then writes hoist.json
   * and index.json. Nothing visible changes if a check fails.
   */
  async commit(blobs, manifest, record, nowUnix) {
    this.checkLive();
    return this.store.locked(async () => {
      const needed = [];
      for (const digest of new Set([manifest.digest, ...blobs])) {
        const committed = await this.store.stat(digest);
        const staged = this.staged.has(digest);
        if (committed === null && !staged) {
          throw new HoistError('blob-missing', `blob ${digest} is missing (needed by image ${record.id})`);
        }
        const len = committed ?? this.staged.get(digest);
        if (digest === manifest.digest && len !== manifest.size) {
          throw new HoistError('size-mismatch', `manifest ${digest} is ${len} bytes, not ${manifest.size}`);
        }
        if (staged) needed.push([digest, committed !== null]);
      }
      const meta = await this.store.readMeta();
      const stored = meta.recordPull(record, manifest, nowUnix);
      const dirs = new Set();
      for (const [digest, present] of needed) {
        const src = this.pathOf(digest);
        if (present) {
          await fs.rm(src, { force: true });
        } else {
          const dest = this.store.blobPath(digest);
          await fs.mkdir(path.dirname(dest), { recursive: true });
          await fs.rename(src, dest);
          dirs.add(path.dirname(dest));
        }
        this.staged.delete(digest);
      }
      for (const dir of dirs) await syncDir(dir);
      await this.store.writeMeta(meta);
      return stored;
    });
  }

  /** Removes everything this pull staged; the visible store is untouched. */
  async discard() {
    if (this.discarded) return;
    this.discarded = true;
    this.staged.clear();
    await Promise.allSettled([...this.inflight]);
    await fs.rm(this.dir, { recursive: true, force: true });
    this.held.release();
  }
}

/**
 * Streams one blob into ingest/<alg>-<hex>.partial through the core's Verifier. Chunks come
 * in batches: each batch is written with one positioned `writev` while the core hashes it
 * on a libuv worker (`Verifier.updateAsync`), so neither the disk nor the hash holds the
 * event loop that reads the network.
 *
 * Every FLUSH_EVERY bytes a `datasync` starts in the background (one at a time), as the
 * native store starts write-back every 8 MiB: the disk writes the blob while it downloads,
 * and the fsync that `finish` must wait for covers only the tail. Without it, each blob's
 * whole body was flushed only at its end (measured: 1.13 s → 0.98 s median for the
 * medium bench image). An early flush's error is kept and thrown by `finish`, because
 * Linux reports a write-back error to one fsync only.
 */
const FLUSH_EVERY = 8 << 20;

class BlobWriter {
  constructor(staging, digest, size, fh, partial, verifier, written, held) {
    Object.assign(this, { staging, digest, size, fh, partial, verifier, written, held });
    this.closed = false;
    this.flushedAt = written;
    this.flushing = null;
    this.flushError = null;
  }

  /** Starts a background `datasync` when FLUSH_EVERY bytes were written since the last. */
  startFlush() {
    if (this.flushing || this.written - this.flushedAt < FLUSH_EVERY) return;
    this.flushedAt = this.written;
    this.flushing = this.fh.datasync().then(
      () => { this.flushing = null; },
      (e) => { this.flushing = null; this.flushError ??= e; },
    );
  }

  /**
   * Appends a batch of chunks (which must not change until this settles; one batch at a
   * time). Returns null, or the transport failure to report (a stream longer than
   * declared: the partial file is then removed). Throws on a store error.
   */
  async write(chunks) {
    let len = 0;
    for (const c of chunks) len += c.length;
    const [hashed, wrote] = await Promise.allSettled([
      this.verifier.updateAsync(chunks),
      writeAll(this.fh, chunks, len, this.written),
    ]);
    if (wrote.status === 'rejected') throw ioError('write', this.partial, wrote.reason);
    if (hashed.status === 'rejected') throw hashed.reason;
    if (hashed.value) {
      await this.close(true);
      return hashed.value;
    }
    this.written += len;
    this.startFlush();
    return null;
  }

  /**
   * Ends the stream: fsync, verify (a wrong blob's partial file is deleted), move into
   * this pull's staging. Returns null, or the transport failure to report.
   */
  async finish() {
    await this.flushing;
    if (this.flushError) {
      // What reached the disk is unknown: the partial file cannot serve a resume.
      const e = this.flushError;
      await this.close(true);
      throw ioError('fsync', this.partial, e);
    }
    await this.fh.sync();
    const out = this.verifier.check();
    if (!out.digest) {
      await this.close(out.failure.kind === 'digest-mismatch');
      return out.failure;
    }
    await this.fh.close();
    this.closed = true;
    const own = this.staging.pathOf(this.digest);
    try {
      await this.staging.track(async () => {
        await fs.rename(this.partial, own);
        await syncDir(this.staging.dir);
      });
      this.staging.staged.set(this.digest, this.size);
    } finally {
      this.held.release();
    }
    return null;
  }

  /** Stops writing; keeps the partial file for a resume unless `remove`. */
  async close(remove = false) {
    // A background flush must not run on a closed (or reused) descriptor.
    await this.flushing;
    if (!this.closed) {
      this.closed = true;
      await this.fh.close();
    }
    if (remove) await fs.rm(this.partial, { force: true });
    this.held.release();
  }
}

/** Writes `chunks` (`len` bytes in all) at `position`, finishing short writes. */
async function writeAll(fh, chunks, len, position) {
  let off = (await fh.writev(chunks, position)).bytesWritten;
  if (off === len) return;
  const all = Buffer.concat(chunks, len);
  while (off < len) {
    const { bytesWritten } = await fh.write(all, off, len - off, position + off);
    if (bytesWritten === 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    off += bytesWritten;
  }
}

module.exports = { FsStore, Staging, BlobWriter };
