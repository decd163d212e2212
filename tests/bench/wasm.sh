#!/usr/bin/env bash
# The core through the wasm component (wasmtime) against the same core natively, in one
# run: 100 000 reference parses (the corpus of core/benches/reference.rs) and 10 000
# manifest parses. Goal: the component at most 3x native.
# Usage: tests/bench/wasm.sh [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
cargo bench -q --bench reference -p hoist-core -- --dump-corpus >"$work/corpus.txt"
cargo bench -q --bench component -p hoist-wasm-tests -- "$work/corpus.txt" "${1:-5}"
