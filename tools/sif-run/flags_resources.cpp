#include "flags_resources.h"

namespace sifkit::tools {

void add_resources_flags(CLI::App& /*app*/, ResourceFlags& /*flags*/) {}

Result<void> apply_resources_flags(const ResourceFlags& /*flags*/,
                                   runtime::RunOptions& /*options*/) {
  return {};
}

} // namespace sifkit::tools
