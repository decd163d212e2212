#!/usr/bin/env bash
# The whole test suite of hoist, from a fresh Debian machine. README.md's second command,
# and exactly what .ci/run runs.
#
# 1. installs what the tests need (apt packages, the wasm32-wasip2 target, npm packages);
# 2. checks formatting, lints and the core's sans-IO dependency rule;
# 3. runs every Rust test (unit tables, proptests, conformance vectors, end-to-end tests).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "installing test dependencies"
need_apt=()
command -v docker-registry >/dev/null || need_apt+=(docker-registry)
command -v skopeo >/dev/null || need_apt+=(skopeo)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q "${need_apt[@]}"
fi
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
# tests/wasm builds the import-free core component from a wasm32-unknown-unknown module.
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo clippy for wasm32-wasip2 (the WASI host's pull path exists only there)"
cargo clippy -p hoist-wasi --target wasm32-wasip2 --all-targets -- -D warnings

step "hoist-core stays sans-IO"
.ci/check-core-deps

step "cargo test --workspace"
cargo test --workspace

step "node tests (binding, Node host, npm package)"
bash tests/node/run.sh
