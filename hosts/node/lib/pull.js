'use strict';
// The Node drive loop: runs the core's Puller to the end with node:http(s) and the
// FsStore. Every output of the machine becomes one piece of I/O and every result goes
// back as one input; the loop never looks at a status or a header (the core decides).
//
// Why node:http and not fetch: the machine's contract says a host MUST send exactly the
// headers it is given and MUST NOT follow redirects; fetch (undici) adds
// `accept-encoding`, `accept-language` and `sec-fetch-mode` to every request and
// transparently decompresses bodies, which would change what the digest is computed over.
const http = require('node:http');
const https = require('node:https');
const { performance } = require('node:perf_hooks');
const b = require('./binding');
const { FsStore } = require('./store');
const { HoistError, cancelled } = require('./errors');
const { streamToStore } = require('./ingest');
const { checkHostArguments } = require('./arguments');
const { credentialEnv, resolveCredentials, HELPER_TIMEOUT_MS } = require('./credentials');

/** Report progress to the machine every this many streamed bytes. */
const PROGRESS_EVERY = 1 << 20;
/** No bytes for this long fails the exchange with `timeout` (the machine retries). */
const IDLE_TIMEOUT_MS = 30_000;

const now = () => Math.floor(performance.now());
const nowUnix = () => Math.floor(Date.now() / 1000);

function failureOf(err) {
  const code = String(err?.code || '');
  if (/^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(code)) return { kind: 'connect' };
  if (code === 'ETIMEDOUT' || code === 'hoist-idle-timeout') return { kind: 'timeout' };
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code)) return { kind: 'tls' };
  return { kind: 'reset' };
}

/** `{username, password}`, a credentials object, or a function of the host, as credentials. */
async function credentialsFor(auth, host) {
  const c = typeof auth === 'function' ? await auth(host) : auth;
  if (!c) return { kind: 'anonymous' };
  if (c.kind) return c;
  if (c.username !== undefined) return { kind: 'basic', username: c.username, password: c.password ?? '' };
  return { kind: 'anonymous' };
}

class Driver {
  constructor(puller, { staging, auth, onProgress, signal, agents }) {
    Object.assign(this, { puller, staging, auth, onProgress, signal, agents });
    this.inputs = [];
    this.wake = null;
    this.bodies = new Map(); // request id -> (action) => void
    this.requests = new Set();
    this.finished = false;
  }

  push(input) {
    if (this.finished) return;
    this.inputs.push(input);
    if (this.wake) {
      const w = this.wake;
      this.wake = null;
      w();
    }
  }

  async run() {
    for (;;) {
      const out = this.puller.pollOutput();
      switch (out.kind) {
        case 'http': this.exchange(out); break;
        case 'body': {
          const go = this.bodies.get(out.id);
          this.bodies.delete(out.id);
          go?.(out.action);
          break;
        }
        case 'store': this.store(out); break;
        case 'need-credentials':
          credentialsFor(this.auth, out.host).then(
            (credentials) => this.push({ kind: 'credentials', id: out.id, credentials }),
            (e) => this.push(e instanceof Error ? e : new HoistError('credentials', String(e))),
          );
          break;
        case 'event': this.onProgress?.(out.event); break;
        case 'done': return out.outcome;
        case 'wait': await this.waitInput(out.until); break;
        default: throw new HoistError('internal', `unknown output ${out.kind}`);
      }
    }
  }

  async waitInput(until) {
    if (this.inputs.length === 0) {
      let timer;
      let timedOut = false;
      const onAbort = () => this.wake?.();
      await new Promise((resolve) => {
        this.wake = resolve;
        if (until !== undefined && until !== null) {
          timer = setTimeout(() => { timedOut = true; resolve(); }, Math.max(0, until - now()));
        }
        this.signal?.addEventListener('abort', onAbort, { once: true });
      });
      clearTimeout(timer);
      this.wake = null;
      this.signal?.removeEventListener('abort', onAbort);
      if (this.signal?.aborted) throw cancelled();
      if (timedOut && this.inputs.length === 0) {
        this.puller.handleInput({ kind: 'timeout', now: Math.max(now(), until) });
        return;
      }
    }
    if (this.signal?.aborted) throw cancelled();
    while (this.inputs.length > 0) {
      const input = this.inputs.shift();
      if (input instanceof Error) throw input;
      this.puller.handleInput(input);
    }
  }

  store(out) {
    const { id, action } = out;
    const s = this.staging;
    let p;
    switch (action.kind) {
      case 'stat': p = s.store.stat(action.digest).then((size) => ({ kind: 'stat', size })); break;
      case 'put-blob': p = s.putBlob(action.digest, out.bytes).then(() => ({ kind: 'done' })); break;
      case 'commit':
        p = s.commit(action.blobs, action.manifest, action.record, nowUnix())
          .then((record) => ({ kind: 'committed', record }));
        break;
      default: p = Promise.resolve({ kind: 'failed', message: `unknown store op ${action.kind}` });
    }
    p.catch((e) => ({ kind: 'failed', message: String(e?.message || e) }))
      .then((result) => this.push({ kind: 'store', id, result }));
  }

