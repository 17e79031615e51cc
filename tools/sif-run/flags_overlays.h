#pragma once

// sif-run's overlays flags: registered on the parser, then turned into the library's
// options (runtime/spec/spec.h).
#include <common/error.h>
#include <runtime/spec/spec.h>

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sifkit::tools {

struct OverlayFlags {
  std::vector<std::string> overlays; // --overlay PATH[:ro|:rw], in order
  bool writable = false;             // --writable: the image's embedded ext3 overlay
};

// Registers the flags on `app` (in their own help group).
void add_overlays_flags(CLI::App& app, OverlayFlags& flags);

// The library's view of `flags`. `usage` for malformed values, an overlay of an unknown
// kind or two writable overlays; `not_found` for a missing overlay.
Result<void> apply_overlays_flags(const OverlayFlags& flags, runtime::RunOptions& options);

} // namespace sifkit::tools
