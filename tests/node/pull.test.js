'use strict';
// The Node host against a REAL docker-registry (started by the testkit's node-registry
// helper), with the native `hoist` CLI and skopeo as oracles: the Node store must equal
// the native one blob for blob and in index.json; listImages must agree with
// `hoist images --format json`; a cancelled or failed pull leaves the store unchanged.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startRegistry, hoist, tempDir, readTree } = require('./helpers');
const h = require('../../hosts/node');

/** hoist.json with the host clock's `pulled_at` blanked (the two pulls ran seconds apart). */
function hoistJson(store) {
  const meta = JSON.parse(fs.readFileSync(path.join(store, 'hoist.json'), 'utf8'));
  for (const r of meta.index.images) r.pulled_at = null;
  return meta;
}

/** The visible store: everything but ingest/ and the lock file. */
function visible(store) {
  return readTree(store, (rel) => rel === 'ingest' || rel === 'lock');
}

function sameTree(a, b) {
  assert.deepStrictEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [k, v] of a) assert.ok(v.equals(b.get(k)), `${k} differs`);
}

const noPulledAt = (list) => list.map((r) => ({ ...r, pulled_at: null }));

test('node host against a real registry (no auth)', async (t) => {
  const reg = await startRegistry('no-auth');
  const tmp = tempDir();
  t.after(async () => { await reg.stop(); tmp.cleanup(); });
  const nodeStore = path.join(tmp.dir, 'node');
  const nativeStore = path.join(tmp.dir, 'native');
  const order = ['app', 'multi', 'docker', 'other'];

  await t.test('pull writes the same store as hoist pull', async () => {
    for (const key of order) {
      const events = [];
      const outcome = await h.pull(reg.images[key].reference, {
        store: nodeStore, plainHttp: true, platform: 'linux/amd64', onProgress: (e) => events.push(e.kind),
      });
      assert.strictEqual(outcome.record.id, reg.images[key].config);
      assert.strictEqual(outcome.resolved_digest, reg.images[key].digest);
      assert.ok(events.includes('resolved') && events.includes('image-recorded'), events.join());
      hoist(nativeStore, ['pull', '-q', '--plain-http', '--platform', 'linux/amd64', reg.images[key].reference]);
    }
    const a = readTree(path.join(nodeStore, 'blobs'));
    const b = readTree(path.join(nativeStore, 'blobs'));
    sameTree(a, b);
    for (const f of ['index.json', 'oci-layout']) {
      assert.ok(fs.readFileSync(path.join(nodeStore, f)).equals(fs.readFileSync(path.join(nativeStore, f))), f);
    }
    assert.deepStrictEqual(hoistJson(nodeStore), hoistJson(nativeStore));
    assert.deepStrictEqual(fs.readdirSync(path.join(nodeStore, 'ingest')), [], 'no staging left');
  });

  await t.test('skopeo reads the Node store by the full name', () => {
    const ref = reg.images.app.reference;
    const raw = execFileSync('skopeo', ['inspect', '--raw', `oci:${nodeStore}:${ref}`]);
    assert.strictEqual(h.digestOf('sha256', raw), reg.images.app.digest);
  });

  await t.test('listImages agrees with hoist images --format json', async () => {
    const filters = [
      [], ['dangling=false'], ['label=org.example.role=app'], ['label=org.example.role!=app'],
      ['reference=*/test/*:v1'], [`before=${reg.images.app.reference}`], [`since=${reg.images.other.reference}`],
      ['until=2023-12-31T00:00:00Z'], ['dangling=true'],
    ];
    for (const f of filters) {
      const mine = await h.listImages({ store: nodeStore, filters: f });
      const native = JSON.parse(hoist(nodeStore, ['--format', 'json', 'images', ...f.flatMap((x) => ['--filter', x])]));
      assert.deepStrictEqual(mine, native, `filters ${f.join(' ')}`);
      assert.deepStrictEqual(noPulledAt(mine), noPulledAt(JSON.parse(
        hoist(nativeStore, ['--format', 'json', 'images', ...f.flatMap((x) => ['--filter', x])]),
      )), `native store, filters ${f.join(' ')}`);
    }
    await assert.rejects(h.listImages({ store: nodeStore, filters: ['nope=1'] }), (e) => typeof e.code === 'string' && e.code.length > 0);
  });

  await t.test('inspect reads record, manifest and config', async () => {
    const i = await h.inspect(reg.images.app.reference, { store: nodeStore });
    assert.strictEqual(i.record.id, reg.images.app.config);
    assert.strictEqual(i.manifestDescriptor.digest, reg.images.app.digest);
    assert.strictEqual(i.config.id, reg.images.app.config);
    assert.strictEqual(i.manifest.layers.length, 2);
    await assert.rejects(h.inspect('nothing:here', { store: nodeStore }), { code: 'image-not-known' });
  });

  await t.test('tag, untag and removeImage follow the same rules as the CLI', async () => {
    const app = reg.images.app.reference;
    const steps = [
      [() => h.tag(app, 'example.com/x/y:1', { store: nodeStore }), ['tag', app, 'example.com/x/y:1']],
      [() => h.untag(app, 'example.com/x/y:1', { store: nodeStore }), ['untag', app, 'example.com/x/y:1']],
      [() => h.removeImage(reg.images.other.reference, { store: nodeStore }), ['rmi', reg.images.other.reference]],
    ];
    for (const [mine, cli] of steps) {
      const changes = await mine();
      assert.ok(changes.length > 0);
      hoist(nativeStore, cli);
      assert.ok(fs.readFileSync(path.join(nodeStore, 'index.json')).equals(fs.readFileSync(path.join(nativeStore, 'index.json'))), cli.join(' '));
    }
    await assert.rejects(h.tag('sha256:0000', 'a:b', { store: nodeStore }), { code: 'image-not-known' });
    await assert.rejects(h.untag(app, 'never:tagged', { store: nodeStore }), (e) => e.code === 'tag-not-known');
  });

  await t.test('a failed pull leaves the store unchanged', async () => {
    const before = visible(nodeStore);
    await assert.rejects(
      h.pull(`${reg.host}/test/app:missing`, { store: nodeStore, plainHttp: true }),
      (e) => e instanceof Error && /^[a-z0-9-]+$/.test(e.code),
    );
    sameTree(visible(nodeStore), before);
    await assert.rejects(h.pull('foo/UPPER', { store: nodeStore }), { code: 'name-contains-uppercase' });
  });

  await t.test('an aborted pull leaves the store unchanged', async () => {
    const store = path.join(tmp.dir, 'abort');
    await h.pull(reg.images.other.reference, { store, plainHttp: true });
    const before = visible(store);
    const ac = new AbortController();
    await assert.rejects(h.pull(reg.images.app.reference, {
      store, plainHttp: true, signal: ac.signal,
      onProgress: (e) => { if (e.kind === 'blob-started') ac.abort(); },
    }), { code: 'cancelled' });
    sameTree(visible(store), before);
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(h.pull(reg.images.app.reference, { store, plainHttp: true, signal: pre.signal }), { code: 'cancelled' });
    sameTree(visible(store), before);
    // The native host opens the store the Node host left, and a later pull completes.
    hoist(store, ['images']);
    await h.pull(reg.images.app.reference, { store, plainHttp: true });
    assert.strictEqual((await h.listImages({ store })).length, 2);
  });
});

