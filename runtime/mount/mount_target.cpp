#include <common/in_root.h>
#include <common/mountinfo.h>
#include <common/path_fd.h>

#include <cerrno>

#include "mount.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

Result<MountTarget> checked(File handle, const std::string& what) {
  SIFKIT_TRY(require_own_directory(handle, what));
  SIFKIT_TRY_ASSIGN(auto path, descriptor_path(handle));
  return MountTarget{std::move(path), std::move(handle)};
}

} // namespace

Result<MountTarget> open_mount_target(const std::string& dir, const std::string& what) {
  SIFKIT_TRY_ASSIGN(auto handle, open_directory_nofollow(dir));
  return checked(std::move(handle), what);
}

Result<MountTarget> open_mount_target_in(const MountTarget& parent, const std::string& name) {
  SIFKIT_TRY(make_directory_in(parent.handle, name, 0755));
  SIFKIT_TRY_ASSIGN(auto handle, open_directory_beneath(parent.handle, name, ErrorKind::usage));
  return checked(std::move(handle), "the directory");
}

Result<void> require_empty(const MountTarget& target) {
  UniqueFd fd(::openat(target.handle.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    return fail_errno("reading " + target.path, errno);
  }
  DIR* dir = ::fdopendir(fd.get());
  if (dir == nullptr) {
    return fail_errno("reading " + target.path, errno);
  }
  fd.release(); // closedir closes it
  bool empty = true;
  while (const dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(dir);
  if (!empty) {
    return fail(ErrorKind::conflict, target.path + " is not an empty directory");
  }
  return {};
}

Result<void> attach_root_mount(MountRecord& record, const MountTarget& target) {
  std::string staging = record.rootfs;
  int tree = ::open_tree(AT_FDCWD, staging.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) {
    return fail_errno("cloning the mount on " + staging, errno);
  }
  File tree_file = File::adopt(tree, staging);
  if (::move_mount(tree, "", target.handle.fd(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return fail_errno("attaching the image's root mount to " + target.path, errno);
  }
  auto id = mount_id_of(tree).value_or(MountId{});
  for (auto& entry : record.entries) {
    if (entry.target == staging) {
      entry.target = target.path;
      entry.mount_id = id.value;
      entry.mount_id_unique = id.unique;
    }
  }
  record.rootfs = target.path;
  // The clone holds the file system (and its loop device or FUSE connection) now.
  if (::umount2(staging.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
    return fail_errno("unmounting " + staging, errno);
  }
  return write_mount_record(record);
}

} // namespace sifkit::runtime
