#!/usr/bin/env bash
# The WASI host's pull of the medium bench image (8 layers x 25 MB) against
# `skopeo copy docker:// oci:` from the same local docker-registry, in the same run, cold
# destination each time (goal: the WASI host at least as fast as skopeo). The WASI host runs
# as a user runs it: `hoist-wasi-run` (release) loading hoist-wasi.wasm (`wasi` profile)
# from its compile cache (filled by one untimed run first; one timed `--no-cache` run shows
# what compiling costs). Native `hoist pull` alongside.
# Usage: tests/bench/wasi.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
cargo build -q --release -p hoist-wasi-run -p hoist
cargo build -q -p hoist-wasi --target wasm32-wasip2 --profile wasi
cargo build -q --release -p hoist-testkit --example make-image
work=$(mktemp -d)
mk=$PWD/target/release/examples/make-image
source tests/bench/registry.sh
start_registry
push_medium "$mk"
export HOME="$work/home" CONTAINERS_REGISTRIES_CONF=/dev/null
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$port" "$work" "$runs" "$PWD/target/release/hoist" "$PWD/target/release/hoist-wasi-run" \
  "$PWD/target/wasm32-wasip2/wasi/hoist-wasi.wasm" <<'PY'
import os, shutil, statistics, subprocess, sys, time
port, work, runs, hoist, runner, wasm = sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:]
ref = f"127.0.0.1:{port}/bench/medium:latest"
def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t
os.environ["HOIST_WASI_CACHE"] = f"{work}/cache"
os.makedirs(f"{work}/empty")
cold = timed([runner, "--no-cache", "--wasm", wasm, "--dir", f"{work}/empty", "--", "images"])
timed([runner, "--wasm", wasm, "--dir", f"{work}/empty", "--", "images"])  # fills the cache
warm = timed([runner, "--wasm", wasm, "--dir", f"{work}/empty", "--", "images"])
w, s, r = [], [], []
for i in range(runs):
    os.makedirs(f"{work}/w{i}")
    for out, cmd in ((w, [runner, "--wasm", wasm, "--dir", f"{work}/w{i}", "--", "pull", "-q", "--plain-http", ref]),
                     (s, ["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{ref}", f"oci:{work}/s{i}:medium"]),
                     (r, [hoist, "--store", f"{work}/r{i}", "pull", "-q", "--plain-http", ref])):
        out.append(timed(cmd))
    for d in ("w", "s", "r"):
        shutil.rmtree(f"{work}/{d}{i}")
med = statistics.median
print(f"{'':14} {'min':>8} {'median':>8}")
for name, xs in (("wasi host", w), ("skopeo", s), ("native hoist", r)):
    print(f"{name:14} {min(xs):7.3f}s {med(xs):7.3f}s")
print(f"runner start + `images` on an empty store: {cold:.3f}s compiling, {warm:.3f}s from the cache")
print(f"wasi host vs skopeo (median): {med(s)/med(w):.2f}x (goal >= 1x: at least as fast)")
print(f"wasi host vs native hoist (median): {med(w)/med(r):.2f}x the time")
PY
