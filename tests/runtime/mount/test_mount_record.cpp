// The mount record: JSON round trip, malformed records, and unmount_all over entries that
// are already gone.
#include <common/file.h>
#include <common/mountinfo.h>
#include <runtime/mount/mount.h>

#include <filesystem>

#include "runtime/mount_checks.h"
#include <nlohmann/json.hpp>
#include <sys/mount.h>

using namespace sifkit;
using namespace sifkit::test;

TEST_CASE("a mount record survives writing and reading", "[mount]") {
  TempDir dir;
  std::string work = std::filesystem::canonical(dir.path()).string();
  runtime::MountRecord record{"/images/a.sif", work + "/rootfs", work, {}};
  record.entries.push_back({runtime::MountKind::squashfs, work + "/layers/0", "/dev/loop7", 0});
  record.entries.push_back({runtime::MountKind::squashfuse, work + "/layers/1", "", 4242});
  record.entries.push_back({runtime::MountKind::overlay, work + "/rootfs", "", 0, 4711});
  REQUIRE(runtime::write_mount_record(record));

  auto read = runtime::read_mount_record(work);
  REQUIRE(read);
  CHECK(read->image == record.image);
  CHECK(read->rootfs == record.rootfs);
  CHECK(read->work_dir == record.work_dir);
  REQUIRE(read->entries.size() == 3);
  CHECK(read->entries[0].loop_device == "/dev/loop7");
  CHECK(read->entries[1].kind == runtime::MountKind::squashfuse);
  CHECK(read->entries[1].fuse_pid == 4242);
  CHECK(read->entries[2].target == work + "/rootfs");
  CHECK(read->entries[2].mount_id == 4711);
  CHECK(runtime::mount_record_json(*read) == runtime::mount_record_json(record));
}

TEST_CASE("every mount kind keeps its name in the record", "[mount]") {
  for (auto kind :
       {runtime::MountKind::squashfs, runtime::MountKind::squashfuse, runtime::MountKind::overlay,
        runtime::MountKind::fuse_overlayfs, runtime::MountKind::tmpfs, runtime::MountKind::ext4,
        runtime::MountKind::fuse2fs}) {
    INFO(runtime::to_string(kind));
    CHECK(runtime::parse_mount_kind(runtime::to_string(kind)) == kind);
  }
  CHECK(runtime::to_string(runtime::MountKind::fuse_overlayfs) == "fuse-overlayfs");
  CHECK(runtime::is_fuse(runtime::MountKind::fuse2fs));
  CHECK_FALSE(runtime::is_fuse(runtime::MountKind::ext4));
  CHECK_FALSE(runtime::parse_mount_kind("Overlay"));
}

TEST_CASE("reading a missing mount record is not_found", "[mount]") {
  TempDir dir;
  auto read = runtime::read_mount_record(dir.path().string());
  REQUIRE_FALSE(read);
  CHECK(read.error().kind() == ErrorKind::not_found);
}

TEST_CASE("a malformed mount record is corrupt_input", "[mount]") {
  for (
      const char* text :
      {"not json", "[]", R"({"image": "rel", "rootfs": "/r", "work_dir": "/w", "entries": []})",
       R"({"image": "/i", "rootfs": "/r", "work_dir": "/w", "entries": {}})",
       R"({"image": "/i", "rootfs": "/r", "work_dir": "/w", "entries": [{"kind": "tmpfs"}]})",
       R"({"image": "/i", "rootfs": "/r", "work_dir": "/w", "entries": [{"kind": "nfs", "target": "/t"}]})",
       R"({"image": "/i", "rootfs": "/r", "work_dir": "/w",
            "entries": [{"kind": "squashfuse", "target": "/t", "fuse_pid": -3}]})"}) {
    auto parsed = runtime::parse_mount_record(text, "mounts.json");
    INFO(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind() == ErrorKind::corrupt_input);
  }
}

TEST_CASE("unmount_all skips entries that are already unmounted", "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene(2);
  runtime::MountOptions options;
  options.method = runtime::MountMethod::kernel;
  options.writable = runtime::Writable::tmpfs;
  auto record = runtime::mount_image(scene.image, scene.rootfs, scene.work, options);
  REQUIRE(record);
  MountGuard guard(*record);
  auto stored = runtime::read_mount_record(scene.work);
  REQUIRE(stored);
  CHECK(runtime::mount_record_json(*stored) == runtime::mount_record_json(*record));

  // Someone unmounted the overlay and the tmpfs already.
  REQUIRE(::umount2(record->rootfs.c_str(), 0) == 0);
  REQUIRE(::umount2((record->work_dir + "/overlay").c_str(), 0) == 0);
  auto undone = runtime::unmount_all(*stored);
  INFO((undone ? "" : undone.error().what()));
  REQUIRE(undone);
  guard.release();
  CHECK_FALSE(mounted_below(scene.canonical()));
  CHECK(loop_devices_of(scene.sif, true).empty());
  // A second time there is nothing left to do.
  CHECK(runtime::unmount_all(*stored));
}

TEST_CASE("unmount_all never removes a scratch directory with a mount below it", "[mount][root]") {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "mounting a tmpfs needs root");
    return;
  }
  TempDir dir;
  std::string work = std::filesystem::canonical(dir.path()).string();
  std::filesystem::create_directories(work + "/layers/0");
  REQUIRE(::mount("tmpfs", (work + "/layers/0").c_str(), "tmpfs", 0, "size=1m") == 0);
  write_file_atomic(work + "/layers/0/keep", "x");
  runtime::MountRecord record{"/i.sif", work + "/rootfs", work, {}};
  auto undone = runtime::unmount_all(record); // the record does not know the tmpfs
  CHECK_FALSE(undone);
  if (!undone) {
    CHECK(undone.error().kind() == ErrorKind::conflict);
  }
  CHECK(std::filesystem::exists(work + "/layers/0/keep"));
  REQUIRE(::umount2((work + "/layers/0").c_str(), 0) == 0);
}

TEST_CASE("a mount's id finds the mount until it is gone, and is never another mount's",
          "[mount][root]") {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "mounting a tmpfs needs root");
    return;
  }
  TempDir dir;
  std::string base = std::filesystem::canonical(dir.path()).string();
  std::filesystem::create_directories(base + "/a");
  std::filesystem::create_directories(base + "/b");
  REQUIRE(::mount("tmpfs", (base + "/a").c_str(), "tmpfs", 0, "size=1m") == 0);
  auto first = mount_id_at(base + "/a");
  REQUIRE(first);
  auto where = mount_point_of(*first);
  REQUIRE(where);
  REQUIRE(where->has_value());
  CHECK(**where == base + "/a");
  REQUIRE(::umount2((base + "/a").c_str(), 0) == 0);

  // The next mount may take the freed id of the other kind; never a unique one.
  REQUIRE(::mount("tmpfs", (base + "/b").c_str(), "tmpfs", 0, "size=1m") == 0);
  auto second = mount_id_at(base + "/b");
  auto gone = mount_point_of(*first);
  REQUIRE(::umount2((base + "/b").c_str(), 0) == 0);
  REQUIRE(second);
  REQUIRE(gone);
  if (!first->unique) {
    SIFKIT_SKIP(host, "this kernel has no unique mount ids (Linux 6.8 and later)");
    return;
  }
  CHECK(second->unique);
  CHECK(second->value != first->value);
  CHECK_FALSE(gone->has_value());
}