  exchange(out) {
    const { id } = out;
    const url = new URL(out.url);
    const mod = url.protocol === 'https:' ? https : http;
    // An object (not the raw-array form) so that node:http adds `Host`, as every client
    // must; repeated names keep their order as an array.
    const headers = {};
    for (const [n, v] of out.headers) {
      headers[n] = n in headers ? [].concat(headers[n], v) : v;
    }
    let answered = false;
    const req = mod.request(url, {
      method: out.method,
      headers,
      agent: this.agents[url.protocol === 'https:' ? 'https' : 'http'],
    });
    this.requests.add(req);
    req.setTimeout(IDLE_TIMEOUT_MS, () => {
      const e = new Error('idle timeout');
      e.code = 'hoist-idle-timeout';
      req.destroy(e);
    });
    req.on('error', (e) => {
      // After the head, body errors surface in `body()`.
      if (!answered) {
        answered = true;
        this.push({ kind: 'http-failed', id, failure: failureOf(e), staged: 0, now: now() });
      }
    });
    req.on('close', () => this.requests.delete(req));
    req.on('response', (res) => {
      answered = true;
      const pairs = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
      res.pause();
      this.bodies.set(id, (action) => {
        this.body(id, res, action).catch((e) => {
          res.destroy();
          this.push(e instanceof HoistError && e.code === 'cancelled' ? e : {
            kind: 'http-failed', id, failure: { kind: 'store', message: String(e?.message || e) }, staged: 0, now: now(),
          });
        });
      });
      this.push({ kind: 'http-response', id, status: res.statusCode, headers: pairs, now: now() });
    });
    req.end(out.body ?? undefined);
  }

  async body(id, res, action) {
    const done = (input) => this.push(input);
    if (action.kind === 'discard') {
      res.resume();
      res.on('error', () => {});
      return done({ kind: 'http-body', id, bytes: new Uint8Array(0), now: now() });
    }
    if (action.kind === 'buffer') {
      const max = action.limit + 1;
      const chunks = [];
      let len = 0;
      try {
        for await (const chunk of res) {
          const take = Math.min(chunk.length, max - len);
          chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
          len += take;
          if (len >= max) { res.destroy(); break; }
        }
      } catch (e) {
        return done({ kind: 'http-failed', id, failure: failureOf(e), staged: 0, now: now() });
      }
      return done({ kind: 'http-body', id, bytes: Buffer.concat(chunks, len), now: now() });
    }
    const writer = await this.staging.blobWriter(action.digest, action.size, action.offset, this.signal);
    return done(await streamToStore({
      id, res, writer, now, failureOf, report: done, progressEvery: PROGRESS_EVERY,
    }));
  }

  stop() {
    this.finished = true;
    for (const req of this.requests) req.destroy();
    this.bodies.clear();
  }
}

/**
 * Credentials from the auth files and helpers (./credentials.js) for a pull of
 * `reference`: keyed by its repository on the registry that asks, so namespaced entries
 * (`quay.io/org`) match.
 */
function fromAuthFiles(reference, authFile, timeoutMs = HELPER_TIMEOUT_MS) {
  let repository;
  try {
    repository = b.parseNormalized(reference).name;
  } catch {
    repository = undefined; // the machine reports the bad reference
  }
  const env = credentialEnv();
  if (authFile !== undefined) env.registryAuthFile = authFile;
  return (host) => resolveCredentials(host, repository, env, timeoutMs);
}

/**
 * Pulls `reference` into the store at `options.store` and resolves with the outcome
 * (`{record, resolved_digest, manifest_digest, config_digest, chain_id,
 * bytes_downloaded}`). Errors carry the core's `.code`; a failed or cancelled pull leaves
 * the visible store exactly as it was.
 */
async function pull(reference, options) {
  checkHostArguments('pull', [reference, options]);
  const {
    store: root, auth, authFile, credentialHelperTimeout, platform, onProgress, signal, plainHttp,
    registriesConf, ca, maxConcurrentBlobs,
  } = options;
  if (signal?.aborted) throw cancelled();
  const store = await FsStore.open(root);
  const conf = registriesConf ? b.RegistriesConf.parse(registriesConf) : undefined;
  const puller = new b.Puller(reference, { platform, plainHttp, maxConcurrentBlobs }, now(), conf);
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 16, ca }),
  };
  const staging = await store.beginPull();
  const lookup = auth !== undefined ? auth : fromAuthFiles(reference, authFile, credentialHelperTimeout);
  const driver = new Driver(puller, { staging, auth: lookup, onProgress, signal, agents });
  try {
    const outcome = await driver.run();
    await staging.discard();
    return outcome;
  } catch (e) {
    await staging.discard();
    throw e;
  } finally {
    driver.stop();
    agents.http.destroy();
    agents.https.destroy();
  }
}

module.exports = { pull };
