#include "overlay_mount.h"

#include <common/path_fd.h>
#include <common/program.h>
#include <runtime/mount/fuse_mount.h>
#include <runtime/mount/loop_device.h>
#include <runtime/mount/mount.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

Result<void> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return fail_errno("creating " + path, errno);
  }
  return {};
}

// Whether `name` exists in `root` (as anything, a link included).
bool exists_in(const File& root, const std::string& name) {
  struct stat st {};
  return ::fstatat(root.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

Result<std::int64_t> file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail_errno(path, errno);
  }
  return static_cast<std::int64_t>(st.st_size);
}

// One image file to mount: a whole file, or a byte range of the OCI-SIF.
struct ImageFile {
  std::string path;
  OverlayKind kind = OverlayKind::ext3;
  std::int64_t offset = 0;
  std::int64_t size = 0; // 0: to the end of the file
  bool read_only = true;
};

class OverlayMounter {
public:
  explicit OverlayMounter(const OverlayMountContext& context) : m_context(context) {}

  Result<void> add_item(const OverlaySpec& item) {
    if (item.kind == OverlayKind::directory) {
      if (item.read_only) {
        // Opened once: the overlay gets this directory even if its path changes later.
        SIFKIT_TRY_ASSIGN(auto dir, open_directory_nofollow(item.path));
        return add_lower(StackDir{item.path, std::move(dir)});
      }
      return use_host_upper_dir(item.path);
    }
    SIFKIT_TRY_ASSIGN(auto size, file_size(item.path));
    return add_image(ImageFile{item.path, item.kind, 0, size, item.read_only});
  }

  Result<void> add_embedded(const SquashfsLayer& layer, ImageOverlay mode) {
    bool read_only = mode == ImageOverlay::read_only;
    SIFKIT_TRY(with_context(add_image(ImageFile{m_context.image_path, OverlayKind::ext3,
                                                layer.offset, layer.size, read_only}),
                            fmt::format("mounting the ext3 overlay of {} at offset {}",
                                        m_context.image_path, layer.offset)));
    return {};
  }

  OverlayStack& stack() { return m_stack; }

private:
  Result<void> add_lower(StackDir dir) {
    m_stack.lowers_top_first.push_back(std::move(dir));
    return {};
  }

  // DIR/upper and DIR/work of a writable --overlay DIR, created on first use, as
  // SingularityCE's overlay dirs. DIR must be the caller's own: another account could
  // plant links in it.
  Result<void> use_host_upper_dir(const std::string& dir) {
    SIFKIT_TRY_ASSIGN(auto root, open_directory_nofollow(dir));
    SIFKIT_TRY(require_own_directory(root, "the writable overlay directory"));
    return use_upper_dir(root, ErrorKind::usage, false);
  }

  // upper/ and work/ in `root` (created on first use), opened beneath it without
  // following links; anything else there is `refusal`.
  Result<void> use_upper_dir(const File& root, ErrorKind refusal, bool fuse) {
    std::optional<StackDir> dirs[2];
    const char* names[2] = {"upper", "work"};
    for (int i = 0; i < 2; ++i) {
      SIFKIT_TRY(make_directory_in(root, names[i], 0755));
      SIFKIT_TRY_ASSIGN(auto opened, open_directory_beneath(root, names[i], refusal));
      std::string path = opened.path();
      dirs[i] = StackDir{std::move(path), std::move(opened)};
    }
    m_stack.upper = std::move(dirs[0]);
    m_stack.work = std::move(dirs[1]);
    m_stack.fuse_upper = fuse;
    return {};
  }

  Result<void> add_image(const ImageFile& file) {
    SIFKIT_TRY_ASSIGN(auto target, next_mount_point());
    SIFKIT_TRY_ASSIGN(auto fuse,
                      m_context.kernel ? mount_kernel(file, target) : mount_fuse(file, target));
    // The root of the file system just mounted on our own private mount point.
    SIFKIT_TRY_ASSIGN(auto root, open_directory_nofollow(target));
    if (file.kind == OverlayKind::squashfs) {
      return add_lower(StackDir{target, std::move(root)});
    }
    if (!file.read_only) {
      return use_upper_dir(root, ErrorKind::corrupt_input, fuse);
    }
    // A read-only ext3 overlay made by `overlay create` holds its content in upper/.
    if (!exists_in(root, "upper")) {
      return add_lower(StackDir{target, std::move(root)});
    }
    SIFKIT_TRY_ASSIGN(auto upper, open_directory_beneath(root, "upper", ErrorKind::corrupt_input));
    std::string path = upper.path();
    return add_lower(StackDir{std::move(path), std::move(upper)});
  }