test('node host with htpasswd basic auth', async (t) => {
  const reg = await startRegistry('basic');
  const tmp = tempDir();
  t.after(async () => { await reg.stop(); tmp.cleanup(); });
  const store = path.join(tmp.dir, 's');
  await assert.rejects(h.pull(reg.images.app.reference, { store, plainHttp: true }), (e) => /^[a-z0-9-]+$/.test(e.code));
  const hosts = [];
  const outcome = await h.pull(reg.images.app.reference, {
    store, plainHttp: true,
    auth: (host) => { hosts.push(host); return reg.credentials; },
  });
  assert.strictEqual(outcome.record.id, reg.images.app.config);
  assert.deepStrictEqual(hosts, [reg.host], 'credentials asked once, for the registry host');
});

test('node host over TLS with a generated CA', async (t) => {
  const reg = await startRegistry('tls');
  const tmp = tempDir();
  t.after(async () => { await reg.stop(); tmp.cleanup(); });
  const store = path.join(tmp.dir, 's');
  await assert.rejects(h.pull(reg.images.app.reference, { store }), (e) => /^[a-z0-9-]+$/.test(e.code));
  const outcome = await h.pull(reg.images.app.reference, { store, ca: fs.readFileSync(reg.ca) });
  assert.strictEqual(outcome.record.id, reg.images.app.config);
});

