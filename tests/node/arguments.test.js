'use strict';
// Arguments of the wrong type: every exported function, constructor, static function and
// method of the binding, and the Node host's functions, throw (or reject with) a
// `TypeError` whose `.code` is `invalid-argument` and whose message names the parameter
// and the expected type but never the value. The core's own errors are untouched.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('./helpers');
const h = require('../../hosts/node');
const { functions, classes } = require('../../hosts/node/lib/signatures');

const native = require(process.env.HOIST_NODE_BINDING || path.join(ROOT, 'hosts', 'node', 'index.node'));
const enc = (s) => new TextEncoder().encode(s);
/** A wrong value of a string type carries this, which no message may repeat. */
const SECRET = 'hunter2-secret';

/** An argument error: a TypeError, `invalid-argument`, naming `where` and the parameter. */
function argumentError(where, param) {
  return (e) => {
    assert.ok(e instanceof TypeError, `${where}: a TypeError, got ${e && e.constructor.name}: ${e && e.message}`);
    assert.strictEqual(e.code, 'invalid-argument', e.message);
    const prefix = param === undefined ? `invalid argument: ${where}` : `invalid argument: ${where}(${param}`;
    assert.ok(e.message.startsWith(prefix), `${e.message} starts with ${prefix}`);
    if (param !== undefined) assert.match(e.message, /\): expected .+, got [a-z]/);
    assert.ok(!e.message.includes(SECRET), `no value in: ${e.message}`);
    return true;
  };
}

// ---- the table lists exactly what the binding exports ----

test('the signature table lists every native export, static and method', () => {
  const fns = Object.keys(native).filter((k) => !/^[A-Z]/.test(k)).sort();
  assert.deepStrictEqual(fns, Object.keys(functions).sort(), 'functions');
  const cls = Object.keys(native).filter((k) => /^[A-Z]/.test(k)).sort();
  assert.deepStrictEqual(cls, Object.keys(classes).sort(), 'classes');
  for (const name of cls) {
    const C = native[name];
    const statics = Object.getOwnPropertyNames(C)
      .filter((k) => !['length', 'name', 'prototype', 'arguments', 'caller'].includes(k));
    assert.deepStrictEqual(statics.sort(), Object.keys(classes[name].statics).sort(), `${name} statics`);
    const methods = Object.getOwnPropertyNames(C.prototype).filter((k) => {
      const d = Object.getOwnPropertyDescriptor(C.prototype, k);
      return k !== 'constructor' && typeof d.value === 'function';
    });
    assert.deepStrictEqual(methods.sort(), Object.keys(classes[name].methods).sort(), `${name} methods`);
  }
});

// ---- every parameter of every export, given a value of the wrong type ----

const instances = {
  ImageIndex: () => new h.ImageIndex(),
  Filter: () => h.Filter.parse([]),
  DockerConfig: () => h.DockerConfig.parse(enc('{}')),
  RegistriesConf: () => h.RegistriesConf.parse(''),
};

/** A value Node-API converts to `type` (the core may still reject it; it never runs). */
function valid(type) {
  if (typeof type === 'string') {
    if (type.endsWith('?')) return undefined;
    if (type.endsWith('[]')) return [];
    return { string: 'x', number: 1, boolean: true, bytes: new Uint8Array(0), json: {} }[type] ?? instances[type]();
  }
  if (type.optional) return undefined;
  if (type.arrayOf) return [];
  return Object.fromEntries(Object.entries(type.struct).map(([k, t]) => [k, valid(t)]));
}

/** A value of another type than `type` that Node-API rejects. */
function wrong(type) {
  if (typeof type === 'string') {
    if (type.endsWith('?')) return wrong(type.slice(0, -1));
    if (type === 'string') return 42;
    if (type === 'json') return Symbol(SECRET);
    return SECRET;
  }
  if (type.optional) return wrong(type.optional);
  if (type.arrayOf) return SECRET;
  // Node-API reads the fields of any value given for a struct: make the first one wrong.
  const [[field, t]] = Object.entries(type.struct);
  return { ...valid(type), [field]: wrong(t) };
}

