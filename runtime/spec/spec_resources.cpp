// The config's "linux.resources": the limits the user asked for (runtime/cgroup/cgroup.h),
// refused up front when the runtime could not apply them.
#include <runtime/cgroup/cgroup.h>
#include <runtime/spec/spec_parts.h>

#include <nlohmann/json.hpp>

namespace sifkit::runtime::detail {

Result<void> add_resources(const SpecInputs& inputs, nlohmann::json& spec) {
  SIFKIT_TRY_ASSIGN(auto resources, build_resources(inputs.options->resources, usable_cpu_count()));
  SIFKIT_TRY(require_cgroup_control(resources, inputs.host->uid));
  // Kept as an object with whatever is already there: the device rules are added to its
  // "devices" array after this.
  auto& target = spec["linux"]["resources"];
  if (!target.is_object()) {
    target = nlohmann::json::object();
  }
  for (auto& [key, value] : resources.items()) {
    target[key] = std::move(value);
  }
  return {};
}

} // namespace sifkit::runtime::detail
