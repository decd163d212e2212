'use strict';
// The few filesystem moves the store is made of: durable atomic replacement, directory
// fsync, unique names, lock polling. Mirrors hosts/native/src/store/fsutil.rs.
const fs = require('node:fs/promises');
const path = require('node:path');
const b = require('./binding');
const { HoistError, cancelled } = require('./errors');

const TMP_PREFIX = 'tmp-';
const PULL_PREFIX = 'pull-';

let counter = 0;
/** A name no other process or thread picks: pid, wall-clock ns, counter. */
function uniqueSuffix() {
  counter += 1;
  return `${process.pid}-${process.hrtime.bigint()}-${counter}`;
}

function ioError(op, p, e) {
  return new HoistError('store-io', `${op} ${p}: ${e.code || e.message}`);
}

/** fsync of a directory, so renames and creations in it survive a crash. */
async function syncDir(dir) {
  let fh;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch (e) {
    throw ioError('fsync directory', dir, e);
  } finally {
    await fh?.close();
  }
}

/**
 * Replaces `dest` with `bytes` so a crash leaves the old or the new content: temp file in
 * `tmpDir` (same filesystem), fsync, rename over `dest`, fsync of `dest`'s directory.
 */
async function writeAtomic(tmpDir, dest, bytes) {
  const tmp = path.join(tmpDir, `${TMP_PREFIX}${path.basename(dest)}-${uniqueSuffix()}`);
  try {
    const fh = await fs.open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, dest);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e instanceof HoistError ? e : ioError('write', dest, e);
  }
  await syncDir(path.dirname(dest));
}

/** The size of the file at `p`, or null when there is none. */
async function fileLen(p) {
  try {
    const st = await fs.stat(p);
    return st.size;
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw ioError('stat', p, e);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the flock-style lock at `p` (the native host's lock files), polling without
 * blocking the event loop. `wait` (ms) bounds the wait: then `store-locked`.
 */
async function lock(p, { removable = false, wait = Infinity, signal } = {}) {
  const deadline = Date.now() + wait;
  let pause = 1;
  for (;;) {
    const held = b.tryLock(p, removable);
    if (held) return held;
    if (signal?.aborted) throw cancelled();
    if (Date.now() >= deadline) throw new HoistError('store-locked', `${p} is locked`);
    await sleep(pause);
    pause = Math.min(pause * 2, 50);
  }
}

module.exports = { TMP_PREFIX, PULL_PREFIX, uniqueSuffix, ioError, syncDir, writeAtomic, fileLen, lock };
