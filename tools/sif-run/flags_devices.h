#pragma once

// sif-run's devices flags (--nv, --rocm, --device, --cdi-dirs): registered on the parser,
// then turned into the library's options (runtime/spec/spec.h).
#include <common/error.h>
#include <runtime/spec/spec.h>

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sifkit::tools {

struct DeviceFlags {
  bool nv = false;
  bool rocm = false;
  std::vector<std::string> devices;  // --device, each a comma-separated list
  std::vector<std::string> cdi_dirs; // --cdi-dirs, each a comma-separated list
};

// Registers the flags on `app` (in their own help group).
void add_devices_flags(CLI::App& app, DeviceFlags& flags);

// The library's view of `flags`. `usage` for a --device name that is not
// "vendor.com/class=name" or an empty --cdi-dirs.
Result<void> apply_devices_flags(const DeviceFlags& flags, runtime::RunOptions& options);

} // namespace sifkit::tools
