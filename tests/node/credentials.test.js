'use strict';
// Credentials for pulls without `auth`: auth files in containers/image's order and
// `docker-credential-*` helpers (hosts/node/lib/credentials.js), against the REAL
// docker-registry with htpasswd auth. This file's process owns its environment: each
// test sets HOME, XDG_* and PATH for the pulls it makes and restores them.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { startRegistry, tempDir } = require('./helpers');
const h = require('../../hosts/node');
const { authFiles, credentialEnv } = require('../../hosts/node/lib/credentials');

const VARS = ['HOME', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'DOCKER_CONFIG', 'REGISTRY_AUTH_FILE', 'PATH'];

/** Sets the credential variables for one test (unset unless given), restored after it. */
function withEnv(t, vars) {
  const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  for (const k of VARS) {
    if (k === 'PATH') continue;
    delete process.env[k];
  }
  Object.assign(process.env, vars);
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

const authJson = (host, username, password) => JSON.stringify({
  auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } },
});

function write(file, text, mode = 0o600) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode });
}

test('auth file order follows containers/image', async () => {
  const files = (env) => authFiles(credentialEnv(env)).then((l) => l.map((f) => `${f.path}${f.legacy ? ' (legacy)' : ''}`));
  assert.deepStrictEqual(await files({ REGISTRY_AUTH_FILE: '/a/auth.json', HOME: '/h' }), ['/a/auth.json']);
  const uid = process.getuid();
  assert.deepStrictEqual(await files({ HOME: '/h' }), [
    `/run/containers/${uid}/auth.json`, '/h/.config/containers/auth.json', '/h/.docker/config.json', '/h/.dockercfg (legacy)',
  ]);
  const tmp = tempDir();
  try {
    assert.deepStrictEqual(await files({ HOME: '/h', XDG_RUNTIME_DIR: tmp.dir, XDG_CONFIG_HOME: '/x', DOCKER_CONFIG: '/d' }), [
      path.join(tmp.dir, 'containers/auth.json'), '/x/containers/auth.json', '/d/config.json', '/h/.dockercfg (legacy)',
    ]);
    // A runtime directory that does not exist is skipped for reading.
    assert.deepStrictEqual(await files({ HOME: '/h', XDG_RUNTIME_DIR: path.join(tmp.dir, 'nope') }), [
      '/h/.config/containers/auth.json', '/h/.docker/config.json', '/h/.dockercfg (legacy)',
    ]);
    // Only ENOENT counts as missing (containers/image's fs.ErrNotExist, as the native
    // host): a file in its place is kept, and reading it later finds nothing (ENOTDIR).
    const notDir = path.join(tmp.dir, 'file');
    fs.writeFileSync(notDir, '');
    assert.deepStrictEqual((await files({ HOME: '/h', XDG_RUNTIME_DIR: notDir }))[0], path.join(notDir, 'containers/auth.json'));
  } finally {
    tmp.cleanup();
  }
});

