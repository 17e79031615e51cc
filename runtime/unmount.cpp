// unmount_all: undoing a MountRecord, newest mount first.
#include <runtime/fuse_mount.h>
#include <runtime/mount_record.h>
#include <runtime/mountinfo.h>

#include <algorithm>
#include <cerrno>

#include "mount.h"
#include <sys/mount.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

bool is_fuse_kind(const std::string& kind) {
  return kind == "squashfuse" || kind == "fuse-overlayfs" || kind == "fuse2fs";
}

Result<bool> is_mount_point(const std::string& path) {
  auto points = mount_points();
  if (!points) {
    return std::unexpected(points.error());
  }
  return std::find(points->begin(), points->end(), path) != points->end();
}

Result<void> unmount_target(const MountEntry& entry) {
  // Without privilege umount2 fails with EPERM before it looks: ask the mount table
  // first (a --fakeroot run's mounts lived in its own namespace and are never here).
  if (::geteuid() != 0) {
    auto mounted = is_mount_point(entry.target);
    if (!mounted) {
      return std::unexpected(mounted.error());
    }
    if (!*mounted) {
      return {};
    }
    if (is_fuse_kind(entry.kind)) {
      return fusermount_unmount(entry.target);
    }
  }
  if (::umount2(entry.target.c_str(), UMOUNT_NOFOLLOW) == 0) {
    return {};
  }
  if (errno == EINVAL || errno == ENOENT) {
    return {}; // not mounted any more
  }
  if (errno != EBUSY) {
    return fail_errno("unmounting " + entry.target, errno);
  }
  // Busy (a process still has files open there): detach now, freed when they close.
  if (::umount2(entry.target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL) {
    return fail_errno("unmounting " + entry.target + " lazily", errno);
  }
  return {};
}

} // namespace

Result<void> unmount_all(const MountRecord& record) {
  std::string failed;
  Error first(ErrorKind::io, "");
  for (auto entry = record.entries.rbegin(); entry != record.entries.rend(); ++entry) {
    auto done = unmount_target(*entry);
    if (!done) {
      if (failed.empty()) {
        first = done.error();
      }
      failed += (failed.empty() ? "" : ", ") + entry->target;
      continue;
    }
    if (is_fuse_kind(entry->kind)) {
      stop_fuse_daemon(entry->fuse_pid);
    }
  }
  if (!failed.empty()) {
    return std::unexpected(std::move(first).with_context("could not unmount " + failed));
  }
  // Scratch directories only; never through a mount (remove_tree checks).
  for (const char* scratch : {"/layers", "/overlay", "/overlays"}) {
    if (auto removed = remove_tree_unless_mounted(record.work_dir + scratch); !removed) {
      return removed;
    }
  }
  std::string path = mount_record_path(record.work_dir);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return fail_errno("removing " + path, errno);
  }
  return {};
}

} // namespace sifkit::runtime
