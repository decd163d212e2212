#!/usr/bin/env bash
# Compares hoist-core's reference parser with distribution/reference in Go on the same
# deterministic corpus of 100 000 references, in one run:
#
#   1. the Rust bench prints the corpus (`-- --dump-corpus`) and what it accepts (`-- --count`);
#   2. the Go peer (tests/bench/reference/go, GOPATH mode, Debian's
#      golang-github-docker-distribution-dev) parses the same file and prints the same
#      counts and checksums; the script fails if any of them differ;
#   3. both sides measure their CPU time per reference (from /proc/self/task/*/schedstat,
#      so other work on a shared machine distorts the comparison less), alternating Go and
#      Rust for ROUNDS rounds; the script prints the median of each and the ratio;
#   4. criterion reports Rust's wall-clock time per reference, and the time to reject
#      1 MB inputs.
#
# Target: Rust at least 20x faster than Go.
# Usage: tests/bench/reference/run.sh [SECONDS_PER_MEASUREMENT] [ROUNDS]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
seconds=${1:-2}
rounds=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"

bench() { cargo bench -q --bench reference -p hoist-core -- "$@"; }

echo "== corpus"
bench --dump-corpus >"$work/corpus.txt"
bench --count >"$work/rust-count.txt"
echo "$(wc -l <"$work/corpus.txt") references, $(wc -c <"$work/corpus.txt") bytes"

echo "== Go peer: github.com/docker/distribution/reference (GOPATH=/usr/share/gocode)"
GO111MODULE=off GOPATH=/usr/share/gocode go build -o "$work/go-peer" "$here/go/main.go"
"$work/go-peer" "$work/corpus.txt" 0 >"$work/go-count.txt"

echo "== agreement (accepted lines, FNV-1a of accepted line numbers / normalized strings)"
grep -E '^(lines|parse_ok|normalized_ok)=' "$work/rust-count.txt" >"$work/rust-agree.txt"
grep -E '^(lines|parse_ok|normalized_ok)=' "$work/go-count.txt" >"$work/go-agree.txt"
paste -d'|' "$work/rust-agree.txt" "$work/go-agree.txt" | sed 's/^/rust: /; s/|/\n  go: /'
if ! cmp -s "$work/rust-agree.txt" "$work/go-agree.txt"; then
	echo "MISMATCH: Rust and Go accept different references" >&2
	exit 1
fi
echo "OK: identical"

echo "== CPU time per reference, Go and Rust alternating ($rounds rounds, ${seconds}s each)"
for round in $(seq "$rounds"); do
	"$work/go-peer" "$work/corpus.txt" "$seconds" cpu >>"$work/go-cpu.txt"
	bench --cpu-time "$seconds" >>"$work/rust-cpu.txt"
	echo "round $round: $(tail -2 "$work/go-cpu.txt" | tr '\n' ' ')$(tail -2 "$work/rust-cpu.txt" | tr '\n' ' ')"
done

echo "== Rust wall clock (criterion)"
bench 'reference' >"$work/criterion.txt" 2>&1 || {
	cat "$work/criterion.txt" >&2
	exit 1
}
lines=$(sed -n 's/^lines=//p' "$work/rust-count.txt")

python3 - "$work" "$lines" <<'PY'
import json, statistics, sys
work, lines = sys.argv[1], int(sys.argv[2])
def values(path, key):
    return [float(l.split("=")[1]) for l in open(f"{work}/{path}") if l.startswith(key + "=")]
def crit(name):
    est = json.load(open(f"target/criterion/reference/{name}/new/estimates.json"))
    return est["median"]["point_estimate"] / lines
print(f"{'(ns per reference)':20}{'rust cpu':>10}{'go cpu':>10}{'go/rust':>9}{'rust wall':>11}")
for name, key in (("parse", "parse"), ("parse_normalized", "normalized")):
    r = statistics.median(values("rust-cpu.txt", f"rust_{key}_cpu_ns"))
    g = statistics.median(values("go-cpu.txt", f"go_{key}_cpu_ns"))
    flag = "" if g / r >= 20 else "   below the 20x target"
    print(f"{name:20}{r:10.1f}{g:10.1f}{g / r:8.1f}x{crit(name):11.1f}{flag}")
for name in ("path", "uppercase", "tag", "slashes"):
    est = json.load(open(f"target/criterion/reference_reject_1mb/{name}/new/estimates.json"))
    print(f"reject 1 MB ({name}): {est['median']['point_estimate'] / 1e6:.3f} ms")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
