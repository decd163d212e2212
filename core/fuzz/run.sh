#!/usr/bin/env bash
# Runs every cargo-fuzz target of hoist-core for SECONDS each (default 120) on nightly,
# and prints the executions each one reached. Not part of CI (it needs nightly and time).
# Usage: core/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-120}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
mkdir -p logs
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== $t (${secs}s)"
  if ! cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 \
      >"logs/$t.log" 2>&1; then
    echo "FAILED: $t — see core/fuzz/logs/$t.log and core/fuzz/artifacts/$t/"
    tail -30 "logs/$t.log"
    exit 1
  fi
  grep -E '^#[0-9]+' "logs/$t.log" | tail -1 | awk -v t="$t" '{print t": "substr($1,2)" executions"}'
done
