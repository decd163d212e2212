'use strict';
// `npm pack` of hosts/node, installed into a fresh directory (no network: a local
// tarball without dependencies), works from CommonJS and ESM and ships its typings.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { HOST, tempDir } = require('./helpers');

const npm = (args, cwd) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
  cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' },
});

test('npm pack installs into a fresh directory and works', (t) => {
  const tmp = tempDir('hoist-pack-');
  t.after(tmp.cleanup);
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp.dir], HOST));
  const files = packed[0].files.map((f) => f.path).sort();
  for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'binding.d.ts', 'index.node', 'lib/pull.js', 'lib/store.js']) {
    assert.ok(files.includes(f), `${f} is packed (${files.join(', ')})`);
  }
  const app = path.join(tmp.dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","private":true}');
  npm(['install', path.join(tmp.dir, packed[0].filename)], app);
  const cjs = execFileSync('node', ['-e', "const h=require('hoist'); console.log(h.canonical('redis'), typeof h.pull)"], { cwd: app, encoding: 'utf8' });
  assert.strictEqual(cjs.trim(), 'docker.io/library/redis:latest function');
  const esm = execFileSync('node', ['--input-type=module', '-e', "import { familiar, listImages } from 'hoist'; console.log(familiar('docker.io/library/redis:7'), typeof listImages)"], { cwd: app, encoding: 'utf8' });
  assert.strictEqual(esm.trim(), 'redis:7 function');
  const errCode = execFileSync('node', ['-e', "try{require('hoist').parseReference('UPPER')}catch(e){console.log(e.code)}"], { cwd: app, encoding: 'utf8' });
  assert.strictEqual(errCode.trim(), 'name-contains-uppercase');
});
