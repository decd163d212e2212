'use strict';
// The binding's surface: the typings cover every export, errors are `Error`s with the
// core's code (and no secrets), and the pull machine can be driven by hand.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./helpers');
const h = require('../../hosts/node');

const enc = (s) => new TextEncoder().encode(s);

function declared(file) {
  const text = fs.readFileSync(file, 'utf8');
  return new Set([...text.matchAll(/^export (?:declare )?(?:function|class) (\w+)/gm)].map((m) => m[1]));
}

test('index.d.ts declares exactly the runtime exports', () => {
  const types = new Set([
    ...declared(path.join(ROOT, 'bindings', 'node', 'index.d.ts')),
    ...declared(path.join(ROOT, 'hosts', 'node', 'index.d.ts')),
  ]);
  const runtime = new Set(Object.keys(h));
  assert.deepStrictEqual([...runtime].filter((n) => !types.has(n)).sort(), [], 'exported but not typed');
  assert.deepStrictEqual([...types].filter((n) => !runtime.has(n)).sort(), [], 'typed but not exported');
});

test('the ES module entry exports the same names', async () => {
  const esm = await import(path.join(ROOT, 'hosts', 'node', 'index.mjs'));
  assert.deepStrictEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), Object.keys(h).sort());
});

function throwsCode(f, code) {
  assert.throws(f, (e) => {
    assert.ok(e instanceof Error, 'an Error');
    assert.strictEqual(e.code, code, e.message);
    assert.ok(e.message.length > 0);
    return true;
  });
}

test('errors carry the core codes', () => {
  throwsCode(() => h.parseReference('UPPER'), 'name-contains-uppercase');
  throwsCode(() => h.parseNormalized(''), 'invalid-reference-format');
  throwsCode(() => h.parseDigest('sha256:abc'), 'invalid-digest-length');
  throwsCode(() => h.Filter.parse(['nope=1']), 'unknown-filter-key');
  throwsCode(() => h.parsePlatform('linux/amd64/v8/x'), 'invalid-platform');
  throwsCode(() => h.parseManifest(enc('{"schemaVersion":2,"schemaVersion":2}')), 'duplicate-key');
  throwsCode(() => h.validateRealm('ftp://x/token', false), 'realm-unsupported-scheme');
  throwsCode(() => new h.ImageIndex().resolve('redis'), 'image-not-known');
  const v = new h.Verifier(h.digestOf('sha256', enc('abc')), 3);
  v.update(enc('abd'));
  throwsCode(() => v.finish(), 'digest-mismatch');
  const w = new h.Verifier(h.digestOf('sha256', enc('abc')), 2);
  throwsCode(() => w.update(enc('abc')), 'size-mismatch');
  throwsCode(() => new h.Puller('redis', null, -1), 'invalid-argument');
  throwsCode(() => h.authFileForWrite({}), 'auth-file-location-unknown');
  throwsCode(() => h.authFileForWrite({ xdgRuntimeDir: '/run/user/7', xdgRuntimeDirMissing: true }), 'xdg-runtime-dir-missing');
});

test('auth file locations: null, absent and empty are unset; extra properties are ignored', () => {
  const env = { registryAuthFile: null, xdgRuntimeDir: '', xdgConfigHome: undefined, home: '/h', dockerConfig: null, uid: 5, path: '/bin' };
  assert.deepStrictEqual(h.authFilePaths(env), [
    { path: '/run/containers/5/auth.json', legacy: false },
    { path: '/h/.config/containers/auth.json', legacy: false },
    { path: '/h/.docker/config.json', legacy: false },
    { path: '/h/.dockercfg', legacy: true },
  ]);
  assert.strictEqual(h.authFileForWrite(env), '/run/containers/5/auth.json');
  throwsCode(() => h.authFilePaths({ home: 7 }), 'invalid-argument');
  throwsCode(() => h.authFilePaths({ uid: -1 }), 'invalid-argument');
});

test('secrets stay out of error messages', () => {
  const secret = 'hunter2-very-secret';
  assert.throws(
    () => h.decodeAuthConfig({ auth: Buffer.from(`user${secret}`).toString('base64') }, 'example.com'),
    (e) => typeof e.code === 'string' && !e.message.includes(secret),
  );
  assert.throws(
    () => h.parseDockerConfig(enc(`{"auths":{"x":{"auth":"${Buffer.from(`u${secret}`).toString('base64')}"}}}`)).lookupCredentials('x'),
    (e) => typeof e.code === 'string' && !e.message.includes(secret),
  );
});

