#!/usr/bin/env bash
# Installs every Debian 12 package sifkit needs to build, test and run.
# Idempotent: packages already present are skipped, and apt is not touched at all
# when nothing is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-16 libclang-rt-16-dev llvm-16 clang-format git
  # libraries
  catch2 libcli11-dev nlohmann-json3-dev libfmt-dev libssl-dev libarchive-dev
  libsquashfs-dev libzstd-dev libdeflate-dev libcurl4-openssl-dev libsqlite3-dev sqlite3
  # peers and runtime parts used by tests and benchmarks
  squashfs-tools squashfs-tools-ng squashfuse fuse-overlayfs crun runc
  docker-registry skopeo umoci
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if ((EUID != 0)); then
  sudo="sudo"
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
