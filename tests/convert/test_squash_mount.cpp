// The squashfs we write mounts with the kernel (loop, at an offset) and with squashfuse,
// both as a plain file and inside an OCI-SIF, and shows the tree unsquashfs extracts.
#include <convert/oci_convert.h>
#include <sif/image.h>
#include <sif/oci_layout.h>
#include <sif/oci_sif.h>

#include <filesystem>

#include "convert/squash_scenario.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>

namespace sifkit::test {

namespace {

// True when the kernel can mount squashfs loop devices here; otherwise records a skip
// naming what is missing and returns false.
bool can_mount_squashfs_with_kernel() {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "kernel squashfs mount needs root");
    return false;
  }
  if (!std::filesystem::exists("/dev/loop-control")) {
    SIFKIT_SKIP(host, "no loop device (/dev/loop-control)");
    return false;
  }
  auto has_squashfs = [] {
    return run_command("grep -qw squashfs /proc/filesystems").exit_code == 0;
  };
  if (!has_squashfs()) {
    run_command("modprobe squashfs");
  }
  if (!has_squashfs()) {
    SIFKIT_SKIP(host, "the kernel has no squashfs support");
    return false;
  }
  return true;
}

// True when `program` (squashfuse or squashfuse_ll) can mount here; otherwise records a
// skip naming what is missing and returns false.
bool can_mount_squashfs_with(const std::string& program) {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "comparing owners and devices with unsquashfs's extraction needs root");
    return false;
  }
  if (!have_program(program)) {
    SIFKIT_SKIP(fuse, program << " not installed");
    return false;
  }
  if (!std::filesystem::exists("/dev/fuse")) {
    SIFKIT_SKIP(fuse, "no /dev/fuse");
    return false;
  }
  if (!have_program("fusermount") && !have_program("fusermount3")) {
    SIFKIT_SKIP(fuse, "no fusermount");
    return false;
  }
  return true;
}

// A mount that is undone when the object goes out of scope (declare it after the
// TempDir holding the mount point, so it is destroyed first).
class Mounted {
public:
  Mounted(std::string point, bool fuse) : m_point(std::move(point)), m_fuse(fuse) {}
  ~Mounted() {
    if (m_fuse) {
      run_command(fmt::format("{{ fusermount -u '{0}' || fusermount3 -u '{0}'; }}", m_point));
    } else {
      run_command(fmt::format("{{ umount '{0}' || umount -l '{0}'; }}", m_point));
    }
  }
  Mounted(const Mounted&) = delete;
  Mounted& operator=(const Mounted&) = delete;

private:
  std::string m_point;
  bool m_fuse;
};

