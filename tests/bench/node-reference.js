'use strict';
// Per-call cost of the Node binding's parseReference over a corpus of references (one
// per line; tests/bench/node.sh passes the 100k corpus of tests/bench/reference). Reports
// the median over ROUNDS rounds of ns per call, for parseReference and parseNormalized,
// next to the cost of an empty call into the binding measured in the same run (a
// function that returns at once: `looksLikeId('')`), and of JavaScript's own `new Error`
// (a rejected reference throws one), so the fixed costs are visible. Also split into
// accepted and rejected references. Target: < 2 µs per parseReference call.
//
// It loads the npm package (hosts/node), as users do: the package wraps the binding's
// compact answers (hosts/node/lib/convert.js), and that wrapping is part of the cost.
// HOIST_NODE_BINDING picks the native build the package loads.
const fs = require('node:fs');
const h = require('../../hosts/node');

const [file, roundsArg] = process.argv.slice(2);
const refs = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
const rounds = Number(roundsArg || 7);

// CPU time of this process (user + system), not wall time: on a shared machine, time spent
// waiting for a core is not the binding's cost (the Rust/Go reference bench does the same
// with schedstat). The test is single-threaded, so this is the calling thread's time
// plus a little GC-helper time.
const cpuNs = () => {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
};

function measure(f, list) {
  const refs = list;
  let sink = 0;
  const t = cpuNs();
  for (let i = 0; i < refs.length; i++) {
    try {
      sink += f(refs[i]) ? 1 : 0;
    } catch (e) {
      sink += e.message.length;
    }
  }
  const ns = Number(cpuNs() - t) / refs.length;
  return { ns, sink };
}

const fns = {
  parseReference: (s) => h.parseReference(s),
  parseNormalized: (s) => h.parseNormalized(s),
  'empty call (looksLikeId(""))': () => h.looksLikeId(''),
  'JS new Error (peer)': (s) => { throw new Error(s); },
};
// Warm up (JIT, allocator) once over the corpus.
for (const f of Object.values(fns)) measure(f, refs);
const accepted = [];
const rejected = [];
for (const r of refs) { try { h.parseReference(r); accepted.push(r); } catch { rejected.push(r); } }
console.log(`corpus: ${refs.length} references, ${accepted.length} accepted by parseReference`);
const all = refs;
const cases = [
  ...Object.entries(fns).map(([name, f]) => [name, f, all]),
  ['parseReference, accepted only', fns.parseReference, accepted],
  ['parseReference, rejected only', fns.parseReference, rejected],
];
const medians = {};
for (const [name, f, list] of cases) {
  const samples = [];
  for (let i = 0; i < rounds; i++) samples.push(measure(f, list).ns);
  samples.sort((a, b) => a - b);
  medians[name] = samples[rounds >> 1];
  console.log(`${name.padEnd(30)} CPU median ${samples[rounds >> 1].toFixed(1)} ns/call  (min ${samples[0].toFixed(1)}, max ${samples[rounds - 1].toFixed(1)})`);
}
// A rejected reference must reach the caller as a thrown Error, whose stack capture and
// throw V8 charges whoever creates it: the corpus average cannot go below what the
// accepted references cost plus JavaScript's own `throw new Error` for each rejected one.
const share = rejected.length / refs.length;
const floor = (1 - share) * medians['parseReference, accepted only'] + share * medians['JS new Error (peer)'];
console.log(`floor with rejects at JS's own throw: ${floor.toFixed(1)} ns/call (${(share * 100).toFixed(1)}% of the corpus is rejected)`);
