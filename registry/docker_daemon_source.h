#pragma once

// The docker-daemon: transport: an image the local Docker Engine holds, exported through
// its API socket (`GET /images/{name}/get`, what `docker save` writes) into a work
// directory of the cache and read as a docker-archive (docker_archive_source.h).
#include <cache/layout.h>
#include <common/error.h>
#include <registry/image_source.h>

#include <memory>
#include <optional>
#include <string>

namespace sifkit::registry {

inline constexpr std::string_view k_default_docker_socket = "/var/run/docker.sock";

// The daemon's socket path: DOCKER_HOST's `unix://PATH` when `docker_host` is given, else
// k_default_docker_socket. `unsupported` for another DOCKER_HOST scheme (tcp://, ssh://).
Result<std::string> docker_socket_path(const std::optional<std::string>& docker_host);

// Exports image `name` ("busybox:1.36", an ID) from the daemon at `socket` into a work
// directory under `layout`'s tmp/ and opens it; the work directory goes with the source.
// `unsupported` when no daemon listens at `socket` (the message says how to point at
// one), `not_found` for an image the daemon lacks, `network`, `io`, and the archive's
// errors.
Result<std::unique_ptr<ImageSource>> open_docker_daemon_source(const std::string& name,
                                                               const std::string& socket,
                                                               const cache::Layout& layout);

} // namespace sifkit::registry
