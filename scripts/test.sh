#!/usr/bin/env bash
# Runs every sifkit test: installs missing packages, builds the normal and the
# sanitizer (ASan+UBSan) configurations, runs the unit tests under the sanitizers,
# a short libFuzzer run of the SIF parser, and finally the whole suite under CTest.
#   SIFKIT_FUZZ_SECONDS  length of the fuzz run (default 60; 0 skips it)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/setup.sh

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
