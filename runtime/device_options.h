#pragma once

// Devices a user asks for: GPUs (--nv, --rocm) and CDI devices (--device, --cdi-dirs),
// before they become binds, device nodes, env and hooks in the config (runtime/cdi.h,
// runtime/gpu.h).
#include <string>
#include <vector>

namespace sifkit::runtime {

struct DeviceOptions {
  bool nv = false;                   // --nv: the NVIDIA driver's libraries, tools, devices
  bool rocm = false;                 // --rocm: the same for AMD
  std::vector<std::string> cdi;      // --device vendor.com/class=name, in order
  std::vector<std::string> cdi_dirs; // --cdi-dirs; empty: /etc/cdi, /var/run/cdi
};

} // namespace sifkit::runtime
