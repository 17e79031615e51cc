#!/usr/bin/env bash
# How long sif-inspect takes on a 1 GiB SIF (it should read only the header and the
# descriptor table), against Debian's siftool, with a warm page cache and with the SIF and
# the tool's own binary evicted from it (the first look at a file on a node; the system
# libraries stay cached, as on any machine that has run a program since boot). As root,
# also with every cache dropped (drop_caches: the libraries are read from disk too).
#   bench/inspect.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build=${1:-build}
runs=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/bench/make_big_sif" "$work/big.sif" 1024
inspect="$build/tools/sif-inspect/sif-inspect"
siftool=$(command -v siftool || true)

# evict FILE...: drops FILE's pages from the page cache.
evict() {
  python3 -c 'import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)' "$@"
}
drop_all() { sync && echo 3 >/proc/sys/vm/drop_caches; }

key() { local k=${1//[^a-z0-9]/_}; echo "inspect_$k"; }
for sub in header list "info 1" "list --json"; do
  bench_time "$(key "$sub")" : "$inspect" $sub "$work/big.sif"
done
bench_time true : /bin/true
echo "| sif-inspect on a 1 GiB SIF | median ms ($runs runs) |"
echo "|---|---|"
for sub in header list "info 1" "list --json"; do
  var=ms_$(key "$sub")
  echo "| sif-inspect $sub | ${!var} |"
done
echo "| /bin/true (process start, for scale) | $ms_true |"
echo "shared libraries loaded: sif-inspect $(ldd "$inspect" | grep -c '=>')${siftool:+, siftool $(ldd "$siftool" 2>/dev/null | grep -c '=>' || true)}"
echo
if [ -z "$siftool" ]; then
  echo "bench/inspect.sh: siftool is not installed (scripts/setup.sh): no comparison"
  exit 0
fi
bench_time siftool : "$siftool" list "$work/big.sif"
bench_time inspect_evicted "evict $work/big.sif $inspect" "$inspect" list "$work/big.sif"
bench_time siftool_evicted "evict $work/big.sif $siftool" "$siftool" list "$work/big.sif"
bench_header
bench_row "sif-inspect list, 1 GiB SIF" inspect_list "siftool list" siftool
bench_row "… SIF and binary not cached" inspect_evicted "siftool list" siftool_evicted
if [ -w /proc/sys/vm/drop_caches ]; then
  bench_time inspect_dropped drop_all "$inspect" list "$work/big.sif"
  bench_time siftool_dropped drop_all "$siftool" list "$work/big.sif"
  bench_row "… every cache dropped" inspect_dropped "siftool list" siftool_dropped
fi
