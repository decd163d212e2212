#!/usr/bin/env bash
# CRI server benchmark: ListImages latency with 10k images, and PullImage of the medium
# bench image (8 x 25 MB) next to `hoist pull` in the same run. See
# hosts/native/benches/cri.rs. Needs Debian's docker-registry and skopeo (tests/run.sh
# installs them). Usage: tests/bench/cri.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo bench -q -p hoist --bench cri -- "${1:-5}"
