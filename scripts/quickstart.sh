#!/usr/bin/env bash
# Installs what sifkit needs, builds it, and runs the main job on the embedded default
# image: inspect an OCI-SIF shipped in fixtures/ (header, descriptor list, OCI view).
# No network is needed beyond Debian's package archive for the first install.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

image=fixtures/oci-sif-upstream/pkg/sif/testdata/TestWrite/DockerManifest.golden
inspect=build/tools/sif-inspect/sif-inspect
echo
echo "== sif-inspect header $image"
"$inspect" header "$image"
echo
echo "== sif-inspect list $image"
"$inspect" list "$image"
if "$inspect" --help 2>/dev/null | grep -q '^ *oci'; then
  echo
  echo "== sif-inspect oci $image"
  "$inspect" oci "$image"
fi
echo
echo "sifkit is built; the tools are in build/tools/. Run scripts/test.sh for the test suite."
