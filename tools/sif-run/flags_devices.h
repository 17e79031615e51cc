#pragma once

// sif-run's devices flags: registered on the parser, then turned into the library's
// options (runtime/run_options.h).
#include <common/error.h>
#include <runtime/run_options.h>

#include <CLI/CLI.hpp>

namespace sifkit::tools {

struct DeviceFlags {};

// Registers the flags on `app` (in their own help group).
void add_devices_flags(CLI::App& app, DeviceFlags& flags);

// The library's view of `flags`. `usage` for malformed values.
Result<void> apply_devices_flags(const DeviceFlags& flags, runtime::RunOptions& options);

} // namespace sifkit::tools
