#include "overlay.h"

#include <runtime/mount/fuse_mount.h>

#include <cerrno>

#include <fmt/format.h>
#include <sys/mount.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

// The kernel copies at most one page of mount data.
constexpr std::size_t k_max_mount_data = 4095;

Result<void> check_path(const std::string& path) {
  if (path.find_first_of(",:\\") != std::string::npos) {
    return fail(ErrorKind::unsupported, "the overlay path " + path +
                                            " holds ',', ':' or '\\', which overlayfs cannot "
                                            "take in its options; use another directory");
  }
  return {};
}

} // namespace

Result<std::string> overlay_options(const std::vector<std::string>& lowers_top_first,
                                    const std::string& upper, const std::string& work) {
  std::string text = "lowerdir=";
  for (std::size_t i = 0; i < lowers_top_first.size(); ++i) {
    SIFKIT_TRY(check_path(lowers_top_first[i]));
    text += (i == 0 ? "" : ":") + lowers_top_first[i];
  }
  if (!upper.empty()) {
    for (const auto& path : {upper, work}) {
      SIFKIT_TRY(check_path(path));
    }
    text += ",upperdir=" + upper + ",workdir=" + work;
  }
  if (text.size() > k_max_mount_data) {
    return fail(ErrorKind::unsupported,
                fmt::format("the overlay of {} layers needs {} bytes of mount options, more "
                            "than the kernel's {}; squash the image into fewer layers",
                            lowers_top_first.size(), text.size(), k_max_mount_data));
  }
  return text;
}

Result<void> mount_kernel_overlay(const std::string& target, const std::string& options) {
  unsigned long flags = MS_NOSUID | MS_NODEV;
  if (options.find(",upperdir=") == std::string::npos) {
    flags |= MS_RDONLY;
  }
  if (::mount("overlay", target.c_str(), "overlay", flags, options.c_str()) != 0) {
    return fail_errno("mounting overlayfs on " + target, errno);
  }
  return {};
}

Result<int> mount_fuse_overlay(const std::string& target, const std::string& options,
                               FuseLifetime lifetime) {
  SIFKIT_TRY_ASSIGN(auto program, find_fuse_overlayfs());
  std::string all = options + ",nosuid,nodev";
  if (::geteuid() == 0) {
    all += ",allow_other"; // the container's processes may run as another uid
  }
  auto pid = start_fuse_daemon({program, "-f", "-o", all, target}, target, lifetime);
  if (!pid) {
    return std::unexpected(
        std::move(pid.error()).with_context("mounting fuse-overlayfs on " + target));
  }
  return pid;
}

Result<void> mount_tmpfs(const std::string& target, std::int64_t size_mb) {
  std::string data = fmt::format("mode=0755,size={}m", size_mb);
  if (::mount("tmpfs", target.c_str(), "tmpfs", MS_NODEV | MS_NOSUID, data.c_str()) != 0) {
    return fail_errno("mounting a tmpfs on " + target, errno);
  }
  return {};
}

} // namespace sifkit::runtime
