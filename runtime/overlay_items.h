#pragma once

// The --overlay texts turned into OverlaySpec values: `PATH[:ro|:rw]`, made absolute, the
// kind of a file told by its content (ext2/3/4 superblock magic, squashfs magic), never by
// its name; and the rule that at most one overlay is writable.
#include <common/error.h>
#include <runtime/overlay_options.h>

#include <string>
#include <vector>

namespace sifkit::runtime {

// What the file or directory at `path` is as an overlay: a directory, an ext2/3/4 image
// (magic 0xEF53 at byte 1080) or a squashfs image ("hsqs" at byte 0). `not_found` when
// `path` does not exist, `usage` for any other file (naming what an overlay may be).
Result<OverlayKind> detect_overlay_kind(const std::string& path);

// Parses one --overlay text `PATH[:ro|:rw]`: a relative PATH is made absolute against the
// current directory, the kind is detected, a squashfs image is read-only whatever is
// asked (`:rw` on one is `usage`). Directories and ext3 images are writable by default.
Result<OverlaySpec> parse_overlay(const std::string& text);

// Checks that at most one of `overlays` is writable; `usage` naming the first two
// writable ones otherwise.
Result<void> check_overlays(const std::vector<OverlaySpec>& overlays);

// The writable overlay of `overlays`, if any.
const OverlaySpec* writable_overlay(const std::vector<OverlaySpec>& overlays);

// "directory", "ext3 image", "squashfs image".
std::string overlay_kind_name(OverlayKind kind);

} // namespace sifkit::runtime
