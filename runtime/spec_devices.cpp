#include <runtime/spec_parts.h>

namespace sifkit::runtime::detail {

Result<void> add_devices(const SpecInputs& /*inputs*/, nlohmann::json& /*spec*/) {
  return {};
}

} // namespace sifkit::runtime::detail
