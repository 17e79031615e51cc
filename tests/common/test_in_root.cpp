// Paths below a directory descriptor: reads that stay inside the root whatever its links
// say, refusing links outright, and resolving a path as a container would.
#include <common/in_root.h>

#include <filesystem>
#include <fstream>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>

using namespace sifkit;
namespace fs = std::filesystem;

namespace {

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

File root_of(const test::TempDir& dir) {
  auto root = open_directory(dir.file("root"));
  REQUIRE(root);
  return std::move(*root);
}

} // namespace

TEST_CASE("an absolute link read in the root resolves inside the root, never on the host",
          "[common][hostile]") {
  test::TempDir dir;
  write(dir.file("host-secret"), "HOST-ONLY-MARKER\n");
  write(dir.file("root/etc/group"), "in the root\n");
  fs::create_symlink(dir.file("host-secret"), dir.file("root/etc/passwd"));
  fs::create_symlink("/etc/group", dir.file("root/etc/shadow"));
  File root = root_of(dir);

  auto outside = read_file_below(root, "etc/passwd", 4096, Resolve::in_root);
  REQUIRE_FALSE(outside);
  CHECK(outside.error().kind() == ErrorKind::not_found);

  auto inside = read_file_below(root, "etc/shadow", 4096, Resolve::in_root);
  REQUIRE(inside);
  CHECK(*inside == "in the root\n");
}

TEST_CASE("no_links refuses a link anywhere on the path as corrupt_input", "[common][hostile]") {
  test::TempDir dir;
  write(dir.file("root/real/file"), "x");
  fs::create_symlink("real", dir.file("root/linked"));
  fs::create_symlink("real/file", dir.file("root/file"));
  File root = root_of(dir);
  CHECK(read_file_below(root, "real/file", 16, Resolve::no_links));
  for (const char* path : {"linked/file", "file"}) {
    auto text = read_file_below(root, path, 16, Resolve::no_links);
    REQUIRE_FALSE(text);
    CHECK(text.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(text.error().what(), Catch::Contains("symbolic link"));
  }
  auto up = read_file_below(root, "../root/real/file", 16, Resolve::no_links);
  REQUIRE_FALSE(up);
  CHECK(up.error().kind() == ErrorKind::corrupt_input);
}

TEST_CASE("a read below a root refuses a FIFO and /dev/zero and caps the size",
          "[common][hostile]") {
  test::TempDir dir;
  write(dir.file("root/big"), std::string(100, 'b'));
  REQUIRE(::mkfifo(dir.file("root/fifo").c_str(), 0600) == 0);
  File root = root_of(dir);
  auto fifo = read_file_below(root, "fifo", 16, Resolve::in_root);
  REQUIRE_FALSE(fifo);
  CHECK(fifo.error().kind() == ErrorKind::usage);
  auto big = read_file_below(root, "big", 99, Resolve::in_root);
  REQUIRE_FALSE(big);
  CHECK(big.error().kind() == ErrorKind::capacity);

  auto dev = open_directory("/dev");
  REQUIRE(dev);
  auto zero = read_file_below(*dev, "zero", 16, Resolve::no_links);
  REQUIRE_FALSE(zero);
  CHECK(zero.error().kind() == ErrorKind::usage);
}

TEST_CASE("resolve_in_root follows links as the container would and keeps missing parts",
          "[common]") {
  test::TempDir dir;
  fs::create_directories(dir.file("root/etc"));
  fs::create_directories(dir.file("root/var"));
  fs::create_symlink("/etc", dir.file("root/data"));
  fs::create_symlink("../../../../tmp", dir.file("root/var/tmp"));
  fs::create_symlink("loop", dir.file("root/loop"));
  fs::create_symlink(dir.path().string(), dir.file("root/host"));
  File root = root_of(dir);

  auto resolve = [&](const char* path) {
    auto resolved = resolve_in_root(root, path);
    REQUIRE(resolved);
    return *resolved;
  };
  CHECK(resolve("/data") == "/etc");
  CHECK(resolve("/data/passwd") == "/etc/passwd");
  CHECK(resolve("/var/tmp") == "/tmp");
  CHECK(resolve("/etc/../data/./x/../y") == "/etc/y");
  CHECK(resolve("/missing/a/../b") == "/missing/b");
  CHECK(resolve("/") == "/");
  // A link naming a host path is a path inside the root.
  CHECK(resolve("/host") == dir.path().string());

  auto loop = resolve_in_root(root, "/loop/x");
  REQUIRE_FALSE(loop);
  CHECK(loop.error().kind() == ErrorKind::corrupt_input);
}
