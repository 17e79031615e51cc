// sif-run's devices flags: --nv, --rocm, --device and --cdi-dirs.
#include "flags_devices.h"

#include <runtime/devices/devices.h>

#include <sstream>

namespace sifkit::tools {

void add_devices_flags(CLI::App& app, DeviceFlags& f) {
  auto group = "Devices";
  app.add_flag("--nv", f.nv, "Bind the NVIDIA driver's libraries, tools and /dev/nvidia*")
      ->group(group);
  app.add_flag("--rocm", f.rocm, "Bind the AMD ROCm libraries, tools, /dev/kfd and /dev/dri")
      ->group(group);
  app.add_option("--device", f.devices, "CDI devices (repeatable, comma lists, CLASS=all)")
      ->allow_extra_args(false)
      ->type_name("VENDOR/CLASS=NAME[,...]")
      ->group(group);
  app.add_option("--cdi-dirs", f.cdi_dirs,
                 "Directories of CDI spec files (default /etc/cdi,/var/run/cdi)")
      ->allow_extra_args(false)
      ->type_name("DIR[,DIR...]")
      ->group(group);
}

Result<void> apply_devices_flags(const DeviceFlags& f, runtime::RunOptions& options) {
  options.devices.nv = f.nv;
  options.devices.rocm = f.rocm;
  for (const auto& list : f.devices) {
    SIFKIT_TRY_ASSIGN(auto names, runtime::parse_cdi_device_list(list));
    options.devices.cdi.insert(options.devices.cdi.end(), names.begin(), names.end());
  }
  for (const auto& list : f.cdi_dirs) {
    std::istringstream in(list);
    for (std::string dir; std::getline(in, dir, ',');) {
      if (!dir.empty()) {
        options.devices.cdi_dirs.push_back(dir);
      }
    }
  }
  if (!f.cdi_dirs.empty() && options.devices.cdi_dirs.empty()) {
    return fail(ErrorKind::usage, "--cdi-dirs needs at least one directory");
  }
  return {};
}

} // namespace sifkit::tools