/** Calls for parameter i wrong and the ones before it right. */
function* cases(params) {
  for (let i = 0; i < params.length; i++) {
    yield [params[i][0], [...params.slice(0, i).map(([, t]) => valid(t)), wrong(params[i][1])]];
  }
}

test('every function names the parameter of the wrong type', () => {
  let n = 0;
  for (const [name, params] of Object.entries(functions)) {
    for (const [param, args] of cases(params)) {
      assert.throws(() => h[name](...args), argumentError(name, param), `${name}(${param})`);
      n++;
    }
  }
  assert.ok(n >= 80, `${n} cases`);
});

test('every constructor, static function and method names the parameter of the wrong type', () => {
  const receivers = {
    ...instances,
    Keyring: () => new h.Keyring(),
    Verifier: () => new h.Verifier(`sha256:${'0'.repeat(64)}`),
    StoreMeta: () => new h.StoreMeta(),
    Puller: () => new h.Puller('redis', null, 0),
    FileLock: () => h.tryLock(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hoist-lock-')), 'lock'), true),
  };
  for (const [name, sig] of Object.entries(classes)) {
    const C = h[name];
    assert.throws(() => C(), argumentError(`${name} is a class`), `${name}()`);
    if (sig.construct === null) {
      assert.throws(() => new C(), argumentError(`${name} has no constructor`), `new ${name}`);
    } else {
      for (const [param, args] of cases(sig.construct)) {
        assert.throws(() => new C(...args), argumentError(`new ${name}`, param), `new ${name}(${param})`);
      }
    }
    for (const [s, params] of Object.entries(sig.statics)) {
      for (const [param, args] of cases(params)) {
        assert.throws(() => C[s](...args), argumentError(`${name}.${s}`, param), `${name}.${s}(${param})`);
      }
    }
    const self = receivers[name]();
    assert.ok(self instanceof C, `${name} instanceof`);
    for (const [m, params] of Object.entries(sig.methods)) {
      for (const [param, args] of cases(params)) {
        assert.throws(() => self[m](...args), argumentError(`${name}.${m}`, param), `${name}.${m}(${param})`);
      }
      // Another receiver: V8 rejects it before the binding runs.
      assert.throws(() => C.prototype[m].call({}, ...params.map(([, t]) => valid(t))),
        argumentError(`${name}.${m}: called on`), `${name}.${m} on {}`);
    }
    if (name === 'FileLock') self.release();
  }
});

// ---- the cases the API is most often called with, with their exact messages ----

test('exact messages for common mistakes', () => {
  const exact = (f, message) => assert.throws(f, (e) => {
    assert.ok(e instanceof TypeError);
    assert.strictEqual(e.code, 'invalid-argument');
    assert.strictEqual(e.message, message);
    return true;
  });
  exact(() => h.parseReference(42), 'invalid argument: parseReference(s): expected a string, got a number');
  exact(() => h.parseReference(), 'invalid argument: parseReference(s): expected a string, got undefined');
  exact(() => h.withTag('redis', null), 'invalid argument: withTag(tag): expected a string, got null');
  exact(() => h.imageId('x'), 'invalid argument: imageId(config): expected a Uint8Array, got a string');
  exact(() => h.imageId(new Uint16Array(1)), 'invalid argument: imageId(config): expected a Uint8Array, got a Uint16Array');
  exact(() => h.Filter.parse(null), 'invalid argument: Filter.parse(filters): expected an array of strings, got null');
  exact(() => h.Filter.parse(['dangling=true'], {}), 'invalid argument: Filter.parse(index): expected an ImageIndex or null, got an object');
  exact(() => new h.Filter(['dangling=true']), 'invalid argument: Filter has no constructor: use Filter.parse');
  exact(() => h.Verifier('sha256:x'), 'invalid argument: Verifier is a class: call it with new');
  exact(() => h.parseChallenges(['Basic', 7]), 'invalid argument: parseChallenges(headers[1]): expected a string, got a number');
  exact(() => h.tokenRequest({ flow: 'get' }), 'invalid argument: tokenRequest(options.challenge): expected a string, got undefined');
  exact(() => h.parseManifest(enc('{}'), { limits: { maxBytes: '1' } }),
    'invalid argument: parseManifest(options.limits.maxBytes): expected a number or null, got a string');
  exact(() => new h.Verifier(`sha256:${'0'.repeat(64)}`).updateAsync([enc('a'), 'b']),
    'invalid argument: Verifier.updateAsync(chunks[1]): expected a Uint8Array, got a string');
  exact(() => new h.Puller('redis', { plainHttp: 'yes' }, 0), 'invalid argument: new Puller(options.plainHttp): expected a boolean or null, got a string');
  exact(() => h.ImageIndex.prototype.get.call(null, 'x'), 'invalid argument: ImageIndex.get: called on null, not an ImageIndex');
});

test('the binding\'s own invalid-argument errors are TypeErrors too', () => {
  assert.throws(() => new h.Puller('redis', null, -1), (e) => e instanceof TypeError && e.code === 'invalid-argument'
    && e.message === 'invalid argument: now must be a non-negative integer');
  assert.throws(() => h.RegistriesConf.parse('').shortNameCandidates('redis', 'sometimes'),
    (e) => e instanceof TypeError && e.code === 'invalid-argument' && /mode/.test(e.message));
});

test('a password of the wrong type is not quoted', () => {
  // Node-API's own message would quote the value: `Object {"password":"hunter2-secret"}`.
  assert.throws(() => h.basicAuthorization('user', { password: SECRET }),
    argumentError('basicAuthorization', 'password'));
  assert.throws(() => h.DockerConfig.parse(enc('{}')).withLogin('example.com', 'user', [SECRET]),
    argumentError('DockerConfig.withLogin', 'password'));
});

test('the core\'s errors keep their class and code', () => {
  assert.throws(() => h.parseReference('UPPER'), (e) => !(e instanceof TypeError) && e.code === 'name-contains-uppercase');
  assert.throws(() => h.parseDigest('sha256:short'), (e) => !(e instanceof TypeError) && e.code !== 'invalid-argument');
  assert.throws(() => new h.Verifier('nope'), (e) => !(e instanceof TypeError) && e.code === 'invalid-digest-format');
  // A right call is unchanged.
  assert.strictEqual(h.parseReference('redis:7').tag, '7');
  assert.ok(new h.StoreMeta().index() instanceof h.ImageIndex);
});

// ---- the Node host: rejects before it touches the store ----

test('the host functions reject arguments of the wrong type before any I/O', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoist-args-'));
  const store = path.join(dir, 'store');
  const rejects = (p, where, param) => assert.rejects(p, argumentError(where, param));
  await rejects(h.pull(undefined, { store }), 'pull', 'reference');
  await rejects(h.pull('redis'), 'pull', 'options');
  await rejects(h.pull('redis', {}), 'pull', 'options.store');
  await rejects(h.pull('redis', { store, plainHttp: 'yes' }), 'pull', 'options.plainHttp');
  await rejects(h.pull('redis', { store, signal: {} }), 'pull', 'options.signal');
  await rejects(h.pull('redis', { store, ca: [SECRET, 1] }), 'pull', 'options.ca');
  await rejects(h.pull('redis', { store, onProgress: SECRET }), 'pull', 'options.onProgress');
  await rejects(h.listImages(undefined), 'listImages', 'options');
  await rejects(h.listImages({ store, filters: SECRET }), 'listImages', 'options.filters');
  await rejects(h.inspect(42, { store }), 'inspect', 'image');
  await rejects(h.tag('redis', 42, { store }), 'tag', 'name');
  await rejects(h.untag('redis', 42, { store }), 'untag', 'name');
  await rejects(h.removeImage('redis', { store, force: SECRET }), 'removeImage', 'options.force');
  assert.ok(!fs.existsSync(store), 'no store was created');
  fs.rmSync(dir, { recursive: true });
});
