#!/usr/bin/env bash
# Crash torture, long form: SIGKILLs `hoist pull` at random moments ROUNDS times (default
# 1000; CI runs 200 as part of `cargo test`), checking after each kill that `hoist fsck`
# passes and the next pull completes. Needs Debian's docker-registry and skopeo (as CI).
#
# Usage: tests/torture/kill.sh [ROUNDS] [SEED]
#   SEED replays a run: every run prints its HOIST_TORTURE_SEED.
set -euo pipefail
cd "$(dirname "$0")/../.."
export HOIST_TORTURE_ROUNDS="${1:-1000}"
if [ -n "${2:-}" ]; then export HOIST_TORTURE_SEED="$2"; fi
start=$(date +%s)
cargo test -q -p hoist --test torture_kill -- --nocapture
echo "torture: ${HOIST_TORTURE_ROUNDS} rounds in $(( $(date +%s) - start )) s"
