'use strict';
// Every conformance vector through the Node binding, compared byte for byte (canonical
// JSON) with the native core's outputs as `dump-vectors` prints them. Every mismatch is
// reported, not only the first.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { ROOT, bin, canonical } = require('./helpers');
const h = require('../../hosts/node');
const { runner } = require('./vectors');

const dir = path.join(ROOT, 'tests', 'vectors');
const native = JSON.parse(execFileSync(bin('dump-vectors'), [dir], { encoding: 'utf8', maxBuffer: 1 << 28 }));
const run = runner(h);

// Cases whose INPUT cannot be represented in JavaScript, so the binding never sees the
// vector's value: JSON.parse turns 9223372036854775807 into 9223372036854775808, which the
// core then (rightly) rejects as larger than int64. Each entry names the reason.
const UNREPRESENTABLE = new Map([
  ['manifest_descriptor.json#34', 'size 2^63-1 is not a JavaScript number'],
]);

for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  test(`vectors ${file}`, () => {
    const v = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const expected = native[file];
    assert.ok(Array.isArray(expected), `dump-vectors has no ${file}`);
    assert.strictEqual(expected.length, v.cases.length);
    const mismatches = [];
    v.cases.forEach((c, n) => {
      const got = canonical(run(v.function, c.input));
      const want = canonical(expected[n]);
      if (got !== want && !UNREPRESENTABLE.has(`${file}#${n}`)) mismatches.push(`case ${n} ${c.name ?? ''}\n  node:   ${got.slice(0, 400)}\n  native: ${want.slice(0, 400)}`);
    });
    assert.deepStrictEqual(mismatches, [], `${mismatches.length} of ${v.cases.length} cases differ:\n${mismatches.join('\n')}`);
  });
}
