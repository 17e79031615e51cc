// mount_image with the kernel method: loop devices at the layers' offsets, squashfs,
// read-only and tmpfs overlays, and the undoing of a failed mount.
#include <common/sha256.h>
#include <runtime/mount/mount.h>

#include <cerrno>
#include <filesystem>

#include "runtime/mount_checks.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::test;

namespace {

runtime::MountOptions kernel_options(runtime::Writable writable) {
  runtime::MountOptions options;
  options.method = runtime::MountMethod::kernel;
  options.writable = writable;
  return options;
}

// Writing a new file under `dir` fails with `expected_errno`, or succeeds when it is 0.
int create_errno(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) {
    return errno;
  }
  ::close(fd);
  return 0;
}

} // namespace

TEST_CASE("the kernel method mounts a one-layer image read-only over a loop device",
          "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene;
  auto record = runtime::mount_image(scene.image, scene.rootfs, scene.work,
                                     kernel_options(runtime::Writable::no));
  INFO((record ? "" : record.error().what()));
  REQUIRE(record);
  MountGuard guard(*record);

  REQUIRE(record->entries.size() == 1);
  CHECK(record->entries[0].kind == runtime::MountKind::squashfs);
  CHECK(record->entries[0].target == record->rootfs);
  CHECK(record->entries[0].loop_device.starts_with("/dev/loop"));
  CHECK(file_bytes(scene.rootfs + "/opt/data/file") == "image data\n");
  CHECK(::access((scene.rootfs + "/bin/busybox").c_str(), X_OK) == 0);
  CHECK(create_errno(scene.rootfs + "/new-file") == EROFS);
  CHECK(loop_devices_of(scene.sif).find(record->entries[0].loop_device) != std::string::npos);
  CHECK(std::filesystem::exists(scene.work + "/mounts.json"));

  auto undone = runtime::unmount_all(*record);
  INFO((undone ? "" : undone.error().what()));
  REQUIRE(undone);
  guard.release();
  CHECK(loop_devices_of(scene.sif, true).empty());
  CHECK_FALSE(mounted_below(scene.canonical()));
  CHECK_FALSE(std::filesystem::exists(scene.work + "/mounts.json"));
  CHECK(std::filesystem::is_empty(scene.rootfs));
}

TEST_CASE("the kernel method stacks several layers with a read-only overlay", "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene(3);
  REQUIRE(scene.image.layers.size() == 3);
  auto record = runtime::mount_image(scene.image, scene.rootfs, scene.work,
                                     kernel_options(runtime::Writable::no));
  INFO((record ? "" : record.error().what()));
  REQUIRE(record);
  MountGuard guard(*record);

  REQUIRE(record->entries.size() == 4);
  CHECK(record->entries[3].kind == runtime::MountKind::overlay);
  CHECK(file_bytes(scene.rootfs + "/opt/layer-3") == "layer\n");
  CHECK(file_bytes(scene.rootfs + "/opt/data/file") == "image data\n");
  CHECK(::access((scene.rootfs + "/bin/busybox").c_str(), X_OK) == 0);
  CHECK(create_errno(scene.rootfs + "/new-file") == EROFS);
  CHECK(loop_devices_of(scene.sif).size() > 0);

  REQUIRE(runtime::unmount_all(*record));
  guard.release();
  CHECK(loop_devices_of(scene.sif, true).empty());
  CHECK_FALSE(mounted_below(scene.canonical()));
  CHECK_FALSE(std::filesystem::exists(scene.work + "/layers"));
}

TEST_CASE("a writable tmpfs overlay keeps changes in work_dir and never in the SIF",
          "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene;
  std::string before = sha256_hex(file_bytes(scene.sif));
  auto record = runtime::mount_image(scene.image, scene.rootfs, scene.work,
                                     kernel_options(runtime::Writable::tmpfs));
  INFO((record ? "" : record.error().what()));
  REQUIRE(record);
  MountGuard guard(*record);

  REQUIRE(record->entries.size() == 3);
  CHECK(record->entries[1].kind == runtime::MountKind::tmpfs);
  CHECK(record->entries[2].kind == runtime::MountKind::overlay);
  CHECK(create_errno(scene.rootfs + "/new-file") == 0);
  CHECK(std::filesystem::exists(scene.work + "/overlay/upper/new-file"));
  std::filesystem::remove(scene.rootfs + "/opt/data/file"); // a whiteout on the tmpfs
  CHECK_FALSE(std::filesystem::exists(scene.rootfs + "/opt/data/file"));
  struct stat st {};
  REQUIRE(::stat(scene.rootfs.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);

  REQUIRE(runtime::unmount_all(*record));
  guard.release();
  CHECK_FALSE(std::filesystem::exists(scene.work + "/overlay"));
  CHECK_FALSE(mounted_below(scene.canonical()));
  CHECK(loop_devices_of(scene.sif, true).empty());
  CHECK(sha256_hex(file_bytes(scene.sif)) == before);
}

TEST_CASE("a layer at a wrong offset fails and leaves no mount and no loop device",
          "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene(2);
  runtime::RunImage broken = scene.image;
  broken.layers[1].offset += 1;
  auto record = runtime::mount_image(broken, scene.rootfs, scene.work,
                                     kernel_options(runtime::Writable::tmpfs));
  REQUIRE_FALSE(record);
  CHECK(record.error().kind() == ErrorKind::io);
  CHECK_THAT(record.error().what(), Catch::Contains("mounting layer 2 of " + scene.image.path));
  CHECK_FALSE(mounted_below(scene.canonical()));
  CHECK(loop_devices_of(scene.sif, true).empty());
  CHECK_FALSE(std::filesystem::exists(scene.work + "/mounts.json"));
  CHECK_FALSE(std::filesystem::exists(scene.work + "/layers"));
}

TEST_CASE("mount_image refuses a rootfs that is not a directory", "[mount]") {
  TempDir dir;
  runtime::RunImage image;
  image.path = dir.file("none.sif");
  image.layers.push_back({});
  auto missing = runtime::mount_image(image, dir.file("absent"), dir.path().string(), {});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == ErrorKind::not_found);
}

TEST_CASE("the automatic method uses loop devices when it may", "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene;
  runtime::MountOptions options;
  options.writable = runtime::Writable::no;
  auto record = runtime::mount_image(scene.image, scene.rootfs, scene.work, options);
  INFO((record ? "" : record.error().what()));
  REQUIRE(record);
  MountGuard guard(*record);
  REQUIRE(record->entries.size() == 1);
  CHECK(record->entries[0].kind == runtime::MountKind::squashfs);
  REQUIRE(runtime::unmount_all(*record));
  guard.release();
  CHECK_FALSE(mounted_below(scene.canonical()));
}
