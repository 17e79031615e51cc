#include "flags_devices.h"

namespace sifkit::tools {

void add_devices_flags(CLI::App& /*app*/, DeviceFlags& /*flags*/) {}

Result<void> apply_devices_flags(const DeviceFlags& /*flags*/, runtime::RunOptions& /*options*/) {
  return {};
}

} // namespace sifkit::tools
