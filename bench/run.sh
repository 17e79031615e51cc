#!/usr/bin/env bash
# Container start-up, in one run: `sif-run exec image.sif /bin/true` against `crun run`
# and `runc run` of a ready bundle (the same image unpacked by umoci) and `podman run`,
# as root and, when the account exists, as the plain account sifkit-test (against
# rootless `crun run` of a bundle `umoci unpack --rootless` made as that account).
# umoci's config has no seccomp filter while sif-run applies the default profile, so
# crun also runs the umoci bundle with sif-run's own filter (from `sif-mount --bundle`'s
# config.json), once as a profile crun compiles and once with the BPF program sif-run
# hands it (run.oci.seccomp_bpf_data). The image is scripts/busybox-image.sh's,
# converted by sif-squash. Needs root.
#   bench/run.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build=${1:-build}
runs=${2:-20}
for tool in umoci crun runc; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is not installed (scripts/setup.sh)"; exit 2; }
done
work=$(mktemp -d)
lower=/tmp/sifkit-bench-$$ # podman names an oci: image after its path, which must be lower case
trap '[ -d "$work/ours" ] && "$build/tools/sif-umount/sif-umount" "$work/ours" >/dev/null; rm -rf "$work" "$lower"' EXIT
chmod 755 "$work" # the plain account reads the image and unpacks its own bundle
plain=sifkit-test
id "$plain" >/dev/null 2>&1 || plain=

bash scripts/busybox-image.sh "$work/layout" >/dev/null
"$build/tools/sif-squash/sif-squash" --quiet --cache "$work/cache" "oci:$work/layout:latest" -o "$work/image.sif"
umoci unpack --image "$work/layout:latest" "$work/bundle" >/dev/null 2>&1

set_args_true() { # config.json
  python3 - "$1" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
json.dump(c, open(path, "w"))
PY
}

# CPU seconds (user + system) of the waited-for children in the output of `times` in FILE.
children_cpu() { # FILE
  awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}

# The median wall time in ms of `runs` runs of a command (after one warm-up), and the mean
# CPU time in ms its processes used per run (wall times swing with the machine's load).
median_ms() { # command...
  local times=() marks
  "$@" >/dev/null 2>&1 || { echo "FAILED"; return; } # warm-up
  marks=$(mktemp -d)
  times >"$marks/before" # in this shell: a pipe or $(...) would ask a subshell
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  times >"$marks/after"
  printf '%s\n' "${times[@]}" | sort -n |
    awk -v c0="$(children_cpu "$marks/before")" -v c1="$(children_cpu "$marks/after")" -v n="$runs" \
      '{a[NR]=$1} END {printf "%.1f | %.1f", a[int((NR+1)/2)]/1000, (c1 - c0) * 1000 / n}'
  rm -rf "$marks"
}

set_args_true "$work/bundle/config.json"

run="$(cd "$build" && pwd)/tools/sif-run/sif-run"
# sif-run's seccomp filter: the profile from the config.json sif-mount --bundle writes,
# and the BPF program a run keeps in its state directory.
SIFKIT_STATE_DIR="$work/state" "$run" --quiet exec "$work/image.sif" /bin/true
cp "$work/image.sif" "$work/ours.sif" # a loop device of its own: the fresh-mount row's would overlap
"$build/tools/sif-mount/sif-mount" --bundle "$work/ours" "$work/ours.sif" >/dev/null
python3 - "$work" <<'PY'
import base64, glob, json, os, shutil, sys
work = sys.argv[1]
ours = json.load(open(f"{work}/ours/config.json"))
bpf = glob.glob(f"{work}/state/seccomp/*.bpf")
ours.setdefault("annotations", {})["run.oci.seccomp_bpf_data"] = base64.b64encode(
    open(bpf[0], "rb").read()).decode()
