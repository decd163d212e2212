#!/usr/bin/env bash
# Verifier throughput against `openssl speed -evp sha256`, measured in the same run.
# Target (issue "The pure core"): hoist's Verifier reaches at least 85% of OpenSSL.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(cargo bench -q -p hoist-core --bench digest -- --noplot 2>/dev/null)
echo "$out" | grep -A3 sha256_64MiB
# criterion: "thrpt:  [lo unit mid unit hi unit]"
hoist=$(echo "$out" | grep 'thrpt:' | head -1 | sed -E 's/.*\[[^ ]+ [^ ]+ ([0-9.]+) ([KMG]i?B)\/s.*/\1 \2/')
read -r val unit <<<"$hoist"
case $unit in
  GiB) mbs=$(python3 -c "print($val*1073741824/1e6)");;
  MiB) mbs=$(python3 -c "print($val*1048576/1e6)");;
  *) echo "unexpected unit $unit"; exit 1;;
esac
ossl_k=$(openssl speed -evp sha256 -bytes 16384 -seconds 3 2>/dev/null | awk '/^sha256/ {print $2}' | tr -d k)
ossl=$(python3 -c "print($ossl_k*1000/1e6)")
python3 - "$mbs" "$ossl" <<'PY'
import sys
h, o = map(float, sys.argv[1:])
print(f"hoist Verifier: {h:8.1f} MB/s")
print(f"openssl sha256: {o:8.1f} MB/s (16 KiB blocks)")
print(f"ratio: {h/o:.2f} (target >= 0.85)")
PY
