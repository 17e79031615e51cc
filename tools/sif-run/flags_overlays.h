#pragma once

// sif-run's overlays flags: registered on the parser, then turned into the library's
// options (runtime/run_options.h).
#include <common/error.h>
#include <runtime/run_options.h>

#include <CLI/CLI.hpp>

namespace sifkit::tools {

struct OverlayFlags {};

// Registers the flags on `app` (in their own help group).
void add_overlays_flags(CLI::App& app, OverlayFlags& flags);

// The library's view of `flags`. `usage` for malformed values.
Result<void> apply_overlays_flags(const OverlayFlags& flags, runtime::RunOptions& options);

} // namespace sifkit::tools
