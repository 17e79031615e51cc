#!/usr/bin/env bash
# Many small files: sif-squash against tar2sqfs on the same tar (400 directories of 500
# files of 10-500 bytes, bench/make_small_files.py), the same compressor (gzip) and
# thread count. Wall time (median of RUNS), user and system time, peak RSS, output size;
# then our peak RSS alone at larger entry counts (ENTRIES_RSS, default 1000000).
#   bench/small_files.sh [BUILD_DIR] [RUNS] [THREADS] [ENTRIES_RSS...]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build=$(realpath "${1:-build}")
runs=${2:-3}
threads=${3:-$(nproc)}
shift $(( $# < 3 ? $# : 3 ))
big_counts=("${@:-1000000}")
command -v tar2sqfs >/dev/null || { echo "bench/small_files.sh: tar2sqfs is not installed (scripts/setup.sh)"; exit 2; }
squash="$build/tools/sif-squash/sif-squash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure NAME COMMAND...: runs COMMAND RUNS times; sets ms_NAME (median wall ms),
# cpu_NAME ("user+sys" seconds of that run) and kb_NAME (peak RSS, max over runs).
measure() {
  local name=$1; shift
  local rows=()
  for _ in $(seq "$runs"); do
    rm -f "$work/out.sqfs"
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
    t1=$(date +%s%N)
    rows+=("$(( (t1 - t0) / 1000000 )) $(tail -1 "$work/time")")
  done
  local median
  median=$(printf '%s\n' "${rows[@]}" | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
  read -r ms user sys _ <<<"$median"
  printf -v "ms_$name" '%s' "$ms"
  printf -v "cpu_$name" '%s+%s' "$user" "$sys"
  printf -v "kb_$name" '%s' "$(printf '%s\n' "${rows[@]}" | awk '$4 > m {m = $4} END {print m}')"
}

python3 bench/make_small_files.py "$work/small.tar" 200000
measure tar2sqfs sh -c "tar2sqfs -q -c gzip -j $threads $work/out.sqfs < $work/small.tar"
size_tar2sqfs=$(stat -c %s "$work/out.sqfs")
measure ours "$squash" --quiet --format squashfs --threads "$threads" "tar:$work/small.tar" -o "$work/out.sqfs"
size_ours=$(stat -c %s "$work/out.sqfs")

echo "## many small files: 200,000 files of 10-500 bytes, gzip, $threads threads, median of $runs"
echo
echo "| tool | wall ms | user+sys s | peak RSS KiB | output bytes |"
echo "|---|---|---|---|---|"
echo "| tar2sqfs | $ms_tar2sqfs | $cpu_tar2sqfs | $kb_tar2sqfs | $size_tar2sqfs |"
echo "| sif-squash tar: | $ms_ours | $cpu_ours | $kb_ours | $size_ours |"
echo
awk -v a="$ms_ours" -v b="$ms_tar2sqfs" -v k="$kb_ours" \
  'BEGIN {printf "sif-squash / tar2sqfs: time %.2f (target <= 0.2); peak RSS %.1f MiB (target <= 64)\n", a / b, k / 1024}'

rm -f "$work/small.tar"
rows=$(bench_row "many small files: 200,000 (CPU $cpu_ours vs $cpu_tar2sqfs s)" ours "tar2sqfs" tar2sqfs)
for count in "${big_counts[@]}"; do
  python3 bench/make_small_files.py "$work/big.tar" "$count"
  runs=1 measure big "$squash" --quiet --format squashfs --threads "$threads" "tar:$work/big.tar" -o "$work/out.sqfs"
  awk -v n="$count" -v k="$kb_big" -v ms="$ms_big" \
    'BEGIN {printf "sif-squash, %d files: peak RSS %.1f MiB (%.0f bytes per entry), wall %d ms\n", n, k / 1024, k * 1024 / n, ms}'
  rows+=$'\n'$(bench_row "many small files: $count (one run)" big "" "")
  rm -f "$work/big.tar"
done
echo
bench_header
echo "$rows"
