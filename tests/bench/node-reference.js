'use strict';
// Per-call cost of the Node binding's parseReference over a corpus of references (one
// per line; tests/bench/node.sh passes the 100k corpus of tests/bench/reference). Reports
// the median over ROUNDS rounds of ns per call, for parseReference and parseNormalized,
// next to the cost of an empty call into the binding measured in the same run (a
// function that returns at once: `looksLikeId('')`), so the fixed crossing cost is
// visible. Target: < 2 µs per parseReference call.
const fs = require('node:fs');
const h = require(process.env.HOIST_NODE_BINDING || '../../hosts/node');

const [file, roundsArg] = process.argv.slice(2);
const refs = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
const rounds = Number(roundsArg || 7);

function measure(f) {
  let sink = 0;
  const t = process.hrtime.bigint();
  for (let i = 0; i < refs.length; i++) {
    try {
      sink += f(refs[i]) ? 1 : 0;
    } catch (e) {
      sink += e.code.length;
    }
  }
  const ns = Number(process.hrtime.bigint() - t) / refs.length;
  return { ns, sink };
}

const fns = {
  parseReference: (s) => h.parseReference(s),
  parseNormalized: (s) => h.parseNormalized(s),
  'empty call (looksLikeId(""))': () => h.looksLikeId(''),
};
// Warm up (JIT, allocator) once over the corpus.
for (const f of Object.values(fns)) measure(f);
let accepted = 0;
for (const r of refs) { try { h.parseReference(r); accepted++; } catch { /* rejected */ } }
console.log(`corpus: ${refs.length} references, ${accepted} accepted by parseReference`);
for (const [name, f] of Object.entries(fns)) {
  const samples = [];
  for (let i = 0; i < rounds; i++) samples.push(measure(f).ns);
  samples.sort((a, b) => a - b);
  console.log(`${name.padEnd(30)} median ${samples[rounds >> 1].toFixed(1)} ns/call  (min ${samples[0].toFixed(1)}, max ${samples[rounds - 1].toFixed(1)})`);
}
