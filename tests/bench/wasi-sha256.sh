#!/usr/bin/env bash
# How fast SHA-256 runs inside the WASI guest, the floor of the WASI host's pull (it
# verifies every layer in wasm, on one thread: wasip2 has no threads and wasm no SHA
# instructions). Runs tests/bench/sha256-lanes natively and under hoist-wasi-run, with
# simd128 enabled: sha2 one stream at a time (what hoist-wasi does) against four streams
# hashed in lock-step (the most a multi-buffer hasher could give the four concurrent
# layer downloads). Usage: tests/bench/wasi-sha256.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build -q --release -p hoist-wasi-run
cd tests/bench/sha256-lanes
export CARGO_TARGET_DIR="$root/target/sha256-lanes"
cargo build -q --release
RUSTFLAGS="-C target-feature=+simd128" cargo build -q --release --target wasm32-wasip2
echo "== native (x86-64; sha2 uses the CPU's SHA extensions when it has them)"
"$CARGO_TARGET_DIR/release/sha256-lanes"
echo "== wasm32-wasip2 guest under hoist-wasi-run (wasmtime 48, Cranelift)"
"$root/target/release/hoist-wasi-run" --no-cache --wasm "$CARGO_TARGET_DIR/wasm32-wasip2/release/sha256-lanes.wasm" -- sha256-lanes
