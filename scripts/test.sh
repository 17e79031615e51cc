#!/usr/bin/env bash
# Runs every sifkit test: installs missing packages, builds the normal and the
# sanitizer (ASan+UBSan) configurations, runs the unit tests under the sanitizers,
# a short libFuzzer run of the SIF parser, and finally the whole suite under CTest.
#   SIFKIT_FUZZ_SECONDS  length of the fuzz run (default 60; 0 skips it)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/setup.sh

# Every skipped check is logged ("case<TAB>lack<TAB>reason", tests/support/skip.h) and
# summed up at the end. On a machine that can run everything (root, crun, runc, FUSE),
# a skip for anything scripts/setup.sh provides fails its case instead.
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
report_skips() {
  local count
  count=$(wc -l <"$skip_log")
  echo "== skipped checks: $count"
  if [ "$count" != 0 ]; then
    cut -f2- "$skip_log" | sort | uniq -c | sort -rn
  fi
}
trap report_skips EXIT

echo "== build (sanitizers)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSIFKIT_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
echo "== unit tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

fuzz_seconds=${SIFKIT_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" != 0 ] && [ -x scripts/fuzz.sh ]; then
  echo "== fuzzing the SIF parser for ${fuzz_seconds}s"
  bash scripts/fuzz.sh "$fuzz_seconds"
fi

echo "== build (release)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
echo "== all tests"
ctest --test-dir build --output-on-failure -j "$jobs"
