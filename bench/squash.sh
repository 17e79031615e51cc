#!/usr/bin/env bash
# Conversion to squashfs against the peers, in one run: sif-squash against tar2sqfs (the
# same flattened tar, same compressor, same thread count) and umoci unpack + mksquashfs;
# then the headline: sif-pull -o (pull + convert + OCI-SIF) against skopeo copy + tar2sqfs
# from the same local registry. Wall time (median of RUNS), output size, peak memory.
#   bench/squash.sh [BUILD_DIR] [RUNS] [OCI_LAYOUT:TAG] [THREADS]
# Default image: the testbed's Debian image (../shared/testbed, TESTBED_BIG=1) when it is
# there, else the 50-layer fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build=$(realpath "${1:-build}")
runs=${2:-3}
default_image=fixtures/oci-sif-upstream/test/images/many-layers
[ -d /tmp/sif-testbed/oci/debian ] && default_image=/tmp/sif-testbed/oci/debian:bookworm
image=${3:-$default_image}
threads=${4:-$(nproc)}
for tool in docker-registry skopeo tar2sqfs sqfs2tar umoci mksquashfs; do
  command -v "$tool" >/dev/null || { echo "bench/squash.sh: $tool is not installed (scripts/setup.sh)"; exit 2; }
done
squash="$build/tools/sif-squash/sif-squash"
pull="$build/tools/sif-pull/sif-pull"
work=$(mktemp -d)
registry_pid=
cleanup() { [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

sum_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a + b}'; }
size_of() { stat -c %s "$1"; }

# The flattened tar tar2sqfs gets (what SingularityCE pipes into it): our own merge read
# back by sqfs2tar, so both read the same entries.
"$squash" --quiet --cache "$work/prep-cache" --format squashfs --threads "$threads" "oci:$image" -o "$work/flat.sqfs"
sqfs2tar "$work/flat.sqfs" >"$work/flat.tar"
gzip -1 -c "$work/flat.tar" >"$work/flat.tar.gz"

bench_time tar2sqfs "rm -f $work/t.sqfs" sh -c "tar2sqfs -q -c gzip -j $threads $work/t.sqfs < $work/flat.tar"
size_tar2sqfs=$(size_of "$work/t.sqfs")
bench_time ours_tar "rm -f $work/o.sqfs" "$squash" --quiet --format squashfs --threads "$threads" "tar:$work/flat.tar" -o "$work/o.sqfs"
size_ours_tar=$(size_of "$work/o.sqfs")
bench_time ours_layers "rm -rf $work/o.sqfs $work/cache" "$squash" --quiet --cache "$work/cache" --format squashfs --threads "$threads" "oci:$image" -o "$work/o.sqfs"
size_ours_layers=$(size_of "$work/o.sqfs")
bench_time umoci "rm -rf $work/bundle" umoci unpack --image "$image" "$work/bundle"
bench_time mksquashfs "rm -f $work/m.sqfs" mksquashfs "$work/bundle/rootfs" "$work/m.sqfs" -comp gzip -processors "$threads" -no-progress -quiet
size_mksquashfs=$(size_of "$work/m.sqfs")

# Headline: from a registry to a finished image.
bench_registry "$work/registry"
ref=$registry/bench/image:latest
skopeo copy -q --dest-tls-verify=false "oci:$image" "docker://$ref"
bench_time skopeo "rm -rf $work/oci" skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/oci:latest"
bench_time pull_convert "rm -rf $work/pcache $work/p.sif" "$pull" --quiet --insecure --cache "$work/pcache" --threads "$threads" "docker://$ref" -o "$work/p.sif"
size_sif=$(size_of "$work/p.sif")

echo "## squash: $image, gzip, $threads threads, median of $runs"
echo
echo "| step | wall ms | output bytes | peak RSS KiB |"
echo "|---|---|---|---|"
echo "| tar2sqfs < flattened tar | $ms_tar2sqfs | $size_tar2sqfs | $kb_tar2sqfs |"
echo "| sif-squash tar: (same flattened tar) | $ms_ours_tar | $size_ours_tar | $kb_ours_tar |"
echo "| sif-squash oci: (gzip layers, merged in one pass) | $ms_ours_layers | $size_ours_layers | $kb_ours_layers |"
echo "| umoci unpack | $ms_umoci | - | $kb_umoci |"
echo "| mksquashfs rootfs | $ms_mksquashfs | $size_mksquashfs | $kb_mksquashfs |"
echo "| skopeo copy docker:// → oci: | $ms_skopeo | - | $kb_skopeo |"
echo "| sif-pull -o (pull + convert + OCI-SIF, cold cache) | $ms_pull_convert | $size_sif | $kb_pull_convert |"
echo
awk -v a="$ms_ours_tar" -v b="$ms_tar2sqfs" -v s="$size_ours_tar" -v t="$size_tar2sqfs" \
  'BEGIN {printf "sif-squash / tar2sqfs: time %.2f, size %+.2f%%\n", a / b, (s / t - 1) * 100}'
awk -v a="$ms_ours_layers" -v b="$ms_umoci" -v c="$ms_mksquashfs" \
  'BEGIN {printf "sif-squash oci: / (umoci unpack + mksquashfs): %.2f\n", a / (b + c)}'
awk -v a="$ms_pull_convert" -v b="$ms_skopeo" -v c="$ms_tar2sqfs" \
  'BEGIN {printf "sif-pull -o / (skopeo copy + tar2sqfs): %.2f (target <= 0.15)\n", a / (b + c)}'

# The comparisons of the one table (bench/all.sh).
echo
bench_header
bench_row "squash: sif-squash tar: ($(basename "${image%:*}"), flattened)" ours_tar "tar2sqfs" tar2sqfs
bench_row_values "squash: sif-squash oci: (layers merged in one pass)" "$ms_ours_layers" \
  "umoci unpack + mksquashfs" "$(sum_ms "$ms_umoci" "$ms_mksquashfs")" "$kb_ours_layers" "$kb_mksquashfs"
bench_row_values "pull + convert: sif-pull -o (cold cache)" "$ms_pull_convert" \
  "skopeo copy + tar2sqfs" "$(sum_ms "$ms_skopeo" "$ms_tar2sqfs")" "$kb_pull_convert" "$kb_tar2sqfs"