ours["process"]["args"] = ["/bin/true"]
ours["process"]["terminal"] = False
json.dump(ours, open(f"{work}/ours/config.json", "w"))
for name, annotate in (("bundle-seccomp", False), ("bundle-seccomp-bpf", True)):
    os.mkdir(f"{work}/{name}")
    c = json.load(open(f"{work}/bundle/config.json"))
    c["root"]["path"] = f"{work}/bundle/rootfs"
    c["linux"]["seccomp"] = ours["linux"]["seccomp"]
    if annotate:
        c.setdefault("annotations", {})["run.oci.seccomp_bpf_data"] = base64.b64encode(
            open(bpf[0], "rb").read()).decode()
    json.dump(c, open(f"{work}/{name}/config.json", "w"))
PY
n=0
next_id() { n=$((n + 1)); echo "bench-$$-$n"; }
crun_bundle() { crun run --bundle "$work/${1:-bundle}" "$(next_id)"; }
runc_bundle() { runc run --bundle "$work/${1:-bundle}" "$(next_id)"; }

echo "| start-up of /bin/true (busybox image) | median ms ($runs runs) | CPU ms per run |"
echo "|---|---|---|"
crun_ms=$(median_ms crun_bundle)
echo "| crun run of a ready bundle | $crun_ms |"
runc_ms=$(median_ms runc_bundle)
echo "| runc run of a ready bundle | $runc_ms |"
echo "| crun run, the bundle with sif-run's seccomp profile | $(median_ms crun_bundle bundle-seccomp) |"
echo "| crun run, the bundle with sif-run's seccomp profile and BPF annotation | $(median_ms crun_bundle bundle-seccomp-bpf) |"
echo "| runc run, the bundle with sif-run's seccomp profile | $(median_ms runc_bundle bundle-seccomp) |"
# sif-run's own config.json (its mounts, capabilities and filter; the BPF annotation for
# crun) on the image mounted once by sif-mount --bundle: what the runtime costs inside a
# sif-run run, the rest being sif-run's own.
echo "| crun run of sif-run's config (sif-mount --bundle, mounted once) | $(median_ms crun_bundle ours) |"
echo "| runc run of sif-run's config (sif-mount --bundle, mounted once) | $(median_ms runc_bundle ours) |"
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
# The floor with nothing but the essentials (bench/fresh_floor.cpp: private mount
# namespace, tmpfs bundle, autoclear loop device, squashfs + overlay, config.json copied,
# crun run, exit: the kernel tears down), on the umoci bundle's config.
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
c = json.load(open(f"{work}/bundle/config.json"))
c["root"]["path"] = "rootfs"
json.dump(c, open(f"{work}/floor-config.json", "w"))
PY
mkdir "$work/floor"
floor_run() { "$build/bench/fresh_floor" "$work/floor" "$work/image.sif" "$offset" "$work/floor-config.json" crun "$(next_id)"; }
floor_ms=$(median_ms floor_run)
echo "| the floor: private namespace + loop + squashfs + overlay + crun run, no teardown (bench/fresh_floor) | $floor_ms |"
# What the kernel's decompressor costs a run that mounts afresh: the image's /bin/true
# executed straight from a squashfs mounted just before (no container; the mount and the
# unmount are outside the timed command). With gzip blocks this alone is about a crun run.
fresh_exec_ms() { # image file, offset
  local times=() t0 t1
  for _ in $(seq "$runs"); do
    mount -o loop,ro,offset="$2" -t squashfs "$1" "$work/fresh/layer"
    t0=$(date +%s%N)
    "$work/fresh/layer/bin/true"
    t1=$(date +%s%N)
    umount "$work/fresh/layer"
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}
echo "| /bin/true executed from a freshly mounted squashfs, gzip (the image's) | $(fresh_exec_ms "$work/image.sif" "$offset") | - |"
"$build/tools/sif-squash/sif-squash" --quiet --compressor lz4 --cache "$work/cache" "oci:$work/layout:latest" -o "$work/image-lz4.sif"
offset_lz4=$("$build/tools/sif-inspect/sif-inspect" list --json "$work/image-lz4.sif" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["offset"])')
echo "| /bin/true executed from a freshly mounted squashfs, lz4 | $(fresh_exec_ms "$work/image-lz4.sif" "$offset_lz4") | - |"
for rt in crun runc; do
  ms=$(median_ms "$run" --quiet --runtime "$rt" exec "$work/image.sif" /bin/true)
  echo "| sif-run --runtime $rt exec image.sif /bin/true | $ms |"
  eval "sifrun_$rt='$ms'"
