#!/usr/bin/env bash
# Builds the libFuzzer targets (clang >= 16, ASan + UBSan) and runs each for SECONDS
# (default 60) over a scratch copy of the seed corpus (the upstream SIF test images and
# the SIF and OCI-SIF goldens):
#   fuzz_sif_open    open + every read accessor, checked against the input bytes;
#   fuzz_sif_mutate  add / set / delete on whatever opens for writing, then reopen.
# Give target names after SECONDS to run only those. Exits non-zero on the first crash,
# sanitizer report, failed check, timeout or out-of-memory; the offending input is kept
# under <build>/fuzz-artifacts/ (replay: <build>/tests/fuzz/<target> <file>).
#
# Environment: SIFKIT_FUZZ_BUILD (default build-fuzz), CXX (default: the newest
# clang++-NN found), JOBS (ninja parallelism, default 2).
set -euo pipefail

seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(fuzz_sif_open fuzz_sif_mutate)
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SIFKIT_FUZZ_BUILD:-$root/build-fuzz}

if [[ ! -f $build/CMakeCache.txt ]]; then
  cxx=${CXX:-}
  if [[ -z $cxx ]]; then
    for candidate in clang++-19 clang++-18 clang++-17 clang++-16 clang++; do
      if command -v "$candidate" >/dev/null; then
        cxx=$candidate
        break
      fi
    done
  fi
  if [[ -z $cxx ]]; then
    echo "fuzz: no clang++ found (Debian 12: apt-get install clang-16 libclang-rt-16-dev)" >&2
    exit 2
  fi
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIFKIT_FUZZ=ON -DSIFKIT_TESTS=OFF
fi
ninja -C "$build" -j "${JOBS:-2}" "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$build/fuzz-artifacts"
# Flatten the seed paths into unique names; the fuzzer adds its finds next to them.
while IFS= read -r -d '' seed; do
  rel=${seed#"$root/fixtures/"}
  cp "$seed" "$work/corpus/${rel//\//_}"
done < <(find "$root/fixtures/sif-upstream/test/images" -name '*.sif' -print0
         find "$root/fixtures/sif-upstream/pkg/sif/testdata" \
              "$root/fixtures/oci-sif-upstream/pkg/sif/testdata" -name '*.golden' -print0)

# Symbolised stack traces for findings (llvm-16 from scripts/setup.sh).
for symbolizer in /usr/lib/llvm-*/bin/llvm-symbolizer; do
  [[ -x $symbolizer ]] && export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$symbolizer}
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for target in "${targets[@]}"; do
  # Each target grows its own copy of the seeds.
  rm -rf "$work/run" && cp -r "$work/corpus" "$work/run"
  echo "fuzz: $target, $(ls "$work/run" | wc -l) seeds, ${seconds}s"
  "$build/tests/fuzz/$target" "$work/run" \
    -max_len=65536 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/fuzz-artifacts/$target-" -print_final_stats=1
done
echo "fuzz: no findings"
