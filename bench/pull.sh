#!/usr/bin/env bash
# Cold pull and warm re-pull from a local registry, sif-pull against skopeo, in one run.
# Starts Debian's docker-registry on a free 127.0.0.1 port, pushes IMAGE (an OCI layout;
# default: the testbed's Debian image when ../shared/testbed was set up with TESTBED_BIG=1,
# else the 50-layer fixture) with skopeo, then times RUNS runs of each command.
#   bench/pull.sh [BUILD_DIR] [RUNS] [OCI_LAYOUT:TAG]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build=${1:-build}
runs=${2:-5}
default_image=fixtures/oci-sif-upstream/test/images/many-layers
[ -d /tmp/sif-testbed/oci/debian ] && default_image=/tmp/sif-testbed/oci/debian:bookworm
image=${3:-$default_image}
for tool in docker-registry skopeo; do
  command -v "$tool" >/dev/null || { echo "bench/pull.sh: $tool is not installed (scripts/setup.sh)"; exit 2; }
done
work=$(mktemp -d)
registry_pid=
cleanup() { [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

bench_registry "$work/registry"
ref=$registry/bench/image:latest
skopeo copy -q --dest-tls-verify=false "oci:$image" "docker://$ref"

pull="$build/tools/sif-pull/sif-pull"
bench_time skopeo_cold "rm -rf $work/oci" skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/oci:latest"
bench_time skopeo_warm : skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/oci:latest"
bench_time sifkit_cold "rm -rf $work/cache" "$pull" --quiet --insecure --cache "$work/cache" "docker://$ref"
bench_time sifkit_warm : "$pull" --quiet --insecure --cache "$work/cache" "docker://$ref"
echo "## pull of $(basename "${image%:*}") from a local registry, median of $runs"
bench_header
bench_row "pull into the cache (cold)" sifkit_cold "skopeo copy → oci:" skopeo_cold
bench_row "re-pull of an unchanged image (warm)" sifkit_warm "skopeo copy → oci: again" skopeo_warm
