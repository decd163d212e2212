#!/usr/bin/env bash
# The WASI host under the wasmtime CLI itself, not only under hoist-wasi-run: a by-hand
# check, not part of CI (installing the CLI compiles wasmtime for ~20 minutes:
# `cargo install wasmtime-cli --version '^48' --locked --no-default-features
#  --features run,component-model,cranelift,wasi-http,parallel-compilation`).
#
# Starts Debian's docker-registry on 127.0.0.1, pushes a two-layer image with skopeo, and
# pulls it three ways: `wasmtime run -S http --dir STORE::/store hoist-wasi.wasm pull`,
# `hoist-wasi-run`, and native `hoist pull`. The three stores must be byte-identical
# (every blob and index.json); then the native host lists and fscks the wasmtime-CLI
# store, skopeo inspects it, and `images`/`ref` under the CLI print what the native CLI
# prints. Every command needs `-S http`: the program imports wasi:http whatever it runs.
# Usage: WASMTIME=/path/to/wasmtime tests/wasmtime-cli.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
wasmtime=${WASMTIME:-wasmtime}
"$wasmtime" --version
cargo build -q --release -p hoist -p hoist-wasi-run
cargo build -q --release -p hoist-testkit --example make-image
cargo build -q -p hoist-wasi --target wasm32-wasip2 --profile wasi
wasm=$root/target/wasm32-wasip2/wasi/hoist-wasi.wasm
work=$(mktemp -d)
source tests/bench/registry.sh
start_registry
LAYERS=2 LAYER_SIZE=3000000 SEED=7 target/release/examples/make-image "$work/layout" small >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:small" "docker://127.0.0.1:$port/cli/small:v1"
ref=127.0.0.1:$port/cli/small:v1
export HOME="$work/home" CONTAINERS_REGISTRIES_CONF=/dev/null
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR DOCKER_CONFIG

mkdir "$work/cli" "$work/runner"
"$wasmtime" run -S http --dir "$work/cli::/store" --env HOIST_PLATFORM=linux/amd64 \
  "$wasm" pull -q --plain-http "$ref"
target/release/hoist-wasi-run --wasm "$wasm" --dir "$work/runner" -- pull -q --plain-http "$ref"
target/release/hoist --store "$work/native" pull -q --plain-http "$ref"

for other in runner native; do
  diff -r "$work/cli/blobs" "$work/$other/blobs"
  cmp "$work/cli/index.json" "$work/$other/index.json"
done
echo "stores byte-identical: wasmtime CLI = hoist-wasi-run = native (blobs and index.json)"
target/release/hoist --store "$work/cli" fsck
skopeo inspect --raw "oci:$work/cli:$ref" >/dev/null
echo "native fsck and skopeo inspect read the wasmtime CLI's store"
diff <("$wasmtime" run -S http --dir "$work/cli::/store" "$wasm" images --format json) \
     <(target/release/hoist --store "$work/cli" images --format json)
diff <("$wasmtime" run -S http "$wasm" ref docker.io/library/busybox@sha256:"$(printf 'a%.0s' {1..64})") \
     <(target/release/hoist ref docker.io/library/busybox@sha256:"$(printf 'a%.0s' {1..64})")
echo "images and ref under the wasmtime CLI print what the native CLI prints"
