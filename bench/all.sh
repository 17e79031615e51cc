#!/usr/bin/env bash
# Every comparison against the peers, in one run, and one table at the end (ours, the
# peer, the ratio, peak RSS of each). Each script's own tables and notes come first.
#   bench/all.sh [BUILD_DIR] [RUNS]
# BUILD_DIR should be a release build (-DCMAKE_BUILD_TYPE=Release or RelWithDebInfo). Start
# it on an otherwise idle machine: the ratios come from the same run, the absolute
# numbers from that machine. Container start-up and the cold-cache rows need root.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
runs=${2:-}
BENCH_TABLE=$(mktemp)
export BENCH_TABLE
trap 'rm -f "$BENCH_TABLE"' EXIT

scripts=(run.sh pull.sh squash.sh small_files.sh inspect.sh)
for script in "${scripts[@]}"; do
  [ -f "bench/$script" ] || continue
  echo "### bench/$script"
  bash "bench/$script" "$build" ${runs:+"$runs"} || echo "bench/$script failed (exit $?)"
  echo
done
echo "### all comparisons ($(nproc) cores, load average before the end: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "| case | ours ms | peer | peer ms | ratio | our peak RSS | peer's |"
echo "|---|---|---|---|---|---|---|"
cat "$BENCH_TABLE"
