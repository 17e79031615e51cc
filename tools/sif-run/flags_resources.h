#pragma once

// sif-run's resources flags: registered on the parser, then turned into the library's
// options (runtime/run_options.h).
#include <common/error.h>
#include <runtime/run_options.h>

#include <CLI/CLI.hpp>

namespace sifkit::tools {

struct ResourceFlags {};

// Registers the flags on `app` (in their own help group).
void add_resources_flags(CLI::App& app, ResourceFlags& flags);

// The library's view of `flags`. `usage` for malformed values.
Result<void> apply_resources_flags(const ResourceFlags& flags, runtime::RunOptions& options);

} // namespace sifkit::tools
