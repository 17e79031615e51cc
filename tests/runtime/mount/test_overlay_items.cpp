// --overlay texts: PATH[:ro|:rw], absolute paths, the kind told by content, and at most
// one writable overlay.
#include <runtime/mount/mount.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <support/fixtures.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::runtime;
using sifkit::test::TempDir;

namespace {

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A file with an ext2/3/4 superblock magic where the kernel looks for it.
std::string fake_ext_image() {
  std::string bytes(4096, '\0');
  bytes[1080] = '\x53';
  bytes[1081] = '\xEF';
  return bytes;
}

std::string fake_squashfs_image() {
  return "hsqs" + std::string(4092, '\0');
}

} // namespace

TEST_CASE("an overlay's kind is told by its content, not its name", "[overlay]") {
  TempDir dir;
  write_bytes(dir.file("fs.sqfs"), fake_ext_image());
  write_bytes(dir.file("fs.img"), fake_squashfs_image());
  write_bytes(dir.file("garbage.img"), std::string(8192, 'x'));
  write_bytes(dir.file("short"), "hs");
  CHECK(detect_overlay_kind(dir.path().string()) == OverlayKind::directory);
  CHECK(detect_overlay_kind(dir.file("fs.sqfs")) == OverlayKind::ext3);
  CHECK(detect_overlay_kind(dir.file("fs.img")) == OverlayKind::squashfs);
  for (const auto* name : {"garbage.img", "short"}) {
    auto kind = detect_overlay_kind(dir.file(name));
    REQUIRE_FALSE(kind);
    CHECK(kind.error().kind() == ErrorKind::usage);
    CHECK_THAT(kind.error().what(), Catch::Contains(dir.file(name)));
  }
  auto missing = detect_overlay_kind(dir.file("missing"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == ErrorKind::not_found);
}

TEST_CASE("a real mkfs.ext3 image and a real squashfs image are recognised", "[overlay]") {
  TempDir dir;
  auto ext =
      test::run_command("{ truncate -s 8M " + dir.file("a") +
                        " && PATH=$PATH:/sbin:/usr/sbin mkfs.ext3 -F -q " + dir.file("a") + "; }");
  auto sqfs = test::run_command("{ mkdir " + dir.file("src") + " && mksquashfs " + dir.file("src") +
                                " " + dir.file("b") + " -quiet -no-progress; }");
  if (ext.exit_code != 0 || sqfs.exit_code != 0) {
    SIFKIT_SKIP(program, "mkfs.ext3 or mksquashfs is missing: " << ext.err << sqfs.err);
    return;
  }
  CHECK(detect_overlay_kind(dir.file("a")) == OverlayKind::ext3);
  CHECK(detect_overlay_kind(dir.file("b")) == OverlayKind::squashfs);
}

TEST_CASE("sif-run --overlay takes :ro and :rw and makes the path absolute", "[overlay]") {
  TempDir dir;
  write_bytes(dir.file("ext.img"), fake_ext_image());
  write_bytes(dir.file("sq.img"), fake_squashfs_image());
  auto plain = parse_overlay(dir.path().string());
  REQUIRE(plain);
  CHECK(plain->kind == OverlayKind::directory);
  CHECK_FALSE(plain->read_only);
  auto ro = parse_overlay(dir.path().string() + ":ro");
  REQUIRE(ro);
  CHECK(ro->read_only);
  CHECK(ro->path == dir.path().string());
  auto rw = parse_overlay(dir.file("ext.img") + ":rw");
  REQUIRE(rw);
  CHECK(rw->kind == OverlayKind::ext3);
  CHECK_FALSE(rw->read_only);
  auto ext_ro = parse_overlay(dir.file("ext.img") + ":ro");
  REQUIRE(ext_ro);
  CHECK(ext_ro->read_only);
  auto squashfs = parse_overlay(dir.file("sq.img"));
  REQUIRE(squashfs);
  CHECK(squashfs->kind == OverlayKind::squashfs);
  CHECK(squashfs->read_only);
  auto squashfs_rw = parse_overlay(dir.file("sq.img") + ":rw");
  REQUIRE_FALSE(squashfs_rw);
  CHECK(squashfs_rw.error().kind() == ErrorKind::usage);

  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  auto relative = parse_overlay("ext.img:ro");
  std::filesystem::current_path(cwd);
  REQUIRE(relative);
  CHECK(relative->path == dir.file("ext.img"));
  CHECK(relative->read_only);
}

TEST_CASE("two writable overlays are a usage error naming both", "[overlay]") {
  TempDir dir;
  std::filesystem::create_directory(dir.file("one"));
  std::filesystem::create_directory(dir.file("two"));
  std::filesystem::create_directory(dir.file("three"));
  std::vector<OverlaySpec> overlays;
  for (const auto* text : {"three:ro", "one", "two"}) {
    auto parsed = parse_overlay(dir.file(text));
    REQUIRE(parsed);
    overlays.push_back(*parsed);
  }
  auto checked = check_overlays(overlays);
  REQUIRE_FALSE(checked);
  CHECK(checked.error().kind() == ErrorKind::usage);
  CHECK_THAT(checked.error().what(), Catch::Contains(dir.file("one")));
  CHECK_THAT(checked.error().what(), Catch::Contains(dir.file("two")));
  overlays.back().read_only = true;
  CHECK(check_overlays(overlays));
  REQUIRE(writable_overlay(overlays) != nullptr);
  CHECK(writable_overlay(overlays)->path == dir.file("one"));
}