test('bytes are Uint8Array, times numbers', () => {
  const idx = new h.ImageIndex();
  assert.ok(idx.toJson() instanceof Uint8Array);
  const config = enc('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  assert.strictEqual(h.imageId(config), h.digestOf('sha256', config));
  assert.strictEqual(typeof h.parseTimestamp('2015-10-31T22:22:56.015925234Z').unixSeconds, 'number');
  const p = new h.Puller('127.0.0.1:1/a:b', { plainHttp: true }, 5);
  assert.strictEqual(typeof p.pollOutput().id, 'number');
});

test('the pull machine driven by hand', () => {
  const p = new h.Puller('127.0.0.1:1/test/app:v1', { plainHttp: true, platform: 'linux/amd64' }, 0);
  const req = p.pollOutput();
  assert.strictEqual(req.kind, 'http');
  assert.strictEqual(req.method, 'HEAD');
  assert.strictEqual(req.url, 'http://127.0.0.1:1/v2/test/app/manifests/v1');
  assert.strictEqual(p.pollOutput().kind, 'wait');
  throwsCode(() => p.handleInput({ kind: 'teleport' }), 'invalid-argument');
  p.handleInput({ kind: 'http-response', id: req.id, status: 404, headers: [['Content-Type', 'application/json']], now: 1 });
  const body = p.pollOutput();
  assert.strictEqual(body.kind, 'body');
  assert.strictEqual(body.action.kind, 'discard');
  // A 404 to the HEAD resolve: the manifest is unknown (the machine decides, not the host).
  throwsCode(() => p.handleInput({ kind: 'http-body', id: req.id, bytes: new Uint8Array(0), now: 2 }), 'manifest-unknown');
  // After an error, every call gives the same error.
  throwsCode(() => p.pollOutput(), 'manifest-unknown');
  throwsCode(() => p.handleInput({ kind: 'timeout', now: 9 }), 'manifest-unknown');
});

test('reference functions: documented objects and thrown coded Errors', () => {
  // Required keys first, then the optional ones present (the order JSON shows).
  const r = h.parseReference('registry.example:5000/a/b:v1@sha256:' + 'e'.repeat(64));
  assert.deepStrictEqual(Object.keys(r), ['path', 'name', 'string', 'familiar', 'canonical', 'domain', 'tag', 'digest']);
  assert.strictEqual(r.domain, 'registry.example:5000');
  assert.strictEqual(r.tag, 'v1');
  assert.deepStrictEqual(Object.keys(h.parseReference('redis')), ['path', 'name', 'string', 'familiar', 'canonical']);
  assert.deepStrictEqual(h.parseNormalized('redis'), {
    path: 'library/redis', name: 'docker.io/library/redis', string: 'docker.io/library/redis',
    familiar: 'redis', canonical: 'docker.io/library/redis:latest', domain: 'docker.io',
  });
  assert.strictEqual(h.withTag('redis', 'x').tag, 'x');
  for (const [f, code] of [
    [() => h.parseReference('UPPER'), 'name-contains-uppercase'],
    [() => h.parseNormalized(''), 'invalid-reference-format'],
    [() => h.withTag('redis', '-bad'), 'invalid-tag-format'],
    [() => h.withDigest('redis', 'sha256:zz'), 'invalid-digest-length'],
    [() => h.parseDockerRef('a'.repeat(300)), 'name-too-long'],
  ]) {
    let thrown;
    try { f(); } catch (e) { thrown = e; }
    assert.ok(thrown instanceof Error, String(f));
    assert.strictEqual(thrown.code, code, String(f));
    assert.match(thrown.stack, /api\.test\.js/, 'the stack shows the caller');
  }
  // Long and non-ASCII arguments take the general string path.
  assert.throws(() => h.parseReference(`x/${'é'.repeat(400)}`), { code: 'invalid-reference-format' });
  assert.throws(() => h.parseReference(42), (e) => e instanceof Error);
});

test('Verifier.updateAsync hashes off the event loop, in order, with the core judging', async () => {
  const crypto = require('node:crypto');
  const bytes = crypto.randomBytes(3 << 20);
  const digest = `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
  const v = new h.Verifier(digest, bytes.length);
  const parts = [bytes.subarray(0, 100), bytes.subarray(100, 1 << 20), bytes.subarray(1 << 20)];
  assert.strictEqual(await v.updateAsync(parts.slice(0, 2)), null);
  assert.strictEqual(await v.updateAsync(parts.slice(2)), null);
  assert.strictEqual(v.bytesVerified, bytes.length);
  assert.deepStrictEqual(v.check(), { digest });
  await assert.rejects(v.updateAsync([bytes]), (e) => e instanceof Error, 'finished');

  const over = new h.Verifier(digest, 10);
  assert.deepStrictEqual(await over.updateAsync([bytes.subarray(0, 8), bytes.subarray(8, 20)]), { kind: 'size-mismatch', actual: 20 });

  const wrong = new h.Verifier(digest, bytes.length);
  await wrong.updateAsync([Buffer.alloc(bytes.length)]);
  assert.strictEqual(wrong.check().failure.kind, 'digest-mismatch');
});
