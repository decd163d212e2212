#!/usr/bin/env bash
# Linear input, linear time: times every untrusted-text parser of hoist-core (references,
# filters, manifests, configs, auth files, WWW-Authenticate) at 16 KiB, 256 KiB and 1 MiB of
# hostile input, and fails when 1 MiB takes 10 ms or more, or when the time per byte grows
# more than 4x from 16 KiB to 1 MiB. A benchmark, not a test: run it on a quiet machine.
#
# Usage: tests/bench/linear.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo bench -q -p hoist-core --bench linear
