#!/usr/bin/env bash
# Pull benchmark: `hoist pull` against `skopeo copy docker://… oci:…`, same registry, same
# images, same run, cold destination each time. Reports min and median wall time, the
# ratio, and hoist's peak RSS on the medium image.
#
# Images (generated, pushed with skopeo to Debian's docker-registry on 127.0.0.1):
#   small:  1 layer,  ~5 MB
#   medium: 8 layers, ~200 MB
#   many:   40 layers, ~1 MB each
# Usage: tests/bench/pull.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
cargo build -q --release -p hoist
cargo build -q --release -p hoist-testkit --example make-image
hoist=$PWD/target/release/hoist
mk=$PWD/target/release/examples/make-image
work=$(mktemp -d)
source tests/bench/registry.sh
start_registry

push() { # name layers layer_size
  LAYERS=$2 LAYER_SIZE=$3 SEED=$RANDOM "$mk" "$work/layout-$1" "$1" >/dev/null
  skopeo copy -q --dest-tls-verify=false "oci:$work/layout-$1:$1" "docker://127.0.0.1:$port/bench/$1:latest"
}
push small 1 5000000
push medium 8 25000000
push many 40 1000000

export HOME="$work/home" CONTAINERS_REGISTRIES_CONF=/dev/null
python3 - "$hoist" "$port" "$work" "$runs" "$reg" <<'PY'
import os, resource, shutil, statistics, subprocess, sys, time
hoist, port, work, runs, reg = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
tick = os.sysconf("SC_CLK_TCK")
def registry_cpu():
    with open(f"/proc/{reg}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick
cpu = {}
def timed(cmd, key):
    r0, c0, t = registry_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    c1, r1 = resource.getrusage(resource.RUSAGE_CHILDREN), registry_cpu()
    own = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    cpu.setdefault(key, []).append((own, r1 - r0))
    return wall
def peak_rss_kib(cmd):
    pid = os.fork()
    if pid == 0:
        os.close(1); os.close(2)
        os.open(os.devnull, os.O_WRONLY); os.open(os.devnull, os.O_WRONLY)
        os.execv(cmd[0], cmd)
    _, status, ru = os.wait4(pid, 0)
    assert status == 0, cmd
    return ru.ru_maxrss
rows = []
for name in ["small", "medium", "many"]:
    ref = f"127.0.0.1:{port}/bench/{name}:latest"
    h, s = [], []
    for i in range(runs):
        dst = f"{work}/h-{name}-{i}"
        h.append(timed([hoist, "--store", dst, "pull", "-q", "--plain-http", ref], ("hoist", name)))
        shutil.rmtree(dst)
        dst = f"{work}/s-{name}-{i}"
        s.append(timed(["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{ref}", f"oci:{dst}:{name}"], ("skopeo", name)))
        shutil.rmtree(dst)
    rows.append((name, min(h), statistics.median(h), min(s), statistics.median(s)))
rss = peak_rss_kib([hoist, "--store", f"{work}/rss", "pull", "-q", "--plain-http", f"127.0.0.1:{port}/bench/medium:latest"])
print(f"{'image':8} {'hoist min':>10} {'hoist med':>10} {'skopeo min':>11} {'skopeo med':>11} {'speedup (med)':>14}")
for name, hmin, hmed, smin, smed in rows:
    print(f"{name:8} {hmin:9.3f}s {hmed:9.3f}s {smin:10.3f}s {smed:10.3f}s {smed/hmed:13.2f}x")
print(f"hoist peak RSS, medium pull: {rss/1024:.1f} MiB (target < 64 MiB)")
print()
print("CPU seconds per pull (median): the client's own, and the registry's while serving it.")
print("On 2 cores a pull cannot take less wall time than (client + registry CPU) / 2.")
print(f"{'image':8} {'hoist':>7} {'registry':>9} {'skopeo':>7} {'registry':>9} {'bound on speedup':>17}")
for name, *_ in rows:
    hc = statistics.median(c for c, _ in cpu[("hoist", name)])
    hr = statistics.median(r for _, r in cpu[("hoist", name)])
    sc = statistics.median(c for c, _ in cpu[("skopeo", name)])
    sr = statistics.median(r for _, r in cpu[("skopeo", name)])
    smed = next(r[4] for r in rows if r[0] == name)
    floor = (hc + hr) / 2
    print(f"{name:8} {hc:6.3f}s {hr:8.3f}s {sc:6.3f}s {sr:8.3f}s {smed / floor:16.1f}x")
PY
