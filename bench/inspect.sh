#!/usr/bin/env bash
# How long sif-inspect takes on a 1 GiB SIF (it should read only the header and the
# descriptor table), next to reading the same file's first object with dd for scale.
#   bench/inspect.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/bench/make_big_sif" "$work/big.sif" 1024
inspect="$build/tools/sif-inspect/sif-inspect"

median_ms() { # command...
  local times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}

echo "| command on a 1 GiB SIF | median ms ($runs runs) |"
echo "|---|---|"
for sub in header list "info 1"; do
  echo "| sif-inspect $sub | $(median_ms $inspect $sub "$work/big.sif") |"
done
echo "| sif-inspect list --json | $(median_ms $inspect list --json "$work/big.sif") |"
echo "| /bin/true (process start, for scale) | $(median_ms /bin/true) |"
