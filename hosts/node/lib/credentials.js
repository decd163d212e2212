'use strict';
// Registry credentials for a pull without `auth`: the auth files podman, skopeo and docker
// write, read in containers/image's order, and the `docker-credential-*` helpers they
// name. The same order and rules as the native host (hosts/native/src/credentials/):
// which files, in which order (authFilePaths), and what a file or a helper's output says
// are the core's (DockerConfig.lookupCredentials, parseHelperOutput, isHelperNotFound,
// sameRegistry, helperServerUrl); this file measures the environment, reads the files and
// runs the helpers.
const fs = require('node:fs/promises');
const path = require('node:path');
const { spawn } = require('node:child_process');
const b = require('./binding');
const { HoistError } = require('./errors');

/** How long a credential helper may run before it (and its process group) is killed. */
const HELPER_TIMEOUT_MS = 10_000;
/** Bytes of a failing helper's stderr kept for the error message (its first line). */
const STDERR_KEEP = 4096;
const EXCERPT_CHARS = 200;

/**
 * The environment that decides where auth files are and how helpers are found, as a
 * value (tests pass their own). Empty variables count as unset, as in containers/image.
 */
function credentialEnv(env = process.env) {
  const v = (name) => (env[name] ? env[name] : undefined);
  return {
    registryAuthFile: v('REGISTRY_AUTH_FILE'),
    xdgRuntimeDir: v('XDG_RUNTIME_DIR'),
    xdgConfigHome: v('XDG_CONFIG_HOME'),
    home: v('HOME'),
    dockerConfig: v('DOCKER_CONFIG'),
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
    path: v('PATH'),
  };
}

/**
 * Whether `dir` is known not to exist: `stat` failed with ENOENT (containers/image checks
 * `fs.ErrNotExist`; any other outcome is left for the read to report). The core cannot
 * look, so this one fact is measured here.
 */
async function missing(dir) {
  try {
    await fs.stat(dir);
    return false;
  } catch (err) {
    return err.code === 'ENOENT';
  }
}

/**
 * The auth files to read, in order, as the core decides them (`authFilePaths`,
 * containers/image `getAuthFilePaths`): `[{path, legacy}]`. Only whether the
 * `XDG_RUNTIME_DIR` directory is missing is measured here.
 */
async function authFiles(e) {
  const xdgRuntimeDirMissing = e.xdgRuntimeDir ? await missing(e.xdgRuntimeDir) : false;
  return b.authFilePaths({ ...e, xdgRuntimeDirMissing });
}

/** Reads and parses one auth file (at most the core's limit plus one byte); null when missing. */
async function loadAuthFile({ path: file, legacy }) {
  let fh;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw new HoistError('auth-file-unreadable', `${file}: ${e.code || e.message}`);
  }
  let bytes;
  try {
    const buf = Buffer.alloc(b.maxDockerConfigSize() + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    bytes = buf.subarray(0, bytesRead);
  } catch (e) {
    throw new HoistError('auth-file-unreadable', `${file}: ${e.code || e.message}`);
  } finally {
    await fh.close();
  }
  try {
    return b.parseDockerConfig(bytes, legacy);
  } catch (e) {
    throw named(e, file);
  } finally {
    bytes.fill(0); // the bytes may hold secrets
  }
}

/** A core error about `file`, with the file named (the core's messages carry no secret). */
function named(e, file) {
  return typeof e?.code === 'string' ? new HoistError(e.code, `${file}: ${e.message}`) : e;
}

/**
 * The credentials for registry `host`, and for `repository` on it when known (so
 * namespaced keys such as `quay.io/org` match). The first file whose entry yields
 * credentials wins; a helper with nothing for the registry lets the search go on, as in
 * containers/image. A corrupt file or entry is an error naming the file, never silent
 * anonymous access.
 */
