#!/usr/bin/env bash
# Builds the libFuzzer targets (clang >= 16, ASan + UBSan) and runs them FUZZ_JOBS at a
# time (default 2, one per core), within SECONDS of wall time in all (default 60): each
# target fuzzes for SECONDS * FUZZ_JOBS / <number of targets>. Each target starts from a
# scratch copy of its own seeds:
#   fuzz_sif_open      open + every read accessor, checked against the input bytes
#                      (seeds: the upstream SIF test images and the SIF/OCI-SIF goldens);
#   fuzz_sif_mutate    add / set / delete on whatever opens for writing, then reopen
#                      (the same seeds);
#   fuzz_tar_reader    a layer tar (plain, gzip, zstd) read entry by entry, and merged as
#                      one or two layers (seeds written by tests/fuzz/make_tar_seeds.py);
#   fuzz_oci_json      index, manifest and image config parsers, and the config rewrite;
#   fuzz_cdi_spec      CDI spec files, YAML and JSON;
#   fuzz_cgroups_toml  --apply-cgroups files, TOML and JSON
#                      (the last three: tests/fuzz/seeds/<target>/).
# Give target names after SECONDS to run only those. Exits non-zero when a target finds a
# crash, sanitizer report, failed check, timeout or out-of-memory (the others finish
# first); the offending input is kept under <build>/fuzz-artifacts/, and the target's
# output and the line that replays it are printed.
#
# Environment: SIFKIT_FUZZ_BUILD names an existing build directory configured with
# -DSIFKIT_FUZZ=ON (for instance the one CI also builds the unit tests in:
# -DCMAKE_CXX_COMPILER=clang++-16 -DSIFKIT_SANITIZE=ON -DSIFKIT_FUZZ=ON -DSIFKIT_TESTS=ON);
# without it the script configures its own in build-fuzz. CXX (default: the newest
# clang++-NN found), JOBS (ninja parallelism, default 2).
set -euo pipefail

seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(fuzz_sif_open fuzz_sif_mutate fuzz_tar_reader fuzz_oci_json fuzz_cdi_spec
           fuzz_cgroups_toml)
fi
at_once=${FUZZ_JOBS:-2}
if ((at_once > ${#targets[@]})); then
  at_once=${#targets[@]}
fi
per_target=$((seconds * at_once / ${#targets[@]}))
if ((per_target < 1)); then
  echo "fuzz: ${seconds}s cannot be split over ${#targets[@]} targets" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ -n ${SIFKIT_FUZZ_BUILD:-} ]]; then
  build=$(cd "$SIFKIT_FUZZ_BUILD" && pwd)
  if ! grep -q '^SIFKIT_FUZZ:BOOL=ON$' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "fuzz: $build is not a build directory configured with -DSIFKIT_FUZZ=ON" >&2
    exit 2
  fi
else
  build=$root/build-fuzz
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
fi
ninja -C "$build" -j "${JOBS:-2}" "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz-artifacts"

# Copies the files found by `find ARGS...` into directory $1, their paths flattened into
# unique names.
copy_seeds() {
  local into=$1
  shift
  mkdir -p "$into"
  while IFS= read -r -d '' seed; do
    rel=${seed#"$root/"}
    cp "$seed" "$into/${rel//\//_}"
  done < <(find "$@" -type f -print0)
}

# Fills directory $2 with the seeds of target $1.
seeds_of() {
  local target=$1 into=$2
  case $target in
    fuzz_sif_open | fuzz_sif_mutate)
      copy_seeds "$into" "$root/fixtures/sif-upstream/test/images" -name '*.sif'
      copy_seeds "$into" "$root/fixtures/sif-upstream/pkg/sif/testdata" \
        "$root/fixtures/oci-sif-upstream/pkg/sif/testdata" -name '*.golden'
      ;;
    fuzz_tar_reader)
      python3 "$root/tests/fuzz/make_tar_seeds.py" "$into"
      ;;
    *)
      copy_seeds "$into" "$root/tests/fuzz/seeds/$target"
      ;;
  esac
}

# Symbolised stack traces for findings (llvm-16 from scripts/setup.sh).
for symbolizer in /usr/lib/llvm-*/bin/llvm-symbolizer; do
  [[ -x $symbolizer ]] && export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$symbolizer}
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Fuzzes target $1 in $work/$1 (its own copy of its seeds); prints its output's last
# lines, or all of it and the replay line when it found something.
fuzz_one() {
  local target=$1 dir=$work/$1
  seeds_of "$target" "$dir/corpus"
  echo "fuzz: $target, $(ls "$dir/corpus" | wc -l) seeds, ${per_target}s"
  touch "$dir/started"
  if ! "$build/tests/fuzz/$target" "$dir/corpus" \
    -max_len=65536 -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/fuzz-artifacts/$target-" -print_final_stats=1 >"$dir/log" 2>&1; then
    cat "$dir/log" >&2
    echo "fuzz: $target found a problem; replay:" >&2
    find "$build/fuzz-artifacts" -name "$target-*" -newer "$dir/started" \
      -printf "  $build/tests/fuzz/$target %p\n" >&2
    return 1
  fi
  echo "fuzz: $target done: $(grep -m1 -o 'Done [0-9]* runs in [0-9]* second(s)' "$dir/log")"
}

failed=0
running=0
for target in "${targets[@]}"; do
  if ((running >= at_once)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  fuzz_one "$target" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
if ((failed)); then
  exit 1
fi
echo "fuzz: no findings"
