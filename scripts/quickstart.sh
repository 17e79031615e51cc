#!/usr/bin/env bash
# Installs what sifkit needs, builds it, and runs the main job on the embedded default
# image: inspect an OCI-SIF shipped in fixtures/ (header, descriptor list, OCI view),
# convert a bundled layered image to an OCI-SIF with one squashfs layer and show its tree,
# then convert a tiny busybox image to an OCI-SIF and run it with crun (or runc).
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

# Convert a bundled layered image (whiteouts, an opaque directory) to an OCI-SIF with one
# squashfs layer, through a cache kept under build/, and look inside.
layout=fixtures/oci-sif-upstream/test/images/whiteout-opaque
out=build/quickstart.oci.sif
echo
echo "== sif-squash oci:$layout -o $out"
build/tools/sif-squash/sif-squash --cache build/quickstart-cache "oci:$layout" -o "$out"
echo
echo "== sif-inspect oci $out"
"$inspect" oci "$out"
if command -v unsquashfs >/dev/null; then
  offset=$("$inspect" list --json "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["offset"])' 2>/dev/null || true)
  if [ -n "$offset" ]; then
    echo
    echo "== the merged tree (unsquashfs -lln -o $offset $out)"
    unsquashfs -lln -o "$offset" "$out"
  fi
fi

# Convert the bundled busybox image (made from Debian's busybox-static) and run it: the
# image's CMD prints a greeting, its user (the image's USER) and where it runs.
layout=build/busybox-image
bash scripts/busybox-image.sh "$layout" >/dev/null
echo
echo "== sif-squash oci:$layout -o build/busybox.oci.sif"
build/tools/sif-squash/sif-squash --quiet --cache build/quickstart-cache "oci:$layout" -o build/busybox.oci.sif
echo
echo "== sif-run build/busybox.oci.sif"
build/tools/sif-run/sif-run build/busybox.oci.sif
echo
echo "sifkit is built; the tools are in build/tools/. Run scripts/test.sh for the test suite."
