#pragma once

// Opening the ImageSource a parsed reference names.
#include <common/error.h>
#include <registry/image_source.h>
#include <registry/reference.h>
#include <registry/registry_options.h>

#include <memory>

namespace sifkit::registry {

// Opens the source of `reference`: oci:, oci-archive: and docker-archive: read local
// files, docker:// a registry (docker_source.h), docker-daemon: the Docker daemon at
// $DOCKER_HOST or its default socket (docker_daemon_source.h; needs
// `options.work_cache`). http(s):// and oras:// name SIF files, not images: `usage`
// (sif_fetch.h fetches them). Errors of the transport otherwise (`not_found`,
// `corrupt_input`, `usage` for an ambiguous choice, `unsupported`, `network`, `auth`).
Result<std::unique_ptr<ImageSource>> open_source(const ImageReference& reference,
                                                 const RegistryOptions& options);

} // namespace sifkit::registry
