#pragma once

// The cache's OCI-SIF for an image reference: pulled into the shared cache and converted
// there on first use (later calls find the recorded conversion at once); when the source
// cannot be reached, an image pulled before is converted from the cache. SIF references
// (http(s)://, oras://) are fetched and used as they are. What `sif-pull --sif-path`
// prints, and so what sif-run runs for a reference.
#include <common/error.h>
#include <registry/registry_options.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::convert {

struct ReferenceSifOptions {
  std::optional<std::string> cache_dir; // --cache
  std::optional<std::string> platform;  // os/arch[/variant]
  registry::RegistryOptions registry;   // --creds, --ca-cert, --insecure
  // Also lease the OCI-SIF to this holder (cache/holder.h: the process that will open
  // it), so gc and clean keep it after this process's own leases are gone.
  std::optional<std::string> lease_holder;
  // Told of each long step ("pulling X", "converting X"); may be empty.
  std::function<void(std::string_view)> note;
};

// The path of the OCI-SIF in the cache for `reference`, leased to `options.lease_holder`
// when given. `usage` for text that is not a reference, else the pull's, the fetch's and
// the conversion's errors.
Result<std::string> reference_sif(const std::string& reference, const ReferenceSifOptions& options);

} // namespace sifkit::convert
