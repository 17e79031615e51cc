#!/usr/bin/env bash
# Writes a tiny OCI image layout (one uncompressed layer) from Debian's busybox-static:
# /bin/busybox with its applets, /etc/passwd and /etc/group with a user "app" (1000),
# and a config that runs as that user and says hello. The same inputs give the same
# bytes (sorted tar, fixed owners and times).
#   scripts/busybox-image.sh OUT_DIR
set -euo pipefail

out=${1:?usage: busybox-image.sh OUT_DIR}
busybox=/bin/busybox
if ! [ -x "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1; then
  echo "busybox-image.sh: $busybox is missing; install Debian's busybox-static" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,etc,home/app,root,tmp,var/tmp,proc,sys,dev}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:App User:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
app:x:1000:
nogroup:x:65534:
GROUP
echo "sifkit busybox $("$busybox" | head -1 | cut -d' ' -f2)" >"$root/etc/motd"
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"

# Owners: root everywhere, the user's home its own (when we may chown; otherwise the
# caller's files are recorded as root's).
if ((EUID == 0)); then
  chown -R 0:0 "$root"
  chown 1000:1000 "$root/home/app"
  owners=()
else
  owners=(--owner=0 --group=0)
fi
layer=$work/layer.tar
tar -C "$root" --sort=name --mtime=@0 --numeric-owner "${owners[@]}" \
  --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -cf "$layer" .

rm -rf "$out"
mkdir -p "$out/blobs/sha256"
put_blob() { # FILE -> prints "digest size"
  local hex size
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  cp "$1" "$out/blobs/sha256/$hex"
  echo "sha256:$hex $size"
}
read -r layer_digest layer_size < <(put_blob "$layer")

cat >"$work/config.json" <<CONFIG
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
"config":{"User":"app","WorkingDir":"/home/app","Env":["PATH=/bin","GREETING=Hello from busybox in an OCI-SIF container"],
"Cmd":["/bin/sh","-c","echo \"\$GREETING\"; cat /etc/motd; echo \"user: \$(id)\"; echo \"cwd: \$(pwd), hostname: \$(hostname), kernel: \$(uname -sr)\""],
"Labels":{"org.opencontainers.image.title":"sifkit-busybox"}},
"rootfs":{"type":"layers","diff_ids":["$layer_digest"]},
"history":[{"created":"1970-01-01T00:00:00Z","created_by":"scripts/busybox-image.sh"}]}
CONFIG
read -r config_digest config_size < <(put_blob "$work/config.json")

cat >"$work/manifest.json" <<MANIFEST
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"$config_digest","size":$config_size},
"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"$layer_digest","size":$layer_size}]}
MANIFEST
read -r manifest_digest manifest_size < <(put_blob "$work/manifest.json")

echo '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
cat >"$out/index.json" <<INDEX
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$manifest_digest","size":$manifest_size,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}
INDEX
echo "$out: busybox image $manifest_digest"
