#!/usr/bin/env bash
# Runs every cargo-fuzz target of hoist-core for SECONDS each (default 120) on nightly, and
# prints what each one reached. Not part of CI (it needs nightly and time).
#
# Usage: core/fuzz/run.sh [SECONDS] [TARGET...]
#        FUZZ_RUNS=10000000 core/fuzz/run.sh 1200   # stop at 10M executions or 20 min
#
# - Builds once, optimized with debug assertions and overflow checks (`-O -a`), so an
#   integer overflow is a crash rather than a silent wrap.
# - Copies seeds/<target>/ into corpus/<target>/ before each run (existing corpus kept).
# - Runs with -timeout=10 (an input taking longer counts as a failure; libFuzzer's default
#   is 1200 s) and -rss_limit_mb=4096.
# - Keeps going after a failing target; prints a summary table (also written to
#   logs/results.tsv) and exits 1 if any target failed. Crash inputs are in
#   artifacts/<target>/, full output in logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-120}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
flags=(-O -a)
mkdir -p logs
# Two runs at once would share corpus and log files (and halve each other's speed).
exec 9>logs/.run.lock
flock -n 9 || { echo "another run.sh is already running in $(pwd)" >&2; exit 2; }
build=(cargo +nightly fuzz build "${flags[@]}")
[ ${#targets[@]} -ne 1 ] || build+=("${targets[0]}")
"${build[@]}" >logs/build.log 2>&1 || { tail -30 logs/build.log; exit 1; }

printf 'target\tseconds\texecutions\texec/s\tcorpus\tcoverage\tpeak_rss_mb\tresult\n' >logs/results.tsv
failed=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  if [ -d "seeds/$t" ]; then cp -n "seeds/$t"/* "corpus/$t"/ 2>/dev/null || true; fi
  echo "== $t (${secs}s)"
  status=ok
  if ! cargo +nightly fuzz run "${flags[@]}" "$t" "corpus/$t" -- \
      -max_total_time="$secs" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} \
      -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      >"logs/$t.log" 2>&1; then
    failed=1
    if grep -q 'ERROR: libFuzzer: timeout' "logs/$t.log"; then status=TIMEOUT
    elif grep -q 'out-of-memory' "logs/$t.log"; then status=OOM
    elif grep -q 'ERROR: libFuzzer: deadly signal\|panicked at' "logs/$t.log"; then status=CRASH
    elif grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer' "logs/$t.log"; then status=SANITIZER
    else status=FAILED
    fi
  fi
  # Final stats (-print_final_stats) when the run ended normally, else the last status line.
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "logs/$t.log" | tail -1 | tr -d '#')
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "logs/$t.log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "logs/$t.log" | tail -1)
  last=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1)
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.*corp: ([0-9]+).*/\1/p' <<<"$last")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "${corp:-?}" \
    "${cov:-?}" "${rss:-?}" "$status" >>logs/results.tsv
  echo "$t: ${execs:-?} executions, $status"
  if [ "$status" != ok ]; then
    echo "   see core/fuzz/logs/$t.log and core/fuzz/artifacts/$t/"
    grep -m1 -A3 'panicked at\|ERROR: libFuzzer\|ERROR: AddressSanitizer' "logs/$t.log" || true
  fi
done
echo
column -t -s $'\t' logs/results.tsv
exit $failed
