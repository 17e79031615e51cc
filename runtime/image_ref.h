#pragma once

// What sif-run's IMAGE argument names: an OCI-SIF file, or any reference sif-pull
// accepts, pulled into the shared cache and converted there on first use (later runs
// find the recorded conversion and start at once; offline, an image pulled before is
// converted from the cache).
#include <common/error.h>
#include <registry/registry_options.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::runtime {

struct ImageRefOptions {
  std::optional<std::string> cache_dir; // --cache
  std::optional<std::string> platform;  // --platform os/arch[/variant]
  registry::RegistryOptions registry;   // --creds, --ca-cert, --insecure
  // Told of each long step ("pulling X", "converting X"); may be empty.
  std::function<void(std::string_view)> note;
};

// True when `image` names an existing file (it is then run as it is).
bool is_image_file(const std::string& image);

// The OCI-SIF to run for `image`: the file itself, or the cache's OCI-SIF of the
// reference (pulled and converted as needed). `not_found` for a missing file or image,
// `usage` for text that is neither a file nor a reference, else the pull's and the
// conversion's errors.
Result<std::string> resolve_image(const std::string& image, const ImageRefOptions& options);

} // namespace sifkit::runtime
