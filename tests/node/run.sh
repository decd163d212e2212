#!/usr/bin/env bash
# The Node tests: builds the binding (and the helpers the tests use), puts it next to the
# npm package as index.node, type-checks a typed example with tsc, and runs node --test.
# Usage: tests/node/run.sh [--release]   (HOIST_PROFILE=release is then exported)
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=debug
cargo_flags=()
if [ "${1:-}" = "--release" ]; then profile=release; cargo_flags=(--release); fi
export HOIST_PROFILE=$profile
# The binding is a library target: a --bin filter in the same command would skip it.
cargo build -q "${cargo_flags[@]}" -p hoist-node --lib
cargo build -q "${cargo_flags[@]}" -p hoist -p hoist-conformance --bin dump-vectors --bin hoist
cargo build -q "${cargo_flags[@]}" -p hoist-testkit --example node-registry
target=${CARGO_TARGET_DIR:-target}
cp "$target/$profile/libhoist_node.so" hosts/node/index.node
cp bindings/node/index.d.ts hosts/node/binding.d.ts
if [ ! -x node_modules/.bin/tsc ]; then npm ci --no-audit --no-fund; fi
node_modules/.bin/tsc -p tests/node/typed/tsconfig.json
node --test tests/node/
