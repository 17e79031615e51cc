// squash_layer_for_overlay (--keep-layers) and the writer's deduplication, read back by
// unsquashfs, not by our own structures.
#include <convert/squash.h>
#include <convert/tar_reader.h>

#include <fstream>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>
#include <support/fixtures.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::convert;

namespace {

struct Item {
  std::string path;
  int type = AE_IFREG;
  std::string data;
};

void write_tar(const std::string& path, const std::vector<Item>& items) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  for (const Item& item : items) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, item.path.c_str());
    archive_entry_set_filetype(e, static_cast<unsigned>(item.type));
    archive_entry_set_perm(e, item.type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(item.data.size()));
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (!item.data.empty())
      archive_write_data(a, item.data.data(), item.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

LayerInput tar_layer(const std::string& path) {
  return {path, [path] { return open_tar_file(path); }, Whiteouts::interpret};
}

// True when trusted.* xattrs can be read back here (root, unsquashfs); otherwise records a
// skip naming what is missing and returns false.
bool can_extract_as_root() {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "reading trusted.* xattrs back needs root");
    return false;
  }
  if (test::run_command("unsquashfs -help >/dev/null 2>&1").exit_code > 1) {
    SIFKIT_SKIP(program, "unsquashfs (squashfs-tools) is missing");
    return false;
  }
  return true;
}

// Incompressible bytes (xorshift), so sizes show what is stored.
std::string pattern(std::size_t size, std::uint64_t seed) {
  std::string s(size, '\0');
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x >> 56);
  }
  return s;
}

} // namespace

TEST_CASE("a layer for overlayfs turns whiteouts into 0:0 devices and opaque markers into xattrs",
          "[convert][root]") {
  if (!can_extract_as_root()) {
    return;
  }
  test::TempDir dir;
  std::string base = dir.path().string();
  write_tar(base + "/l.tar", {{"etc", AE_IFDIR},
                              {"etc/.wh.motd", AE_IFREG},
                              {"opt", AE_IFDIR},
                              {"opt/.wh..wh..opq", AE_IFREG},
                              {"opt/new", AE_IFREG, "new\n"}});
  auto stats = squash_layer_for_overlay(tar_layer(base + "/l.tar"), base + "/l.sqfs", {});
  REQUIRE(stats);
  auto extract = test::run_command("unsquashfs -q -d " + base + "/x " + base + "/l.sqfs");
  REQUIRE(extract.exit_code == 0);
  struct stat st {};
  REQUIRE(::lstat((base + "/x/etc/motd").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(major(st.st_rdev) == 0);
  CHECK(minor(st.st_rdev) == 0);
  char value[8] = {};
  ssize_t n = ::lgetxattr((base + "/x/opt").c_str(), "trusted.overlay.opaque", value, sizeof value);
  REQUIRE(n == 1);
  CHECK(value[0] == 'y');
  CHECK(::access((base + "/x/opt/.wh..wh..opq").c_str(), F_OK) != 0);
  CHECK(::access((base + "/x/opt/new").c_str(), F_OK) == 0);
}

TEST_CASE("identical files are stored once and read back whole", "[convert]") {
  test::TempDir dir;
  std::string base = dir.path().string();
  std::string big = pattern(300 * 1024 + 77, 1);
  std::string other = pattern(300 * 1024 + 77, 2);
  std::ofstream(base + "/big.bin", std::ios::binary) << big;
  write_tar(base + "/one.tar", {{"a", AE_IFREG, big}});
  write_tar(base + "/two.tar", {{"a", AE_IFREG, big}, {"b", AE_IFREG, big}, {"c", AE_IFREG, big}});
  write_tar(base + "/diff.tar", {{"a", AE_IFREG, big}, {"b", AE_IFREG, other}});
  SquashOptions options;
  std::vector<LayerInput> one{tar_layer(base + "/one.tar")};
  std::vector<LayerInput> two{tar_layer(base + "/two.tar")};
  std::vector<LayerInput> diff{tar_layer(base + "/diff.tar")};
  auto s1 = squash_layers(one, base + "/one.sqfs", options);
  auto s2 = squash_layers(two, base + "/two.sqfs", options);
  auto s3 = squash_layers(diff, base + "/diff.sqfs", options);
  REQUIRE(s1);
  REQUIRE(s2);
  REQUIRE(s3);
  CHECK(s2->bytes_in == 3 * s1->bytes_in);
  // Three copies cost no more than one plus metadata; two different files cost more.
  CHECK(s2->image_size <= s1->image_size + 4096);
  CHECK(s3->image_size > s1->image_size + 4096);
  auto cat = test::run_command("unsquashfs -cat " + base + "/two.sqfs c | sha256sum");
  auto expect = test::run_command("unsquashfs -cat " + base + "/one.sqfs a | sha256sum");
  REQUIRE(cat.exit_code == 0);
  REQUIRE(expect.exit_code == 0);
  auto direct = test::run_command("sha256sum < " + base + "/big.bin");
  CHECK(cat.out == expect.out);
  CHECK(cat.out.substr(0, 64) == direct.out.substr(0, 64));
}
