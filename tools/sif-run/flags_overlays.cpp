#include "flags_overlays.h"

namespace sifkit::tools {

void add_overlays_flags(CLI::App& /*app*/, OverlayFlags& /*flags*/) {}

Result<void> apply_overlays_flags(const OverlayFlags& /*flags*/, runtime::RunOptions& /*options*/) {
  return {};
}

} // namespace sifkit::tools
