#pragma once

// The long help of sif-run: actions, image references, flags grouped by purpose, exit
// status.

namespace sifkit::tools {

inline constexpr const char* k_run_description =
    "Run a container from an OCI-SIF with crun (or runc), as SingularityCE's --oci mode\n"
    "does: the image's squashfs is mounted where it lies in the file, a tmpfs overlay\n"
    "keeps the root filesystem writable (changes are lost at exit), config.json comes from\n"
    "the image config and the flags, and every mount is undone when the container ends.\n"
    "\n"
    "  sif-run [FLAGS] IMAGE [ARGS...]          ENTRYPOINT + CMD; ARGS replace CMD\n"
    "  sif-run exec [FLAGS] IMAGE CMD [ARGS...] CMD replaces ENTRYPOINT and CMD\n"
    "  sif-run shell [FLAGS] IMAGE              an interactive shell (/bin/sh, or --shell)\n"
    "\n"
    "The action word comes first; flags go before IMAGE (what follows IMAGE belongs to the\n"
    "container).";

inline constexpr const char* k_run_footer =
    R"(IMAGE is an OCI-SIF file or any reference sif-pull accepts (docker://, oci:,
oci-archive:, docker-archive:, docker-daemon:, oras://, https://): pulled into the
shared cache and converted there on first use; later runs start from the cache.

Examples:
  sif-run alpine.sif                          # the image's ENTRYPOINT + CMD
  sif-run alpine.sif echo hello               # ARGS replace CMD
  sif-run exec --env A=1 --bind /data:/in:ro alpine.sif sh -c 'echo $A; ls /in'
  sif-run shell --hostname box --net docker://docker.io/library/debian:12
  sif-run exec --no-privs --drop-caps all app.sif id

Environment, from low to high precedence: the image's ENV; SIFKIT_ENV_K=V (and
SINGULARITYENV_K=V) from the caller; --env-file files; --env K=V. Only TERM and the
*_proxy variables pass from the caller, never with --cleanenv. SIFKIT_CONTAINLIBS=a.so,b.so
binds host libraries into /.sifkit.d/libs (on LD_LIBRARY_PATH).

User: the image's USER (resolved in the container's /etc/passwd) wins; without one the
container runs as the caller, with the caller's home bound and an /etc/passwd entry.

Runtime: crun when installed and usable on this host's cgroups, else runc; --runtime
chooses. As root the image is mounted with the kernel's squashfs over a loop device in a
private mount namespace; otherwise (or with --fuse) with squashfuse.

Exit status: the container's (128+N when signal N ended it). SIGINT, SIGTERM, SIGHUP,
SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to the container; a third SIGINT or SIGTERM
kills it. sif-run's own failures use the codes of docs/exit-codes.md.)";

} // namespace sifkit::tools
