#!/usr/bin/env bash
# How long sif-inspect takes on a 1 GiB SIF (it should read only the header and the
# descriptor table), against Debian's siftool, with a warm page cache and with the SIF and
# the tool's own binary evicted from it (the first look at a file on a node; the system
# libraries stay cached, as on any machine that has run a program since boot). As root,
# also with every cache dropped (drop_caches: the libraries are read from disk too).
#   bench/inspect.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
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

median_ms() { # prepare-command command...
  local prepare=$1 times=()
  shift
  for _ in $(seq "$runs"); do
    eval "$prepare"
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
  echo "| sif-inspect $sub | $(median_ms : $inspect $sub "$work/big.sif") |"
done
echo "| sif-inspect list --json | $(median_ms : $inspect list --json "$work/big.sif") |"
[ -n "$siftool" ] && echo "| siftool list | $(median_ms : "$siftool" list "$work/big.sif") |"
echo "| sif-inspect list, SIF and binary not cached | $(median_ms "evict $work/big.sif $inspect" $inspect list "$work/big.sif") |"
[ -n "$siftool" ] &&
  echo "| siftool list, SIF and binary not cached | $(median_ms "evict $work/big.sif $siftool" "$siftool" list "$work/big.sif") |"
if [ -w /proc/sys/vm/drop_caches ]; then
  echo "| sif-inspect list, every cache dropped | $(median_ms drop_all $inspect list "$work/big.sif") |"
  [ -n "$siftool" ] &&
    echo "| siftool list, every cache dropped | $(median_ms drop_all "$siftool" list "$work/big.sif") |"
fi
echo "| /bin/true (process start, for scale) | $(median_ms : /bin/true) |"
echo "shared libraries loaded: sif-inspect $(ldd "$inspect" | grep -c '=>')${siftool:+, siftool $(ldd "$siftool" 2>/dev/null | grep -c '=>' || true)}"
