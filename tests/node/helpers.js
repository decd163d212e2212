'use strict';
// Shared by the Node tests: paths of the workspace builds, a real docker-registry (through
// the testkit's node-registry helper), the native `hoist` CLI, canonical JSON.
const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
const PROFILE = process.env.HOIST_PROFILE || 'debug';
const bin = (name) => path.join(TARGET, PROFILE, name);
const HOST = path.join(ROOT, 'hosts', 'node');

/** Starts docker-registry with test images pushed; `stop()` ends it (and its files). */
async function startRegistry(setup = 'no-auth') {
  const child = spawn(bin(path.join('examples', 'node-registry')), [setup], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const rl = readline.createInterface({ input: child.stdout });
  const line = await new Promise((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`node-registry exited with ${code}`)));
  });
  rl.close();
  const info = JSON.parse(line);
  info.stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.stdin.end();
  });
  return info;
}

/** Runs the native `hoist` CLI with an isolated environment; returns stdout. */
function hoist(store, args) {
  return execFileSync(bin('hoist'), ['--store', store, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: path.join(store, '..', 'home'),
      CONTAINERS_REGISTRIES_CONF: '/dev/null',
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A fresh temp directory, removed by the returned cleanup. */
function tempDir(prefix = 'hoist-node-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * JSON with object keys sorted by UTF-16 code units and no whitespace: the form in which
 * dump-vectors prints the native outputs (tests/conformance/src/lib.rs canonical_json).
 */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  // The binding returns integers beyond 2^53 as BigInt (exact); the native dump, read
  // with JSON.parse, holds them as the nearest double, so compare in that form.
  if (typeof v === 'bigint') return JSON.stringify(Number(v));
  return JSON.stringify(v);
}

/** Every file under `dir`, relative path → bytes. */
function readTree(dir, skip = () => false) {
  const out = new Map();
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (skip(rel)) continue;
      if (e.isDirectory()) walk(p);
      else out.set(rel, fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

module.exports = { ROOT, TARGET, HOST, bin, startRegistry, hoist, tempDir, canonical, readTree };
