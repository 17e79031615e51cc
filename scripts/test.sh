#!/usr/bin/env bash
# Runs every sifkit test, as CI does:
#   1. installs missing packages (scripts/setup.sh);
#   2. builds everything (build/) and runs the whole suite under CTest: the unit tier
#      (label unit) and the integration tier (label integration: tools, registries,
#      containers, mounts);
#   3. builds the libraries, the unit tier and the fuzz targets with clang, ASan and UBSan
#      (build-asan/), runs the unit tier there and fuzzes every parser of hostile input
#      (scripts/fuzz.sh, two targets at a time) for SIFKIT_FUZZ_SECONDS in all (default 60; 0 skips fuzzing).
# Skipped checks are counted and listed at the end. On a machine that can run everything
# (root, crun, runc, /dev/fuse), a skip of anything but a host property fails its case.
# A compiler cache is used when ccache is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
started=$SECONDS

bash scripts/setup.sh

mkdir -p build
skip_log=$PWD/build/skipped.log
: >"$skip_log"
export SIFKIT_SKIP_LOG=$skip_log
if [ "$(id -u)" = 0 ] && command -v crun >/dev/null && command -v runc >/dev/null &&
  [ -c /dev/fuse ]; then
  export SIFKIT_STRICT_SKIPS=1
  echo "strict skips: root, crun, runc and FUSE are here, so only host-bound checks may skip"
else
  echo "strict skips off: not root, or crun, runc or /dev/fuse missing"
fi
report() {
  local count
  count=$(wc -l <"$skip_log")
  echo "== skipped checks: $count"
  if [ "$count" != 0 ]; then
    cut -f2- "$skip_log" | sort | uniq -c | sort -rn
  fi
  echo "== $((SECONDS - started)) s in all"
}
trap report EXIT

if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
  export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
  # Precompiled headers are cacheable only with these.
  export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
fi

phase() {
  echo "== $1 ($((SECONDS - started)) s)"
}

phase "build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
phase "all tests"
ctest --test-dir build --output-on-failure -j "$jobs"

phase "build (clang, ASan+UBSan, libFuzzer)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-16 \
  -DSIFKIT_SANITIZE=ON -DSIFKIT_FUZZ=ON >/dev/null
cmake --build build-asan -j "$jobs" --target unit_tier fuzz_targets
phase "unit tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -L unit

fuzz_seconds=${SIFKIT_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" != 0 ]; then
  phase "fuzzing for ${fuzz_seconds} s"
  SIFKIT_FUZZ_BUILD=$PWD/build-asan bash scripts/fuzz.sh "$fuzz_seconds"
fi
