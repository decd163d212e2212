# Sourced by the pull benchmarks (pull.sh, node.sh, wasi.sh), tests/demo.sh and
# tests/wasmtime-cli.sh. Needs $work (an existing scratch directory).
#   start_registry        Debian's docker-registry on a free 127.0.0.1 port, its storage in
#                         $work; sets $port; stopped, and $work removed, when the script exits.
#   push_medium MAKE_IMAGE  the medium bench image (8 layers x 25 MB, seed 4242) as
#                         127.0.0.1:$port/bench/medium:latest.
start_registry() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$work/config.yml" <<YML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $work/storage } }
http: { addr: 127.0.0.1:$port }
YML
  docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
  reg=$!
  trap 'kill $reg 2>/dev/null; wait $reg 2>/dev/null || true; rm -rf "$work"' EXIT
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
}

push_medium() {
  LAYERS=8 LAYER_SIZE=25000000 SEED=4242 "$1" "$work/layout-medium" medium >/dev/null
  skopeo copy -q --dest-tls-verify=false "oci:$work/layout-medium:medium" \
    "docker://127.0.0.1:$port/bench/medium:latest"
}
