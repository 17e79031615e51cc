#!/usr/bin/env bash
# Container start-up, in one run: `sif-run exec image.sif /bin/true` against `crun run`
# and `runc run` of a ready bundle (the same image unpacked by umoci) and `podman run`.
# The image is scripts/busybox-image.sh's, converted by sif-squash. Needs root.
#   bench/run.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-20}
for tool in umoci crun runc; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is not installed (scripts/setup.sh)"; exit 2; }
done
work=$(mktemp -d)
lower=/tmp/sifkit-bench-$$ # podman names an oci: image after its path, which must be lower case
trap 'rm -rf "$work" "$lower"' EXIT

bash scripts/busybox-image.sh "$work/layout" >/dev/null
"$build/tools/sif-squash/sif-squash" --quiet --cache "$work/cache" "oci:$work/layout:latest" -o "$work/image.sif"
umoci unpack --image "$work/layout:latest" "$work/bundle" >/dev/null 2>&1
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
json.dump(c, open(path, "w"))
PY

median_ms() { # command...
  local times=()
  "$@" >/dev/null 2>&1 || { echo "FAILED"; return; } # warm-up
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

run="$build/tools/sif-run/sif-run"
n=0
next_id() { n=$((n + 1)); echo "bench-$$-$n"; }
crun_bundle() { crun run --bundle "$work/bundle" "$(next_id)"; }
runc_bundle() { runc run --bundle "$work/bundle" "$(next_id)"; }

echo "| start-up of /bin/true (busybox image) | median ms ($runs runs) |"
echo "|---|---|"
crun_ms=$(median_ms crun_bundle)
echo "| crun run of a ready bundle | $crun_ms |"
runc_ms=$(median_ms runc_bundle)
echo "| runc run of a ready bundle | $runc_ms |"
# The floor of any run that mounts the image afresh: loop mount of the squashfs at its
# offset, tmpfs + overlay, crun run of the same config, unmount (shell commands).
offset=$("$build/tools/sif-inspect/sif-inspect" list --json "$work/image.sif" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["offset"])')
mkdir -p "$work/fresh/rootfs" "$work/fresh/layer" "$work/fresh/upper"
cp "$work/bundle/config.json" "$work/fresh/config.json"
fresh_mount_run() {
  local f=$work/fresh
  mount -o loop,ro,offset="$offset" -t squashfs "$work/image.sif" "$f/layer" &&
    mount -t tmpfs tmpfs "$f/upper" && mkdir "$f/upper/u" "$f/upper/w" &&
    mount -t overlay overlay -o "lowerdir=$f/layer,upperdir=$f/upper/u,workdir=$f/upper/w" "$f/rootfs" &&
    crun run --bundle "$f" "$(next_id)"
  umount "$f/rootfs" "$f/upper" "$f/layer"
}
echo "| loop mount + overlay + crun run + umount, by hand (fresh mounts) | $(median_ms fresh_mount_run) |"
for rt in crun runc; do
  ms=$(median_ms "$run" --quiet --runtime "$rt" exec "$work/image.sif" /bin/true)
  echo "| sif-run --runtime $rt exec image.sif /bin/true | $ms |"
  eval "sifrun_$rt=$ms"
done
if command -v podman >/dev/null; then
  pd="$work/podman"
  po=(--root "$pd/root" --runroot "$pd/runroot" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
  mkdir -p "$lower"
  cp -r "$work/layout" "$lower/busybox"
  if podman "${po[@]}" pull -q "oci:$lower/busybox:latest" >/dev/null 2>&1; then
    image_id=$(podman "${po[@]}" images -q | head -1)
    ms=$(median_ms podman "${po[@]}" run --rm --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --network none "$image_id" /bin/true)
    echo "| podman run --rm (vfs, --network none) | $ms |"
    podman "${po[@]}" system reset -f >/dev/null 2>&1 || true
  else
    echo "| podman run | FAILED to import the image |"
  fi
fi
awk -v a="${sifrun_crun:-0}" -v b="$crun_ms" 'BEGIN { if (b > 0 && a > 0) printf "ratio sif-run (crun) / crun run: %.2f\n", a / b }'
awk -v a="${sifrun_runc:-0}" -v b="$runc_ms" 'BEGIN { if (b > 0 && a > 0) printf "ratio sif-run (runc) / runc run: %.2f\n", a / b }'