async function resolveCredentials(host, repository, e = credentialEnv(), timeoutMs = HELPER_TIMEOUT_MS) {
  const key = repository && b.sameRegistry(host, repository.split('/')[0]) ? repository : host;
  for (const auth of await authFiles(e)) {
    const config = await loadAuthFile(auth);
    if (config === null) continue;
    let lookup;
    try {
      lookup = config.lookupCredentials(key);
    } catch (err) {
      throw named(err, auth.path);
    }
    if (lookup.kind === 'credentials' && lookup.credentials.kind !== 'anonymous') return lookup.credentials;
    if (lookup.kind === 'helper') {
      const credentials = await helperGet(lookup.helper, b.helperServerUrl(host), e, timeoutMs);
      if (credentials.kind !== 'anonymous') return credentials;
    }
  }
  return { kind: 'anonymous' };
}

/** `docker-credential-<helper>` on PATH (absolute entries only, as Go's exec.LookPath). */
async function findHelper(helper, e) {
  // eslint-disable-next-line no-control-regex
  if (!helper || /[/\\\x00-\x1f\x7f]/.test(helper)) {
    throw new HoistError('credential-helper-invalid-name', `invalid credential helper name ${JSON.stringify(helper.slice(0, 80))}`);
  }
  for (const dir of (e.path ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, `docker-credential-${helper}`);
    try {
      const st = await fs.stat(candidate);
      if (st.isFile() && (st.mode & 0o111) !== 0) return candidate;
    } catch {
      // not here
    }
  }
  throw new HoistError('credential-helper-not-found', `credential helper docker-credential-${helper} not found`);
}

/**
 * `docker-credential-<helper> get` with `serverUrl` on stdin: the credentials, or
 * anonymous when the helper has none. It runs in its own process group, which is killed
 * when it outlives `timeoutMs`; stdout is capped at the core's limit.
 */
async function helperGet(helper, serverUrl, e, timeoutMs) {
  const program = await findHelper(helper, e);
  const limit = b.maxHelperOutputSize() + 1;
  const out = await new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], {
      env: { ...process.env, ...(e.path !== undefined ? { PATH: e.path } : {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout = [];
    let stdoutLen = 0;
    let stderr = Buffer.alloc(0);
    let timedOut = false;
    const kill = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => { timedOut = true; kill(); }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new HoistError(err.code === 'ENOENT' ? 'credential-helper-not-found' : 'credential-helper-io', `docker-credential-${helper}: ${err.code || err.message}`));
    });
    child.stdout.on('data', (c) => {
      if (stdoutLen < limit) stdout.push(c.subarray(0, limit - stdoutLen));
      stdoutLen += c.length;
    });
    child.stderr.on('data', (c) => {
      if (stderr.length < STDERR_KEEP) stderr = Buffer.concat([stderr, c]).subarray(0, STDERR_KEEP);
    });
    child.stdin.on('error', () => {}); // a helper that exits without reading its input
    child.stdin.end(serverUrl);
    child.on('close', (status) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new HoistError('credential-helper-timeout', `credential helper docker-credential-${helper} did not answer within ${timeoutMs} ms`));
      } else {
        resolve({ status, stdout: Buffer.concat(stdout), stderr });
      }
    });
  });
  if (b.isHelperNotFound(out.stdout) || b.isHelperNotFound(out.stderr)) return { kind: 'anonymous' };
  if (out.status !== 0) {
    throw new HoistError('credential-helper-failed', `credential helper docker-credential-${helper} failed (status ${out.status}): ${firstLine(out.stderr)}`);
  }
  try {
    return b.parseHelperOutput(out.stdout);
  } catch (err) {
    throw typeof err?.code === 'string' ? new HoistError(err.code, `docker-credential-${helper}: ${err.message}`) : err;
  }
}

/** The first line of a helper's stderr, cut, control characters replaced (never its stdout: it may hold a secret). */
function firstLine(bytes) {
  const line = bytes.toString('utf8').trimStart().split('\n')[0].trimEnd();
  // eslint-disable-next-line no-control-regex
  return [...line].slice(0, EXCERPT_CHARS).join('').replace(/[\x00-\x1f\x7f]/g, '?');
}

module.exports = { credentialEnv, authFiles, resolveCredentials, HELPER_TIMEOUT_MS };
