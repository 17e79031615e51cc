#include "reference_flags.h"

#include <fmt/format.h>

namespace sifkit::tools {

registry::RegistryOptions registry_options(const ReferenceFlags& flags) {
  registry::RegistryOptions options;
  options.credentials = flags.credentials;
  options.ca_cert = flags.ca_cert;
  options.insecure = flags.insecure;
  options.retry_delay = flags.retry_delay.value_or(registry::k_default_retry_delay);
  return options;
}

convert::ReferenceOptions reference_options(const ReferenceFlags& flags, std::string_view tool,
                                            ReferenceNotes notes, convert::WhenOffline offline) {
  convert::ReferenceOptions options;
  options.cache_dir = flags.cache_dir;
  options.platform = flags.platform;
  options.registry = registry_options(flags);
  options.offline = offline;
  if (notes == ReferenceNotes::none) {
    return options;
  }
  std::string name(tool);
  options.on_wait = [name](const cache::LockWait& wait) {
    fmt::print(stderr, "{}: {} {} (written by another process)\n", name,
               wait.first ? "waiting for" : "still waiting for", wait.digest.text());
  };
  options.note = [name, notes](convert::Note kind, std::string_view text) {
    if (kind == convert::Note::offline || notes == ReferenceNotes::steps) {
      fmt::print(stderr, "{}: {}\n", name, text);
    }
  };
  return options;
}

} // namespace sifkit::tools
