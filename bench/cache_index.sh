#!/usr/bin/env bash
# The cache index with 100,000 blobs: library timings (bench/cache_index.cpp), then the
# sif-cache tool end to end on a fresh copy (process start, opening the index, output).
#   bench/cache_index.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/bench/cache_index"
echo
"$build/bench/cache_index" --populate "$work/cache" >/dev/null
tool="$build/tools/sif-cache/sif-cache"

ms() { # command...
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}

echo "| sif-cache on 100,000 blobs | ms |"
echo "|---|---|"
for args in "list" "list --json" "du" "gc --dry-run" "verify --no-hash" "gc" "verify --no-hash"; do
  echo "| sif-cache $args | $(ms $tool --cache "$work/cache" $args) |"
done
