#!/usr/bin/env bash
# Cold pull and warm re-pull from a local registry, sif-pull against skopeo, in one run.
# Starts Debian's docker-registry on a free 127.0.0.1 port, pushes IMAGE (an OCI layout;
# default: the 50-layer fixture) with skopeo, then times RUNS runs of each command.
#   bench/pull.sh [BUILD_DIR] [RUNS] [OCI_LAYOUT:TAG]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-5}
image=${3:-fixtures/oci-sif-upstream/test/images/many-layers}
for tool in docker-registry skopeo; do
  command -v "$tool" >/dev/null || { echo "bench/pull.sh: $tool is not installed (scripts/setup.sh)"; exit 2; }
done
work=$(mktemp -d)
registry_pid=
cleanup() { [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: bench}
YAML
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
ref=127.0.0.1:$port/bench/image:latest
skopeo copy -q --dest-tls-verify=false "oci:$image" "docker://$ref"

median_ms() { # prepare-command command...
  local prepare=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    eval "$prepare"
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

pull="$build/tools/sif-pull/sif-pull"
skopeo_cold=$(median_ms "rm -rf $work/oci" skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/oci:latest")
sifkit_cold=$(median_ms "rm -rf $work/cache" "$pull" --quiet --insecure --cache "$work/cache" "docker://$ref")
sifkit_warm=$(median_ms ":" "$pull" --quiet --insecure --cache "$work/cache" "docker://$ref")
echo "| pull of $(basename "$image") from a local registry | median ms ($runs runs) |"
echo "|---|---|"
echo "| skopeo copy docker:// → oci: (cold) | $skopeo_cold |"
echo "| sif-pull docker:// → cache (cold) | $sifkit_cold |"
echo "| sif-pull re-pull (cached) | $sifkit_warm |"
awk -v a="$sifkit_cold" -v b="$skopeo_cold" 'BEGIN {printf "ratio sif-pull / skopeo (cold): %.2f\n", a / b}'
