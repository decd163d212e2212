'use strict';
// The floor of any Node host built on node:http: download every layer of an image
// (concurrently, as a pull does) and throw the bytes away — no hashing, no store.
// tests/bench/node.sh runs it next to the real pull and skopeo to show how much of the
// Node host's time is node:http itself (its body path copies every chunk out of the
// parser and allocates two buffers per 64 KiB read).
// With --hash it also computes every layer's SHA-256 (node:crypto, on the event loop)
// and checks it against the manifest: the floor of a Node host that verifies what it
// downloads, as every host must, before anything is stored.
// Usage: node node-http-floor.js [--hash] HOST:PORT REPO TAG
const http = require('node:http');
const crypto = require('node:crypto');

const hash = process.argv.includes('--hash');
const [host, repo, tag] = process.argv.slice(2).filter((a) => a !== '--hash');
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent, headers }, resolve).on('error', reject);
  });
}

async function drain(res, digest) {
  let n = 0;
  const h = hash ? crypto.createHash('sha256') : null;
  await new Promise((resolve, reject) => {
    res.on('data', (c) => {
      n += c.length;
      if (h) h.update(c);
    });
    res.on('end', resolve);
    res.on('error', reject);
  });
  if (h && `sha256:${h.digest('hex')}` !== digest) throw new Error(`digest mismatch: ${digest}`);
  return n;
}

(async () => {
  const res = await get(`http://${host}/v2/${repo}/manifests/${tag}`, { accept: MANIFEST });
  const chunks = [];
  for await (const c of res) chunks.push(c);
  const manifest = JSON.parse(Buffer.concat(chunks));
  const sizes = await Promise.all(manifest.layers.map(async (l) => {
    let r = await get(`http://${host}/v2/${repo}/blobs/${l.digest}`);
    if (r.statusCode >= 300 && r.statusCode < 400) {
      r.resume();
      r = await get(new URL(r.headers.location, `http://${host}/`).href);
    }
    return drain(r, l.digest);
  }));
  agent.destroy();
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== manifest.layers.reduce((a, l) => a + l.size, 0)) throw new Error('short download');
})().catch((e) => { console.error(e); process.exit(1); });