done
echo "| sif-run exec image-lz4.sif /bin/true (the same image converted with --compressor lz4) | $(median_ms "$run" --quiet exec "$work/image-lz4.sif" /bin/true) |"
if [ -n "$plain" ]; then
  # As the plain account, in one shell of its own so that switching users is not timed.
  as_plain() { runuser -u "$plain" -- env -u SIFKIT_STATE_DIR -u XDG_RUNTIME_DIR "$@"; }
  mkdir "$work/plain"
  chown "$plain" "$work/plain"
  as_plain umoci unpack --rootless --image "$work/layout:latest" "$work/plain/bundle" >/dev/null
  set_args_true "$work/plain/bundle/config.json"
  python3 - "$work/plain/bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["user"] = {"uid": 0, "gid": 0} # only the account itself is mapped, as 0
json.dump(c, open(path, "w"))
PY
  as_plain mkdir "$work/plain/state"
  plain_rows=$(as_plain bash -c "$(declare -f median_ms children_cpu); runs=$runs; n=0
    crun_rootless() { n=\$((n + 1)); crun --root '$work/plain/state' run --bundle '$work/plain/bundle' plain-\$\$-\$n; }
    median_ms crun_rootless; echo; median_ms '$run' --quiet exec '$work/image.sif' /bin/true")
  crun_plain_ms=$(sed -n 1p <<<"$plain_rows")
  sifrun_plain_ms=$(sed -n 2p <<<"$plain_rows")
  echo "| rootless crun run of a ready bundle, as $plain | $crun_plain_ms |"
  echo "| sif-run exec image.sif /bin/true, as $plain | $sifrun_plain_ms |"
fi
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
ratio() { # label, sif-run's "wall | cpu", the peer's
  awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN { split(a, x, /[|]/); split(b, y, /[|]/)
    if (x[1] > 0 && y[1] > 0 && y[2] > 0) printf "ratio %s: %.2f (CPU %.2f)\n", l, x[1] / y[1], x[2] / y[2] }'
}
ratio "sif-run (crun) / crun run" "${sifrun_crun:-0}" "$crun_ms"
ratio "sif-run (runc) / runc run" "${sifrun_runc:-0}" "$runc_ms"
ratio "sif-run / rootless crun run, as a plain account" "${sifrun_plain_ms:-0}" "${crun_plain_ms:-0}"

# The comparisons of the one table (bench/all.sh): wall time, CPU per run in the label.
row() { # case, sif-run's "wall | cpu", peer label, the peer's
  local a=$2 b=$4
  [ -n "$a" ] && [ -n "$b" ] && [ "$a" != FAILED ] && [ "$b" != FAILED ] || return 0
  bench_row_values "$1 (CPU ${a#*| } vs ${b#*| } ms)" "${a%% |*}" "$3" "${b%% |*}"
}
echo
bench_header
row "start-up, root: sif-run exec img /bin/true" "${sifrun_crun:-}" "crun run, ready bundle" "$crun_ms"
row "start-up floor, root: bench/fresh_floor (essentials only)" "${floor_ms:-}" "crun run, ready bundle" "$crun_ms"
row "start-up, root: sif-run --runtime runc" "${sifrun_runc:-}" "runc run, ready bundle" "$runc_ms"
row "start-up, $plain: sif-run exec img /bin/true" "${sifrun_plain_ms:-}" "rootless crun run" "${crun_plain_ms:-}"