  Result<std::string> next_mount_point() {
    std::string dir = m_context.work_dir + "/overlays";
    SIFKIT_TRY(make_dir(dir, 0700));
    std::string target = fmt::format("{}/{}", dir, m_next++);
    SIFKIT_TRY(make_dir(target, 0700));
    return target;
  }

  // Returns whether the mount is a FUSE one (never, here).
  Result<bool> mount_kernel(const ImageFile& file, const std::string& target) {
    auto access = file.read_only ? LoopAccess::read_only : LoopAccess::read_write;
    SIFKIT_TRY_ASSIGN(auto loop, attach_loop_device(file.path, file.offset, file.size, access));
    bool squashfs = file.kind == OverlayKind::squashfs;
    // ext4 mounts ext2 and ext3 file systems without changing their features.
    const char* type = squashfs ? "squashfs" : "ext4";
    unsigned long flags = MS_NODEV | MS_NOSUID | (file.read_only ? MS_RDONLY : 0);
    if (::mount(loop.path().c_str(), target.c_str(), type, flags, nullptr) != 0) {
      return fail_errno(fmt::format("mounting {} ({}, {}) on {}", loop.path(), file.path,
                                    overlay_kind_name(file.kind), target),
                        errno);
    }
    std::string device = loop.path();
    loop.close(); // autoclear: the mount now holds the device alone
    MountKind kind = squashfs ? MountKind::squashfs : MountKind::ext4;
    SIFKIT_TRY(m_context.record(MountEntry{kind, target, device, 0}));
    return false;
  }

  Result<bool> mount_fuse(const ImageFile& file, const std::string& target) {
    bool squashfs = file.kind == OverlayKind::squashfs;
    SIFKIT_TRY_ASSIGN(auto program, squashfs ? find_squashfuse() : find_fuse2fs());
    std::string options =
        fmt::format("{},nosuid,nodev,offset={}", file.read_only ? "ro" : "rw", file.offset);
    if (!squashfs) {
      options += ",fakeroot"; // permission checks as root: the container's uid may differ
    }
    if (::geteuid() == 0) {
      options += ",allow_other"; // the container's processes may run as another uid
    }
    SIFKIT_TRY_ASSIGN(auto pid, start_fuse_daemon({program, "-f", "-o", options, file.path, target},
                                                  target, m_context.fuse_lifetime));
    MountKind kind = squashfs ? MountKind::squashfuse : MountKind::fuse2fs;
    SIFKIT_TRY(m_context.record(MountEntry{kind, target, "", pid}));
    return true;
  }

  const OverlayMountContext& m_context;
  OverlayStack m_stack;
  int m_next = 0;
};

} // namespace

std::string StackDir::kernel_path() const {
  return handle.is_open() ? fd_path(handle.fd()) : path;
}

Result<std::string> find_fuse2fs() {
  if (auto found = find_program("fuse2fs")) {
    return found;
  }
  return fail(ErrorKind::unsupported, "fuse2fs is not on PATH: install Debian's fuse2fs (needed "
                                      "to mount an ext3 overlay without root)");
}

Result<OverlayStack> mount_overlay_items(const std::vector<OverlaySpec>& items,
                                         const std::optional<SquashfsLayer>& embedded,
                                         ImageOverlay embedded_mode,
                                         const OverlayMountContext& context) {
  if (embedded_mode == ImageOverlay::writable && !embedded) {
    return fail(ErrorKind::usage, context.image_path +
                                      " has no ext3 overlay for --writable (add one with "
                                      "sif-overlay create, or use --overlay)");
  }
  SIFKIT_TRY(check_overlays(items));
  if (const auto* writable = writable_overlay(items);
      writable && embedded && embedded_mode == ImageOverlay::writable) {
    return fail(ErrorKind::usage, "--writable and the writable --overlay " + writable->path +
                                      ": at most one overlay may be writable (add :ro)");
  }
  OverlayMounter mounter(context);
  for (const auto& item : items) {
    SIFKIT_TRY(with_context(mounter.add_item(item), "--overlay " + item.path));
  }
  if (embedded) {
    SIFKIT_TRY(mounter.add_embedded(*embedded, embedded_mode));
  }
  return std::move(mounter.stack());
}

} // namespace sifkit::runtime
