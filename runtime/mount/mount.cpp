#include "mount.h"

#include <common/file.h>
#include <common/mountinfo.h>
#include <runtime/identity/identity.h>
#include <runtime/mount/fuse_mount.h>
#include <runtime/mount/loop_device.h>
#include <runtime/mount/overlay.h>
#include <runtime/mount/overlay_mount.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

Result<void> make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail_errno("creating " + path, errno);
  }
  return {};
}

// The canonical path of the directory `path` (mountinfo shows canonical paths).
Result<std::string> existing_directory(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail_errno(path, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return fail(ErrorKind::usage, path + " is not a directory");
  }
  return real_path(path);
}

// Mounts one image's layers and overlays, writing the record after each mount; the
// caller undoes the record when a step fails.
class Mounter {
public:
  Mounter(const RunImage& image, const MountOptions& options, MountMethod method,
          MountRecord& record)
      : m_image(image), m_options(options), m_method(method), m_record(record) {}

  Result<void> mount_all() {
    bool direct = m_image.layers.size() == 1 && m_options.writable == Writable::no &&
                  m_options.overlays.empty() && !m_image.overlay;
    std::vector<StackDir> lowers_top_first;
    if (!direct) {
      SIFKIT_TRY(make_dir(m_record.work_dir + "/layers"));
    }
    for (std::size_t i = 0; i < m_image.layers.size(); ++i) {
      std::string target =
          direct ? m_record.rootfs : fmt::format("{}/layers/{}", m_record.work_dir, i);
      const auto& layer = m_image.layers[i];
      SIFKIT_TRY(with_context(
          mount_layer(layer, target),
          fmt::format("mounting layer {} of {} at offset {}", i + 1, m_image.path, layer.offset)));
      // Our own mount points, in the private work directory: no descriptor needed.
      lowers_top_first.insert(lowers_top_first.begin(), StackDir{target, File()});
    }
    if (direct) {
      return {};
    }
    SIFKIT_TRY_ASSIGN(auto items, mount_items());
    lowers_top_first.insert(lowers_top_first.begin(),
                            std::make_move_iterator(items.lowers_top_first.begin()),
                            std::make_move_iterator(items.lowers_top_first.end()));
    items.lowers_top_first.clear();
    // The descriptors in `lowers_top_first` and `items` stay open until the overlay is up.
    return mount_overlay(lowers_top_first, items);
  }

private:
  Result<void> add(MountEntry entry) {
    // Known when the target can be opened (unmounting then checks it); else 0, unchecked.
    auto id = mount_id_at(entry.target).value_or(MountId{});
    entry.mount_id = id.value;
    entry.mount_id_unique = id.unique;
    m_record.entries.push_back(std::move(entry));
    if (m_options.recording == MountRecording::in_memory) {
      return {};
    }
    return write_mount_record(m_record);
  }

  // The --overlay items and the image's ext3 overlay (runtime/mount/overlay_mount.h).
  Result<OverlayStack> mount_items() {
    OverlayMountContext context{m_image.path, m_record.work_dir, m_method == MountMethod::kernel,
                                m_options.fuse_lifetime,
                                [this](MountEntry entry) { return add(std::move(entry)); }};
    return mount_overlay_items(m_options.overlays, m_image.overlay, m_options.image_overlay,
                               context);
  }

  Result<void> mount_layer(const SquashfsLayer& layer, const std::string& target) {
    SIFKIT_TRY(make_dir(target));
    if (m_method == MountMethod::kernel) {
      return mount_kernel_layer(layer, target);
    }
    return mount_fuse_layer(layer, target);
  }

  Result<void> mount_kernel_layer(const SquashfsLayer& layer, const std::string& target) {
    SIFKIT_TRY_ASSIGN(auto loop, attach_loop_device(m_image.path, layer.offset, layer.size));
    if (::mount(loop.path().c_str(), target.c_str(), "squashfs", MS_RDONLY | MS_NODEV | MS_NOSUID,
                nullptr) != 0) {
      int saved = errno;
      std::string what = "mounting " + loop.path() + " (squashfs) on " + target;
      if (saved == EPERM) {
        return fail(ErrorKind::unsupported, what + ": " + std::strerror(saved) +
                                                " (mounting needs root; use the FUSE method)");
      }
      return fail_errno(what, saved);
    }
    std::string device = loop.path();
    loop.close(); // autoclear: the mount now holds the device alone
    return add(MountEntry{MountKind::squashfs, target, device, 0});
  }

  Result<void> mount_fuse_layer(const SquashfsLayer& layer, const std::string& target) {
    SIFKIT_TRY_ASSIGN(auto program, find_squashfuse());
    std::string options = fmt::format("ro,nosuid,nodev,offset={}", layer.offset);
    if (::geteuid() == 0) {
      options += ",allow_other"; // the container's processes may run as another uid
    }
    SIFKIT_TRY_ASSIGN(auto pid,
                      start_fuse_daemon({program, "-f", "-o", options, m_image.path, target},
                                        target, m_options.fuse_lifetime));
    return add(MountEntry{MountKind::squashfuse, target, "", pid});
  }

