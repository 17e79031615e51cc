#pragma once

// The long help of sif-squash: sources, examples, options, JSON fields and exit codes.

namespace sifkit::tools {

inline constexpr const char* k_squash_description =
    "Convert an image or a root filesystem into an OCI-SIF: one squashfs layer holding the\n"
    "merged layers (whiteouts applied, hard links kept), a config with new diff IDs and one\n"
    "history entry, and an OCI manifest, as SingularityCE's `pull --oci` writes. The same\n"
    "input and options always give the same bytes. Images go through the shared cache, so\n"
    "a second conversion with the same options only copies the stored result.";

inline constexpr const char* k_squash_footer = R"(Sources (SOURCE), in the order they are tried:
  tar:FILE                        a root filesystem tar (gzip, zstd, xz or bzip2 too)
  DIR holding an oci-layout file  the OCI image layout, as oci:DIR
  DIR                             a root filesystem directory (owners, modes, xattrs kept;
                                  .wh.* names are ordinary files here)
  FILE.tar, .tar.gz, .tgz, .tar.zst  a root filesystem tar; other files are refused: an
                                  image archive needs its prefix (oci-archive:, docker-archive:)
  an image reference, as sif-pull  oci:DIR[:TAG], oci-archive:FILE[:TAG],
                                  docker-archive:FILE[:REF], docker://HOST/REPO[:TAG],
                                  docker-daemon:NAME[:TAG]

Examples:
  sif-squash docker://docker.io/library/alpine:3.19 -o alpine.sif
  sif-squash oci-archive:app.tar:v2 -o app.sif --compressor zstd --level 19
  sif-squash ./layout -o app.sif --keep-layers       # one squashfs per layer
  sif-squash ./rootfs -o rootfs.sif --platform linux/arm64
  sif-squash tar:rootfs.tar.gz -o rootfs.squashfs --format squashfs --block-size 1M
  sif-squash --json --quiet oci:./layout -o out.sif | jq .squashfs

Compression: --compressor gzip (default, what SingularityCE writes), zstd, xz or lz4;
--level N (gzip 1-12, default 5; zstd 1-22, default 15); --block-size 4K..1M, a power of
two (default 128K); --threads N (default: one per CPU; the output does not depend on it).

An image is pulled into the cache first (--cache DIR, else $SIFKIT_CACHEDIR, else
$XDG_CACHE_HOME/sifkit, else ~/.cache/sifkit); the OCI-SIF is stored there too and
recorded with the options, then copied (reflinked when the file system can) to -o.
When the registry cannot be reached, an image pulled before converts from the cache.
A root filesystem is converted straight to -o, with a minimal config for --platform.
The output is replaced atomically: nothing appears at -o unless the conversion succeeds.

Progress goes to stderr: bytes read and written on a terminal, one line per layer
otherwise, none with --quiet.

JSON (--json, on stdout; sizes in bytes, null when not applicable):
  {source, kind: "image"|"directory"|"tar", manifest, format, output, size, sif,
   squashfs: [{digest, size}], stats: {bytes_in, image_size, inodes, files, directories,
   hardlinks, entries_hidden, xattrs_dropped} or null when reused, reused,
   time_ms: {pull, convert, copy, total}}

Exit codes:
  0  success
  2  bad usage (missing -o, bad compressor, level or block size, a file that is not a tar)
  3  not found (no such file, tag, platform or blob)
  4  corrupt input (digest mismatch, unsafe tar entry, malformed manifest)
  5  I/O error
  6  unsupported (an image whose layers are already squashfs, a layer that is not a tar,
     a compressor this build lacks)
  7  conflict (cache owned by another user, lock wait timed out)
  9  auth, 10 network (registries)
)";

} // namespace sifkit::tools