// Mounts `image` at `offset` on `point` with the kernel; fails the test when it cannot.
std::unique_ptr<Mounted> kernel_mount(const std::string& image, std::int64_t offset,
                                      const std::string& point) {
  std::filesystem::create_directories(point);
  CommandResult r = run_command(
      fmt::format("mount -t squashfs -o loop,ro,offset={} '{}' '{}'", offset, image, point));
  INFO("mount: " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return std::make_unique<Mounted>(point, false);
}

// Mounts `image` at `offset` on `point` with FUSE `program`; fails the test when it
// cannot.
std::unique_ptr<Mounted> fuse_mount(const std::string& program, const std::string& image,
                                    std::int64_t offset, const std::string& point) {
  std::filesystem::create_directories(point);
  CommandResult r =
      run_command(fmt::format("{} -o offset={} '{}' '{}'", program, offset, image, point));
  INFO(program << ": " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return std::make_unique<Mounted>(point, true);
}

// The tree unsquashfs extracts from `image` at `offset`.
Tree extracted_tree(const TempDir& tmp, const std::string& image, std::int64_t offset) {
  std::string dir = tmp.file(fmt::format("extracted-{}", offset));
  CommandResult r =
      run_command(fmt::format("unsquashfs -n -st -o {} -d '{}' '{}'", offset, dir, image));
  INFO("unsquashfs: " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return snapshot_tree(dir);
}

// What `check_mounted` forgives in a FUSE mount.
struct FuseQuirks {
  // High-level squashfuse gives every path its own st_ino, so hardlinks cannot be seen
  // through it (squashfuse_ll keeps the squashfs inode numbers).
  bool no_link_groups = false;
  // squashfuse 0.1.104 lists a security.* xattr as trusted.* (mksquashfs images too),
  // while the kernel and unsquashfs read security.*; the rich image holds no trusted.*
  // xattr, so mounted trusted.* names are read as security.*.
  bool security_as_trusted = false;
};

// Checks the mounted tree at `point` equals `expected`, directory mtimes included (both
// sides read them from the squashfs inodes).
void check_mounted(Tree expected, const std::string& point, const FuseQuirks& quirks = {}) {
  Tree mounted = snapshot_tree(point);
  for (auto& [path, node] : mounted) {
    if (quirks.security_as_trusted) {
      std::map<std::string, std::string> renamed;
      for (auto& [name, value] : node.xattrs) {
        bool trusted = name.starts_with("trusted.");
        renamed[trusted ? "security." + name.substr(8) : name] = value;
      }
      node.xattrs = std::move(renamed);
    }
    if (quirks.no_link_groups)
      node.link_group.clear();
  }
  if (quirks.no_link_groups) {
    for (auto& [path, node] : expected)
      node.link_group.clear();
  }
  CompareOptions options;
  options.directory_mtimes = true;
  std::string diff = diff_trees(expected, mounted, options);
  INFO("differences (expected: unsquashfs, actual: mounted):\n" << diff);
  CHECK(diff.empty());
  CHECK(mounted.size() > 20);
}

// Writes the rich image as plain squashfs (offset 0) into `tmp`; returns its path.
std::string raw_squashfs(const TempDir& tmp) {
  OciImage image = write_oci_image(tmp.file("image"), rich_layers());
  std::string out = tmp.file("rich.sqfs");
  squash_files(image.layer_blobs, out);
  return out;
}

// Converts the rich image into an OCI-SIF in `tmp`; returns its path and the offset of
// its squashfs layer.
std::pair<std::string, std::int64_t> oci_sif(const TempDir& tmp) {
  OciImage image = write_oci_image(tmp.file("image"), rich_layers());
  auto layout = oci::OciLayout::open(image.dir);
  REQUIRE(layout.has_value());
  REQUIRE(layout->index().manifests.size() == 1);
  std::string sif = tmp.file("rich.sif");
  auto converted = convert::convert_image(*layout, layout->index().manifests[0].digest, sif, {});
  INFO((converted ? "" : converted.error().what()));
  REQUIRE(converted.has_value());
  REQUIRE(converted->layers.size() == 1);
  auto opened = sif::Image::open(sif);
  REQUIRE(opened.has_value());
  auto view = oci::OciSif::open(*opened);
  REQUIRE(view.has_value());
  auto descriptor = view->find_blob(converted->layers[0].digest);
  REQUIRE(descriptor.has_value());
  CHECK((*descriptor)->offset > 0);
  return {sif, (*descriptor)->offset};
}

} // namespace

TEST_CASE("the kernel mounts our squashfs and shows what unsquashfs extracts", "[convert][root]") {
  if (!can_mount_squashfs_with_kernel()) {
    return;
  }
  TempDir tmp;
  std::string image = raw_squashfs(tmp);
  Tree expected = extracted_tree(tmp, image, 0);
  auto mount = kernel_mount(image, 0, tmp.file("mnt"));
  check_mounted(expected, tmp.file("mnt"));
}

TEST_CASE("squashfuse and squashfuse_ll mount our squashfs and show what unsquashfs extracts",
          "[convert][root]") {
  for (std::string program : {"squashfuse", "squashfuse_ll"}) {
    DYNAMIC_SECTION(program) {
      if (!can_mount_squashfs_with(program)) {
        continue;
      }
      TempDir tmp;
      std::string image = raw_squashfs(tmp);
      std::int64_t offset = 0;
      Tree expected = extracted_tree(tmp, image, offset);
      auto mount = fuse_mount(program, image, offset, tmp.file("mnt"));
      check_mounted(
          expected, tmp.file("mnt"),
          FuseQuirks{.no_link_groups = program == "squashfuse", .security_as_trusted = true});
    }
  }
}

TEST_CASE("the kernel mounts the squashfs layer of an OCI-SIF at its offset", "[convert][root]") {
  if (!can_mount_squashfs_with_kernel()) {
    return;
  }
  TempDir tmp;
  auto [sif, offset] = oci_sif(tmp);
  Tree expected = extracted_tree(tmp, sif, offset);
  auto mount = kernel_mount(sif, offset, tmp.file("mnt"));
  check_mounted(expected, tmp.file("mnt"));
}

TEST_CASE("squashfuse and squashfuse_ll mount the squashfs layer of an OCI-SIF at its offset",
          "[convert][root]") {
  for (std::string program : {"squashfuse", "squashfuse_ll"}) {
    DYNAMIC_SECTION(program) {
      if (!can_mount_squashfs_with(program)) {
        continue;
      }
      TempDir tmp;
      auto [image, offset] = oci_sif(tmp);
      Tree expected = extracted_tree(tmp, image, offset);
      auto mount = fuse_mount(program, image, offset, tmp.file("mnt"));
      check_mounted(
          expected, tmp.file("mnt"),
          FuseQuirks{.no_link_groups = program == "squashfuse", .security_as_trusted = true});
    }
  }
}

} // namespace sifkit::test