test('a connection cut mid-layer is resumed with Range (real registry behind a cutting proxy)', async (t) => {
  // The registry cannot drop a connection halfway through a blob; a proxy in front of
  // it forwards everything and cuts the first large blob response after 64 KiB.
  const http = require('node:http');
  const reg = await startRegistry('no-auth');
  const tmp = tempDir();
  const seen = [];
  let cut = false;
  const proxy = http.createServer((req, res) => {
    const [host, port] = reg.host.split(':');
    const up = http.request({ host, port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      const len = Number(r.headers['content-length'] || 0);
      seen.push({ method: req.method, url: req.url, range: req.headers.range ?? null, status: r.statusCode });
      res.writeHead(r.statusCode, r.headers);
      if (!cut && req.method === 'GET' && req.url.includes('/blobs/') && len > 100_000) {
        cut = true;
        let sent = 0;
        r.on('data', (c) => {
          if (sent >= 64 << 10) return;
          const part = c.subarray(0, (64 << 10) - sent);
          sent += part.length;
          // Cut once the bytes are out and the host had time to read them.
          res.write(part, () => {
            if (sent >= 64 << 10) setTimeout(() => { res.socket.destroy(); r.destroy(); }, 200);
          });
        });
      } else {
        r.pipe(res);
      }
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
    await reg.stop();
    tmp.cleanup();
  });
  const via = `127.0.0.1:${proxy.address().port}`;
  const store = path.join(tmp.dir, 's');
  const outcome = await h.pull(reg.images.app.reference.replace(reg.host, via), { store, plainHttp: true, authFile: path.join(tmp.dir, 'none.json') });
  assert.strictEqual(outcome.record.id, reg.images.app.config);
  assert.ok(cut, 'a blob was cut');
  // The host continues from what reached it before the cut: a Range request from there.
  // (Had the connection dropped before the host read anything, a restart from byte 0
  // would be right too; the 200 ms before the cut makes that unlikely, not impossible.)
  const resumed = seen.filter((s) => s.range !== null);
  assert.ok(resumed.length <= 1, JSON.stringify(seen));
  if (resumed.length === 1) {
    const from = Number(/^bytes=(\d+)-$/.exec(resumed[0].range)?.[1]);
    assert.ok(from > 0 && from <= 64 << 10, resumed[0].range);
    assert.strictEqual(resumed[0].status, 206);
  } else {
    t.diagnostic('the cut came before the host read the body: restarted from byte 0');
  }
  // The store is the same as a straight pull's.
  const direct = path.join(tmp.dir, 'direct');
  await h.pull(reg.images.app.reference, { store: direct, plainHttp: true });
  sameTree(readTree(path.join(store, 'blobs')), readTree(path.join(direct, 'blobs')));
  assert.deepStrictEqual(fs.readdirSync(path.join(store, 'ingest')), [], 'no partial file left');
});
