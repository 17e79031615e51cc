#include "flags_overlays.h"

#include <runtime/mount/mount.h>

namespace sifkit::tools {

void add_overlays_flags(CLI::App& app, OverlayFlags& flags) {
  auto group = "Overlays";
  app.add_option("-o,--overlay", flags.overlays,
                 "Stack DIR, an ext3 image or a squashfs image over the image (repeatable; "
                 "the first is the top; at most one writable)")
      ->allow_extra_args(false)
      ->type_name("PATH[:ro|:rw]")
      ->group(group);
  app.add_flag("-w,--writable", flags.writable,
               "Write into the ext3 overlay inside the OCI-SIF (sif-overlay create); "
               "read-only without this flag")
      ->group(group);
}

Result<void> apply_overlays_flags(const OverlayFlags& flags, runtime::RunOptions& options) {
  for (const auto& text : flags.overlays) {
    SIFKIT_TRY_ASSIGN(auto parsed, runtime::parse_overlay(text));
    options.overlays.push_back(parsed);
  }
  SIFKIT_TRY(runtime::check_overlays(options.overlays));
  if (flags.writable) {
    if (const auto* writable = runtime::writable_overlay(options.overlays)) {
      return fail(ErrorKind::usage, "--writable and the writable --overlay " + writable->path +
                                        ": at most one overlay may be writable (add :ro)");
    }
    options.image_overlay = runtime::ImageOverlay::writable;
  }
  return {};
}

} // namespace sifkit::tools
