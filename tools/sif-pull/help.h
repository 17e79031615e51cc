#pragma once

// The long help of sif-pull: sources, examples, JSON fields and exit codes.

namespace sifkit::tools {

inline constexpr const char* k_pull_description =
    "Fetch an image into the shared sifkit cache (blobs stored once by sha256, verified as\n"
    "they arrive) and print its manifest digest (a SIF file's own digest for http(s):// and\n"
    "oras://). Re-pulling an unchanged image fetches nothing. With -o FILE, also convert\n"
    "it to an OCI-SIF with one squashfs layer (as sif-squash does; the result is kept in\n"
    "the cache, so pulling again only copies it).\n"
    "With --oci-layout DIR, also write the image as a plain OCI image layout (tagged with\n"
    "the reference's tag, else \"latest\"; Docker manifests become OCI ones).";

inline constexpr const char* k_pull_footer = R"(Sources (REF):
  oci:DIR[:TAG|@DIGEST]           an OCI image layout directory (default: the only image,
                                  else the one tagged "latest")
  oci-archive:FILE[:TAG]          a tar (optionally compressed) of an OCI image layout
  docker-archive:FILE[:REPO:TAG|@N]  what `docker save` writes
  docker://HOST/REPO[:TAG|@DIGEST]   a registry (also a bare HOST/REPO:TAG): anonymous or
                                  Bearer tokens, --creds-stdin, --creds, $REGISTRY_AUTH_FILE,
                                  ~/.docker/config.json (auths, credHelpers, credsStore)
  docker-daemon:NAME[:TAG]        an image of the local Docker daemon, exported through its
                                  API socket ($DOCKER_HOST=unix://PATH, else
                                  /var/run/docker.sock)
  http(s)://URL                   a SIF file (downloaded, resumed with Range after a dropped
                                  connection, checked to be a SIF)
  oras://HOST/REPO[:TAG|@DIGEST]  a SIF pushed as an OCI artifact (as SingularityCE does;
                                  same credentials and TLS options as docker://)

A SIF file (http(s)://, oras://) is stored in the cache as it is: sif-pull prints its
digest, -o copies it out unchanged (no conversion options apply), --oci-layout is a usage
error. --json then prints {reference, sif, size, media_type, manifest, reused,
bytes_fetched, output: null or {path, size}, time_ms: {total}}.

Examples:
  sif-pull oci:./layout:v1
  sif-pull docker://docker.io/library/alpine:3.19 -o alpine.sif
  sif-pull oci:./layout -o app.sif --compressor zstd --keep-layers
  sif-pull --platform linux/arm64/v8 oci-archive:multiarch.tar
  sif-pull docker-archive:busybox.tar:busybox:1.36 --oci-layout out/
  printf '%s\n' "$USER:$PASS" | sif-pull --ca-cert ca.crt --creds-stdin \
      docker://registry.example:5443/team/app:1.0
  sif-pull --json --quiet oci:./layout | jq .manifest
  sif-pull oras://registry.example/team/tools:1.0 -o tools.sif
  sif-pull https://example.org/images/app.sif -o app.sif
  DOCKER_HOST=unix:///run/user/1000/docker.sock sif-pull docker-daemon:app:dev -o app.sif

An index (multi-platform image) is resolved for --platform, default the host's; the error
lists the platforms present when none matches. The cache is --cache DIR, else
$SIFKIT_CACHEDIR, else $XDG_CACHE_HOME/sifkit, else ~/.cache/sifkit.

Credentials on a command line (--creds) are visible to other users until parsed; prefer an
auth file or --creds-stdin. An https registry's plain-http token realm gets no
credentials unless --insecure. A transfer slower than $SIFKIT_LOW_SPEED_LIMIT bytes/s
(1024) for $SIFKIT_LOW_SPEED_TIME seconds (30) is a network error; blobs that declare more
than the cache's free space are refused before fetching (capacity).

TLS is verified with the system CAs (or --ca-cert FILE|DIR). Plain HTTP or unverified
TLS needs --insecure, or the registry listed as Docker's daemon.json lists it,
{"insecure-registries": ["host:port"]}, in $SIFKIT_REGISTRIES_CONF, else
~/.config/sifkit/registries.json, /etc/sifkit/registries.json or /etc/docker/daemon.json.

-o takes sif-squash's conversion options: --compressor gzip|zstd|xz|lz4 (default gzip),
--level N, --block-size 4K..1M (default 128K), --threads N, --keep-layers (one squashfs
per layer). The OCI-SIF is written atomically: nothing appears at FILE on failure.

Progress goes to stderr: a bar per blob and a total (rate, ETA) on a terminal, one line
per blob otherwise, none with --quiet.

JSON (--json, on stdout; sizes in bytes):
  {reference, platform, root, manifest, media_type,
   config: {digest, size, media_type, reused}, layers: [{digest, size, media_type, reused}],
   bytes_fetched, bytes_reused, oci_layout: null or {path, tag, manifest},
   output: null or {path, sif, size, reused},
   time_ms: {resolve, fetch, total}}

Exit codes:
  0  success
  2  bad usage (malformed reference or platform, ambiguous image choice, a bad
     compressor, level or block size, --oci-layout of a SIF file)
  3  not found (no such file, tag, platform or blob)
  4  corrupt input (digest mismatch, unsafe archive entry, malformed manifest, an
     http(s):// or oras:// file that is not a SIF)
  5  I/O error
  6  unsupported (no Docker daemon socket, an oras:// artifact that is not a SIF, Docker
     schema 1, an unknown layout version, -o of an image whose layers are not tar)
  7  conflict (cache owned by another user, lock wait timed out)
  8  capacity (the image declares more bytes than the cache's file system has free)
  9  auth, 10 network (registries)
)";

} // namespace sifkit::tools
