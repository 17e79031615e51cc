#pragma once

// The mounts stacked above the squashfs layers: overlayfs (the kernel's when privileged,
// fuse-overlayfs otherwise) and the tmpfs that holds a writable overlay's upper layer.
#include <common/error.h>
#include <runtime/mount/mount.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sifkit::runtime {

// The option text "lowerdir=L1:L2[,upperdir=U,workdir=W]" for `lowers_top_first` (the
// topmost layer first, as overlayfs wants them); `upper` and `work` may be empty for a
// read-only overlay. `unsupported` when a path holds ',', ':' or '\' (overlayfs would
// split it) or the text exceeds the kernel's one page of mount data.
Result<std::string> overlay_options(const std::vector<std::string>& lowers_top_first,
                                    const std::string& upper, const std::string& work);

// Mounts the kernel's overlayfs on `target` with `options`, nosuid and nodev (read-only
// when they name no upperdir). `io` with the system's reason.
Result<void> mount_kernel_overlay(const std::string& target, const std::string& options);

// Runs fuse-overlayfs with `options`, nosuid and nodev, on `target` in the foreground as our child
// (see start_fuse_daemon) and returns its pid. `unsupported` when fuse-overlayfs is missing.
Result<int> mount_fuse_overlay(const std::string& target, const std::string& options,
                               FuseLifetime lifetime);

// Mounts a tmpfs of `size_mb` MiB, mode 0755, nodev and nosuid, on `target`.
Result<void> mount_tmpfs(const std::string& target, std::int64_t size_mb);

} // namespace sifkit::runtime