test('pulls without auth read auth files and helpers (htpasswd registry)', async (t) => {
  const reg = await startRegistry('basic');
  const tmp = tempDir();
  t.after(async () => { await reg.stop(); tmp.cleanup(); });
  const { username, password } = reg.credentials;
  let n = 0;
  const store = () => path.join(tmp.dir, `store-${n++}`);
  const ref = reg.images.app.reference;
  const ok = async (options) => assert.strictEqual((await h.pull(ref, { store: store(), plainHttp: true, ...options })).record.id, reg.images.app.config);

  await t.test('no file: anonymous, refused', async (t) => {
    withEnv(t, { HOME: path.join(tmp.dir, 'empty-home') });
    await assert.rejects(h.pull(ref, { store: store(), plainHttp: true }), (e) => /^[a-z0-9-]+$/.test(e.code));
  });

  await t.test('authFile (podman --authfile), and auth: null stays anonymous', async (t) => {
    withEnv(t, { HOME: path.join(tmp.dir, 'empty-home') });
    const file = path.join(tmp.dir, 'explicit', 'auth.json');
    write(file, authJson(reg.host, username, password));
    await ok({ authFile: file });
    await assert.rejects(h.pull(ref, { store: store(), plainHttp: true, authFile: file, auth: null }), (e) => /^[a-z0-9-]+$/.test(e.code));
  });

  await t.test('containers auth.json is read before docker config.json', async (t) => {
    const home = path.join(tmp.dir, 'home-order');
    withEnv(t, { HOME: home });
    write(path.join(home, '.docker', 'config.json'), authJson(reg.host, username, 'wrong-password'));
    write(path.join(home, '.config', 'containers', 'auth.json'), authJson(reg.host, username, password));
    await ok({});
    // With only the wrong docker entry left, the pull is refused: the files were read.
    fs.rmSync(path.join(home, '.config'), { recursive: true });
    await assert.rejects(h.pull(ref, { store: store(), plainHttp: true }), (e) => /^[a-z0-9-]+$/.test(e.code));
  });

  await t.test('a corrupt auth file is an error naming it, not anonymous access', async (t) => {
    const home = path.join(tmp.dir, 'home-corrupt');
    withEnv(t, { HOME: home });
    const file = path.join(home, '.docker', 'config.json');
    write(file, '{"auths": ');
    await assert.rejects(h.pull(ref, { store: store(), plainHttp: true }), (e) => e.code === 'docker-config-invalid-json' && e.message.includes(file));
  });

  await t.test('credHelpers runs docker-credential-* with the host on stdin', async (t) => {
    const home = path.join(tmp.dir, 'home-helper');
    const bin = path.join(tmp.dir, 'bin');
    const seen = path.join(tmp.dir, 'helper-stdin');
    withEnv(t, { HOME: home, PATH: `${bin}${path.delimiter}${process.env.PATH}` });
    write(path.join(bin, 'docker-credential-hoisttest'), `#!/bin/sh
[ "$1" = get ] || exit 3
cat > '${seen}'
printf '{"ServerURL":"x","Username":"%s","Secret":"%s"}' '${username}' '${password}'
`, 0o755);
    write(path.join(home, '.docker', 'config.json'), JSON.stringify({ credHelpers: { [reg.host]: 'hoisttest' } }));
    await ok({});
    assert.strictEqual(fs.readFileSync(seen, 'utf8'), reg.host);

    // "credentials not found" from the helper: anonymous, and the search goes on.
    write(path.join(bin, 'docker-credential-hoistnone'), '#!/bin/sh\necho "credentials not found in native keychain"\nexit 1\n', 0o755);
    write(path.join(home, '.docker', 'config.json'), JSON.stringify({ credsStore: 'hoistnone' }));
    await assert.rejects(h.pull(ref, { store: store(), plainHttp: true }), (e) => /^[a-z0-9-]+$/.test(e.code) && !e.code.startsWith('credential-helper'));

    // A failing helper: its code, the first line of its stderr, nothing of its stdout.
    write(path.join(bin, 'docker-credential-hoistfail'), '#!/bin/sh\necho \'{"Secret":"leaked"}\'\necho "boom: no keychain" >&2\nexit 2\n', 0o755);
    write(path.join(home, '.docker', 'config.json'), JSON.stringify({ credsStore: 'hoistfail' }));
    await assert.rejects(h.pull(ref, { store: store(), plainHttp: true }),
      (e) => e.code === 'credential-helper-failed' && e.message.includes('boom: no keychain') && !e.message.includes('leaked'));

    write(path.join(home, '.docker', 'config.json'), JSON.stringify({ credsStore: 'missing-helper' }));
    await assert.rejects(h.pull(ref, { store: store(), plainHttp: true }), { code: 'credential-helper-not-found' });
  });

  await t.test('a helper that hangs is killed at the timeout, with what it started', async (t) => {
    const home = path.join(tmp.dir, 'home-hang');
    const bin = path.join(tmp.dir, 'bin-hang');
    const pids = path.join(tmp.dir, 'hang-pids');
    withEnv(t, { HOME: home, PATH: `${bin}${path.delimiter}${process.env.PATH}` });
    write(path.join(bin, 'docker-credential-hoisthang'), `#!/bin/sh
sleep 30 &
echo "$$ $!" > '${pids}'
wait
`, 0o755);
    write(path.join(home, '.docker', 'config.json'), JSON.stringify({ credsStore: 'hoisthang' }));
    const started = Date.now();
    await assert.rejects(h.pull(ref, { store: store(), plainHttp: true, credentialHelperTimeout: 300 }), { code: 'credential-helper-timeout' });
    assert.ok(Date.now() - started < 10_000, 'did not wait for the helper');
    // Alive: the process exists and is not a zombie (an orphan's reaper may be slow).
    const alive = (pid) => {
      try {
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    const [shell, sleeper] = fs.readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    for (let i = 0; i < 50 && (alive(shell) || alive(sleeper)); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!alive(shell) && !alive(sleeper), 'helper and its child killed');
  });
});
