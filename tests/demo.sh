#!/usr/bin/env bash
# hoist's main job on a fresh machine: pull an image into the default store
# ($XDG_DATA_HOME/hoist, or ~/.local/share/hoist), then list it.
#
#   bash tests/demo.sh            # offline: starts Debian's docker-registry on 127.0.0.1,
#                                 # pushes a generated image with skopeo, pulls it with hoist
#   bash tests/demo.sh REF        # networked machines: pull REF (e.g. docker.io/library/alpine)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p hoist
hoist=target/release/hoist
if [ $# -gt 0 ]; then
  "$hoist" pull "$1"
  "$hoist" images
  exit 0
fi
need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
if [ ${#need[@]} -gt 0 ]; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q "${need[@]}"
fi
work=$(mktemp -d)
# start_registry: docker-registry on a free 127.0.0.1 port, stopped on exit.
source tests/bench/registry.sh
start_registry
cargo run -q --release -p hoist-testkit --example make-image -- "$work/layout" demo >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:demo" "docker://127.0.0.1:$port/demo/hello:1"
"$hoist" pull --plain-http "127.0.0.1:$port/demo/hello:1"
"$hoist" images 2>/dev/null || true
