#pragma once

// Opening the ImageSource a parsed reference names.
#include <common/error.h>
#include <registry/image_source.h>
#include <registry/reference.h>
#include <registry/registry_options.h>

#include <memory>

namespace sifkit::registry {

// Opens the source of `reference`: oci:, oci-archive: and docker-archive: read local
// files, docker:// a registry (docker_source.h; `options` apply to it only);
// http(s)://, oras:// and docker-daemon: fail with `unsupported` ("... not supported
// yet") in this version. Errors of the transport otherwise (`not_found`,
// `corrupt_input`, `usage` for an ambiguous choice, `network`, `auth`).
Result<std::unique_ptr<ImageSource>> open_source(const ImageReference& reference,
                                                 const RegistryOptions& options);

} // namespace sifkit::registry
