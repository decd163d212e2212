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
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/config.yml" <<YML
version: 0.1
storage: { filesystem: { rootdirectory: $work/storage } }
http: { addr: 127.0.0.1:$port }
YML
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
reg=$!
trap 'kill $reg 2>/dev/null; wait $reg 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
cargo run -q --release -p hoist-testkit --example make-image -- "$work/layout" demo >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:demo" "docker://127.0.0.1:$port/demo/hello:1"
"$hoist" pull --plain-http "127.0.0.1:$port/demo/hello:1"
"$hoist" images 2>/dev/null || true
