// mount_image with the FUSE method: squashfuse_ll daemons as children, their lifetime
// tied to the mounting process, overlays over FUSE layers, fuse-overlayfs.
#include <runtime/mount/fuse_mount.h>
#include <runtime/mount/mount.h>
#include <runtime/mount/overlay.h>

#include <cerrno>
#include <csignal>
#include <filesystem>

#include "runtime/mount_checks.h"
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::test;

namespace {

runtime::MountOptions fuse_options(runtime::Writable writable) {
  runtime::MountOptions options;
  options.method = runtime::MountMethod::fuse;
  options.writable = writable;
  return options;
}

// Waits up to 3 s for `pid` to be gone.
bool gone_soon(int pid) {
  for (int attempt = 0; attempt < 300 && process_alive(pid); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return !process_alive(pid);
}

} // namespace

TEST_CASE("the FUSE method mounts a one-layer image with squashfuse_ll", "[mount][root]") {
  if (!can_mount_with_fuse()) {
    return;
  }
  MountScene scene;
  auto record = runtime::mount_image(scene.image, scene.rootfs, scene.work,
                                     fuse_options(runtime::Writable::no));
  INFO((record ? "" : record.error().what()));
  REQUIRE(record);
  MountGuard guard(*record);

  REQUIRE(record->entries.size() == 1);
  const auto& entry = record->entries[0];
  CHECK(entry.kind == runtime::MountKind::squashfuse);
  CHECK(entry.loop_device.empty());
  REQUIRE(entry.fuse_pid > 0);
  CHECK(process_alive(entry.fuse_pid));
  CHECK(runtime::is_running_fuse_daemon(entry.fuse_pid));
  CHECK(file_bytes(scene.rootfs + "/opt/data/file") == "image data\n");
  CHECK(::access((scene.rootfs + "/bin/busybox").c_str(), X_OK) == 0);
  int fd = ::open((scene.rootfs + "/new-file").c_str(), O_WRONLY | O_CREAT, 0644);
  CHECK(fd < 0);
  CHECK((errno == EROFS || errno == ENOSYS || errno == EACCES));
  CHECK(loop_devices_of(scene.sif).empty());

  auto undone = runtime::unmount_all(*record);
  INFO((undone ? "" : undone.error().what()));
  REQUIRE(undone);
  guard.release();
  CHECK_FALSE(process_alive(entry.fuse_pid));
  CHECK_FALSE(mounted_below(scene.canonical()));
}

TEST_CASE("the FUSE method stacks several squashfuse layers with a writable overlay",
          "[mount][root]") {
  if (!can_mount_with_fuse()) {
    return;
  }
  MountScene scene(3);
  auto record = runtime::mount_image(scene.image, scene.rootfs, scene.work,
                                     fuse_options(runtime::Writable::tmpfs));
  INFO((record ? "" : record.error().what()));
  REQUIRE(record);
  MountGuard guard(*record);

  CHECK(file_bytes(scene.rootfs + "/opt/layer-3") == "layer\n");
  CHECK(file_bytes(scene.rootfs + "/opt/data/file") == "image data\n");
  CHECK(::access((scene.rootfs + "/bin/busybox").c_str(), X_OK) == 0);
  std::filesystem::create_directories(scene.rootfs + "/opt/new");
  CHECK(std::filesystem::exists(scene.work + "/overlay/upper/opt/new"));
  std::vector<int> daemons;
  for (const auto& entry : record->entries) {
    if (entry.kind == runtime::MountKind::squashfuse) {
      daemons.push_back(entry.fuse_pid);
    }
  }
  CHECK(daemons.size() == 3);

  REQUIRE(runtime::unmount_all(*record));
  guard.release();
  for (int pid : daemons) {
    CHECK_FALSE(process_alive(pid));
  }
  CHECK_FALSE(mounted_below(scene.canonical()));
}

TEST_CASE("the FUSE method stacks several layers read-only", "[mount][root]") {
  if (!can_mount_with_fuse()) {
    return;
  }
  MountScene scene(3);
  auto record = runtime::mount_image(scene.image, scene.rootfs, scene.work,
                                     fuse_options(runtime::Writable::no));
  INFO((record ? "" : record.error().what()));
  REQUIRE(record);
  MountGuard guard(*record);
  CHECK(file_bytes(scene.rootfs + "/opt/layer-3") == "layer\n");
  CHECK(file_bytes(scene.rootfs + "/etc/hostname-marker") == "image\n");
  REQUIRE(runtime::unmount_all(*record));
  guard.release();
  CHECK_FALSE(mounted_below(scene.canonical()));
}

TEST_CASE("a squashfuse daemon dies with the process that mounted", "[mount][root]") {
  if (!can_mount_with_fuse()) {
    return;
  }
  MountScene scene;
  for (int how : {0, SIGKILL}) {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto record = runtime::mount_image(scene.image, scene.rootfs, scene.work,
                                         fuse_options(runtime::Writable::no));
      if (!record) {
        ::_exit(1);
      }
      if (how == SIGKILL) {
        ::raise(SIGKILL);
      }
      ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK((how == 0 ? WIFEXITED(status) && WEXITSTATUS(status) == 0 : WIFSIGNALED(status)));

    auto record = runtime::read_mount_record(scene.work);
    REQUIRE(record);
    MountGuard guard(*record);
    REQUIRE(record->entries.size() == 1);
    CHECK(gone_soon(record->entries[0].fuse_pid));
    // The mount outlives its daemon as a dead FUSE connection.
    int fd = ::open((scene.rootfs + "/etc/hostname-marker").c_str(), O_RDONLY);
    CHECK(fd < 0);
    CHECK(errno == ENOTCONN);
    if (fd >= 0) {
      ::close(fd);
    }
    auto undone = runtime::unmount_all(*record);
    INFO((undone ? "" : undone.error().what()));
    REQUIRE(undone);
    guard.release();
    CHECK_FALSE(mounted_below(scene.canonical()));
    CHECK(std::filesystem::is_empty(scene.rootfs));
  }
}

TEST_CASE("a squashfuse daemon that cannot read the layer fails with its message",
          "[mount][root]") {
  if (!can_mount_with_fuse()) {
    return;
  }
  MountScene scene(2);
  runtime::RunImage broken = scene.image;
  broken.layers[1].offset += 1;
  auto record = runtime::mount_image(broken, scene.rootfs, scene.work,
                                     fuse_options(runtime::Writable::tmpfs));
  REQUIRE_FALSE(record);
  CHECK(record.error().kind() == ErrorKind::io);
  CHECK_THAT(record.error().what(), Catch::Contains("mounting layer 2 of " + scene.image.path));
  CHECK_THAT(record.error().what(), Catch::Contains("squashfuse"));
  CHECK_FALSE(mounted_below(scene.canonical()));
  CHECK_FALSE(std::filesystem::exists(scene.work + "/mounts.json"));
}

TEST_CASE("fuse-overlayfs stacks squashfuse layers", "[mount][root]") {
  if (!can_mount_with_fuse()) {
    return;
  }
  if (!runtime::find_fuse_overlayfs()) {
    SIFKIT_SKIP(fuse, "fuse-overlayfs is not installed");
    return;
  }
  // Layers through mount_image, the overlay by hand: mount_image uses fuse-overlayfs only
  // without root, and these tests run as root.
  MountScene scene(2);
  auto layers = runtime::mount_image(scene.image, scene.rootfs, scene.work,
                                     fuse_options(runtime::Writable::no));
  REQUIRE(layers);
  MountGuard guard(*layers);
  REQUIRE(::umount2(scene.rootfs.c_str(), 0) == 0); // drop the kernel overlay
  runtime::MountRecord record = *layers;
  record.entries.pop_back();
  std::string upper = scene.work + "/upper", work = scene.work + "/wd";
  std::filesystem::create_directories(upper);
  std::filesystem::create_directories(work);
  auto options = runtime::overlay_options(
      {record.work_dir + "/layers/1", record.work_dir + "/layers/0"}, upper, work);
  REQUIRE(options);
  auto pid =
      runtime::mount_fuse_overlay(record.rootfs, *options, runtime::FuseLifetime::with_caller);
  INFO((pid ? "" : pid.error().what()));
  REQUIRE(pid);
  record.entries.push_back({runtime::MountKind::fuse_overlayfs, record.rootfs, "", *pid});
  MountGuard overlay_guard(record);
  CHECK(file_bytes(scene.rootfs + "/opt/data/file") == "image data\n");
  CHECK(::access((scene.rootfs + "/bin/busybox").c_str(), X_OK) == 0);
  std::filesystem::create_directories(scene.rootfs + "/opt/new");
  CHECK(std::filesystem::exists(upper + "/opt/new"));

  REQUIRE(runtime::unmount_all(record));
  overlay_guard.release();
  guard.release();
  CHECK_FALSE(process_alive(*pid));
  CHECK_FALSE(mounted_below(scene.canonical()));
}
