#!/usr/bin/env bash
# Installs every Debian 12 package sifkit needs to build, test and run.
# Idempotent: packages already present are skipped, and apt is not touched at all
# when nothing is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-16 libclang-rt-16-dev llvm-16 clang-format git ccache
  # libraries
  catch2 libcli11-dev nlohmann-json3-dev libfmt-dev libssl-dev libarchive-dev
  libsquashfs-dev libzstd-dev libdeflate-dev libisal-dev libcurl4-openssl-dev libsqlite3-dev sqlite3
  libyaml-cpp-dev libtomlplusplus-dev libseccomp-dev
  # the test HTTP server's request parser
  libhttp-parser-dev
  # peers and runtime parts used by tests and benchmarks
  squashfs-tools squashfs-tools-ng squashfuse fuse3 fuse-overlayfs crun runc uidmap
  docker-registry skopeo umoci conmon e2fsprogs fuse2fs siftool
  # the default seccomp profile of runs (/usr/share/containers/seccomp.json)
  golang-github-containers-common
  # the bundled busybox image; the OCI runtime-spec schema and a validator for the tests
  busybox-static golang-github-opencontainers-specs-dev python3-jsonschema
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

sudo=""
if ((EUID != 0)); then
  sudo="sudo"
fi

# crun (1.8) refuses every container on a cgroup v1/v2 hybrid host whose v2 hierarchy
# holds controllers ("cgroups in hybrid mode not supported"); runc copes. Mounting those
# controllers as v1 hierarchies, as their v1 siblings are, lets both runtimes work.
# Pure v1 or pure v2 hosts are left alone; sif-run explains the same when it meets one.
fix_hybrid_cgroups() {
  local unified=/sys/fs/cgroup/unified controller
  [ -f "$unified/cgroup.controllers" ] || return 0
  grep -q ' - cgroup cgroup ' /proc/self/mountinfo || return 0
  for controller in $(cat "$unified/cgroup.controllers"); do
    echo "setup: mounting the $controller cgroup controller as a v1 hierarchy (for crun)"
    $sudo mkdir -p "/sys/fs/cgroup/$controller"
    $sudo mount -t cgroup -o "$controller" cgroup "/sys/fs/cgroup/$controller" ||
      echo "setup: could not; sif-run will use runc on this host"
  done
}
fix_hybrid_cgroups

# Unprivileged runs need /dev/fuse open to every user (squashfuse, fuse-overlayfs):
# Debian's fuse3 package and udev make it 0666, but a host without udev (a container)
# keeps the kernel's 0600. The tests of unprivileged runs and --fakeroot switch to
# sifkit-test (subuid/subgid ranges) and sifkit-nosubid (none, for the single-id
# mapping); both are created once, without a password.
prepare_unprivileged_runs() {
  if [ -c /dev/fuse ] && [ "$(stat -c %a /dev/fuse)" = 600 ]; then
    echo "setup: making /dev/fuse 0666 (what udev does on a stock host)"
    $sudo chmod 0666 /dev/fuse
  fi
  if ! id sifkit-test >/dev/null 2>&1; then
    echo "setup: adding the test account sifkit-test with subuid/subgid 200000-265535"
    # -K ...=0: useradd would otherwise pick a range itself (login.defs SUB_UID_MIN)
    $sudo useradd -m -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 sifkit-test
    $sudo usermod --add-subuids 200000-265535 --add-subgids 200000-265535 sifkit-test
  fi
  if ! id sifkit-nosubid >/dev/null 2>&1; then
    echo "setup: adding the test account sifkit-nosubid (no subuid/subgid ranges)"
    $sudo useradd -m -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 sifkit-nosubid
  fi
}
prepare_unprivileged_runs

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

# Debian's docker-registry starts a system-wide registry on :5000 where systemd runs;
# tests start their own on free ports, so the system one is not needed.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
echo "setup: done"
