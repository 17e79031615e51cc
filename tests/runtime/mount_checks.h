#pragma once

// Helpers of the mount tests: a busybox OCI-SIF with scratch directories, a guard that
// unmounts whatever a failed test left mounted, and probes of loop devices and mounts.
#include <common/mountinfo.h>
#include <runtime/image/image.h>
#include <runtime/mount/loop_device.h>
#include <runtime/mount/mount.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "runtime/run_fixture.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <unistd.h>

namespace sifkit::test {

// A busybox image of `layers` layers and the directories to mount it with.
struct MountScene {
  TempDir dir;
  std::string sif;
  std::string rootfs;
  std::string work;
  runtime::RunImage image;

  explicit MountScene(int layers = 1) {
    sif = dir.file("busybox.sif");
    make_busybox_sif(sif, "{}", layers);
    rootfs = dir.file("rootfs");
    work = dir.file("work");
    std::filesystem::create_directories(rootfs);
    std::filesystem::create_directories(work);
    auto opened = runtime::open_run_image(sif);
    REQUIRE(opened);
    image = std::move(*opened);
  }
  // The canonical path of the scratch directory (what mountinfo shows).
  std::string canonical() const { return std::filesystem::canonical(dir.path()).string(); }
};

// Unmounts `record` when a test ends early, before TempDir removes the tree.
class MountGuard {
public:
  explicit MountGuard(const runtime::MountRecord& record) : m_record(record) {}
  ~MountGuard() {
    if (m_armed) {
      (void)runtime::unmount_all(m_record);
    }
  }
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  void release() { m_armed = false; }

private:
  runtime::MountRecord m_record;
  bool m_armed = true;
};

// True when kernel mounts (loop devices) can be tested here; otherwise records a skip
// (support/skip.h) naming what is missing and returns false.
inline bool can_mount_with_kernel() {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "loop devices and kernel mounts need root");
    return false;
  }
  if (!have_static_busybox()) {
    SIFKIT_SKIP(program, "/bin/busybox (Debian's busybox-static) is missing");
    return false;
  }
  if (!runtime::loop_devices_usable()) {
    SIFKIT_SKIP(host, "/dev/loop-control cannot be opened here (no loop devices)");
    return false;
  }
  return true;
}

// True when squashfuse_ll mounts can be tested here; otherwise records a skip naming what
// is missing and returns false.
inline bool can_mount_with_fuse() {
  if (!have_static_busybox()) {
    SIFKIT_SKIP(program, "/bin/busybox (Debian's busybox-static) is missing");
    return false;
  }
  if (!std::filesystem::exists("/dev/fuse")) {
    SIFKIT_SKIP(fuse, "/dev/fuse is missing");
    return false;
  }
  if (run_command("command -v squashfuse_ll").exit_code != 0) {
    SIFKIT_SKIP(fuse, "squashfuse_ll is not installed (Debian's squashfuse)");
    return false;
  }
  return true;
}

// `losetup -j FILE`'s lines; autoclear releases a device asynchronously, so `expect_none`
// waits up to a second for the list to empty.
inline std::string loop_devices_of(const std::string& file, bool expect_none = false) {
  std::string out;
  for (int attempt = 0; attempt < 100; ++attempt) {
    out = run_command("losetup -j '" + file + "'").out;
    if (!expect_none || out.empty()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return out;
}

// True when something is mounted at or below `path`.
inline bool mounted_below(const std::string& path) {
  auto mounted = has_mount_at_or_below(path);
  REQUIRE(mounted);
  return *mounted;
}

// True when `pid` exists and is not a zombie.
inline bool process_alive(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

} // namespace sifkit::test
