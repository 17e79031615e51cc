// The devices part of config.json: the GPU driver binds of --nv and --rocm, then the CDI
// devices of --device.
#include <runtime/devices/devices.h>
#include <runtime/spec/spec_parts.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace sifkit::runtime::detail {

namespace {

// Binds what the host has of `vendor`'s driver; without a GPU only a warning, as
// SingularityCE: the container still runs, on the CPU.
void add_gpu(const SpecInputs& inputs, GpuVendor vendor, nlohmann::json& spec) {
  auto path = inputs.host->env.find("PATH");
  GpuHost host = probe_gpu_host(path == inputs.host->env.end() ? "/usr/bin:/bin" : path->second);
  GpuFiles files = find_gpu_files(vendor, host);
  const char* what = vendor == GpuVendor::nvidia ? "NVIDIA" : "AMD ROCm";
  if (files.devices.empty()) {
    note(inputs,
         fmt::format("warning: {}: no {} GPU device on this host ({}); running without a GPU",
                     gpu_flag(vendor), what,
                     vendor == GpuVendor::nvidia ? "no /dev/nvidia*" : "no /dev/kfd or /dev/dri"));
  } else if (files.libraries.empty()) {
    note(inputs, fmt::format("warning: {}: no {} driver libraries found (ldconfig -p and {})",
                             gpu_flag(vendor), what, fmt::join(host.lib_dirs, ", ")));
  }
  add_gpu_binds(files, spec);
}

Result<void> add_cdi(const SpecInputs& inputs, nlohmann::json& spec) {
  const DeviceOptions& devices = inputs.options->devices;
  std::vector<std::string> names;
  for (const std::string& list : devices.cdi) {
    SIFKIT_TRY_ASSIGN(auto parsed, parse_cdi_device_list(list));
    names.insert(names.end(), parsed.begin(), parsed.end());
  }
  SIFKIT_TRY_ASSIGN(auto registry, load_cdi_registry(devices.cdi_dirs.empty() ? k_default_cdi_dirs
                                                                              : devices.cdi_dirs));
  SIFKIT_TRY_ASSIGN(auto edits, resolve_cdi_devices(registry, names));
  // Unprivileged, --user and --fakeroot runs happen in a user namespace.
  const RunOptions& options = *inputs.options;
  bool user_namespace = inputs.host->uid != 0 || options.user || options.fakeroot;
  return apply_cdi_edits(edits, spec,
                         user_namespace ? DeviceNodeMode::bind : DeviceNodeMode::create);
}

} // namespace

Result<void> add_devices(const SpecInputs& inputs, nlohmann::json& spec) {
  const DeviceOptions& devices = inputs.options->devices;
  if (devices.nv) {
    add_gpu(inputs, GpuVendor::nvidia, spec);
  }
  if (devices.rocm) {
    add_gpu(inputs, GpuVendor::amd, spec);
  }
  if (devices.cdi.empty()) {
    return {};
  }
  return add_cdi(inputs, spec);
}

} // namespace sifkit::runtime::detail
