'use strict';
// A/B of two copies of the npm package (say, `git archive` of the last commit and the
// working tree) over the reference corpus, in one process with one native binding
// (HOIST_NODE_BINDING), so only their JavaScript differs. On a shared machine the load
// swings more than the few percent a change of the wrapper layer costs, so instead of two
// separate runs it measures many short adjacent rounds of A and B (in ABBA order, 5000
// references each) and prints the median of the per-pair CPU-time ratios B/A, which
// cancels load that changes slower than one pair (a few ms).
//
// Usage: HOIST_NODE_BINDING=libhoist_node.so node tests/bench/node-reference-ab.js \
//          PACKAGE_A PACKAGE_B CORPUS [PAIRS]
// (corpus: `cargo bench -q --bench reference -p hoist-core -- --dump-corpus`)
const fs = require('node:fs');
const path = require('node:path');

const [pkgA, pkgB, file, pairsArg] = process.argv.slice(2);
const before = require(path.resolve(pkgA));
const after = require(path.resolve(pkgB));
const refs = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l);
const pairs = Number(pairsArg || 400);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };
function measure(f, list) {
  let sink = 0; const t = cpu();
  for (let i = 0; i < list.length; i++) { try { sink += f(list[i]) ? 1 : 0; } catch (e) { sink += e.message.length; } }
  return (cpu() - t) / list.length;
}
const accepted = refs.filter((r) => { try { after.parseReference(r); return true; } catch { return false; } });
const rejected = refs.filter((r) => { try { after.parseReference(r); return false; } catch { return true; } });
const chunk = (l, n) => { const out = []; for (let i = 0; i < l.length; i += n) out.push(l.slice(i, i + n)); return out; };
const med = (x) => { const s = [...x].sort((a, b) => a - b); return s[s.length >> 1]; };
const cases = {
  'parseReference, all': [(h) => (s) => h.parseReference(s), refs],
  'parseReference, accepted': [(h) => (s) => h.parseReference(s), accepted],
  'parseReference, rejected': [(h) => (s) => h.parseReference(s), rejected],
  'parseNormalized, all': [(h) => (s) => h.parseNormalized(s), refs],
};
for (const [name, [mk, list]] of Object.entries(cases)) {
  const fa = mk(before), fb = mk(after);
  measure(fa, list); measure(fb, list);
  const parts = chunk(list, 5000);
  const a = [], b = [], r = [];
  for (let i = 0; i < pairs; i++) {
    const p = parts[i % parts.length];
    let x, y;
    if (i % 2) { x = measure(fa, p); y = measure(fb, p); } else { y = measure(fb, p); x = measure(fa, p); }
    a.push(x); b.push(y); r.push(y / x);
  }
  console.log(`${name.padEnd(26)} A ${med(a).toFixed(0).padStart(6)} ns  B ${med(b).toFixed(0).padStart(6)} ns  median per-pair B/A ${med(r).toFixed(3)}`);
}