  Result<void> mount_overlay(const std::vector<StackDir>& lowers_top_first, OverlayStack& items) {
    bool privileged = ::geteuid() == 0;
    if (m_options.writable == Writable::tmpfs && !items.upper) {
      SIFKIT_TRY(make_tmpfs_upper(privileged, items));
    }
    if (privileged && !items.fuse_upper) {
      SIFKIT_TRY_ASSIGN(auto options, stack_options(lowers_top_first, items, PathForm::kernel));
      auto mounted = mount_kernel_overlay(m_record.rootfs, options);
      if (mounted) {
        return add(MountEntry{MountKind::overlay, m_record.rootfs, "", 0});
      }
      // Root of a user namespace (runtime/identity/identity.h) has overlayfs from kernel 5.11 on
      // only.
      if (!in_user_namespace()) {
        return mounted;
      }
    }
    SIFKIT_TRY_ASSIGN(auto options, stack_options(lowers_top_first, items, PathForm::checked));
    SIFKIT_TRY_ASSIGN(auto pid,
                      mount_fuse_overlay(m_record.rootfs, options, m_options.fuse_lifetime));
    return add(MountEntry{MountKind::fuse_overlayfs, m_record.rootfs, "", pid});
  }

  // The upper and work directories of a writable overlay without a writable item: on a
  // tmpfs (privileged), else in work_dir.
  Result<void> make_tmpfs_upper(bool privileged, OverlayStack& items) {
    std::string overlay = m_record.work_dir + "/overlay";
    SIFKIT_TRY(make_dir(overlay));
    if (privileged) {
      SIFKIT_TRY(mount_tmpfs(overlay, m_options.tmpfs_size_mb));
      SIFKIT_TRY(add(MountEntry{MountKind::tmpfs, overlay, "", 0}));
    }
    items.upper = StackDir{overlay + "/upper", File()};
    items.work = StackDir{overlay + "/work", File()};
    for (const auto& dir : {items.upper->path, items.work->path}) {
      SIFKIT_TRY(make_dir(dir));
    }
    ::chmod(items.upper->path.c_str(), 0755); // the root directory of the container
    return {};
  }

  // Which path of each StackDir the overlay's options name: the descriptor's
  // /proc/self/fd/N for the kernel's overlayfs (in this process), the checked path for
  // fuse-overlayfs (another process).
  enum class PathForm { kernel, checked };

  static Result<std::string> stack_options(const std::vector<StackDir>& lowers_top_first,
                                           const OverlayStack& items, PathForm form) {
    auto path = [form](const StackDir& dir) {
      return form == PathForm::kernel ? dir.kernel_path() : dir.path;
    };
    std::vector<std::string> lowers;
    for (const auto& dir : lowers_top_first) {
      lowers.push_back(path(dir));
    }
    if (!items.upper || !items.work) {
      return overlay_options(lowers, "", "");
    }
    return overlay_options(lowers, path(*items.upper), path(*items.work));
  }

  const RunImage& m_image;
  const MountOptions& m_options;
  MountMethod m_method;
  MountRecord& m_record;
};

Result<MountRecord> mount_with(const RunImage& image, const std::string& rootfs,
                               const std::string& work_dir, const MountOptions& options,
                               MountMethod method) {
  MountRecord record{image.path, rootfs, work_dir, {}};
  Mounter mounter(image, options, method, record);
  if (auto mounted = mounter.mount_all(); !mounted) {
    // Undo what was mounted; the first failure is what the caller needs to see.
    (void)unmount_all(record);
    return std::unexpected(mounted.error());
  }
  return record;
}

} // namespace

Result<MountRecord> mount_image(const RunImage& image, const std::string& rootfs,
                                const std::string& work_dir, const MountOptions& options) {
  SIFKIT_TRY_ASSIGN(auto root, existing_directory(rootfs));
  SIFKIT_TRY_ASSIGN(auto work, existing_directory(work_dir));
  if (image.layers.empty()) {
    return fail(ErrorKind::usage, image.path + ": no layers to mount");
  }
  MountMethod method = options.method;
  if (method == MountMethod::automatic) {
    method = loop_devices_usable() ? MountMethod::kernel : MountMethod::fuse;
  }
  auto record = mount_with(image, root, work, options, method);
  if (!record && options.method == MountMethod::automatic && method == MountMethod::kernel &&
      record.error().kind() == ErrorKind::unsupported) {
    // No privilege for loop devices after all (a container without CAP_SYS_ADMIN): FUSE.
    return mount_with(image, root, work, options, MountMethod::fuse);
  }
  return record;
}

} // namespace sifkit::runtime
