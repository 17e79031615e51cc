#include "support/fixtures.h"

#include <common/atomic_file.h>
#include <common/file.h>

#include <catch2/catch.hpp>

#include <filesystem>

using namespace sifkit;
namespace fs = std::filesystem;

namespace {

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
}

} // namespace

TEST_CASE("an uncommitted atomic file never appears under its final name", "[common]") {
  test::TempDir dir;
  std::string target = dir.file("out.bin");
  {
    auto tmp = AtomicFile::create(target);
    REQUIRE(tmp.has_value());
    std::string data = "partial";
    REQUIRE(tmp->file().pwrite_all(std::as_bytes(std::span(data)), 0).has_value());
    CHECK(fs::exists(tmp->temp_path()));
    CHECK_FALSE(fs::exists(target));
  }
  CHECK_FALSE(fs::exists(target));
  CHECK(entries(dir.path()) == 0);
}

TEST_CASE("committing an atomic file replaces the target in one step", "[common]") {
  test::TempDir dir;
  std::string target = dir.file("out.bin");
  REQUIRE(write_file_atomic(target, "old").has_value());
  REQUIRE(write_file_atomic(target, "new contents").has_value());
  CHECK(test::file_bytes(target) == "new contents");
  CHECK(entries(dir.path()) == 1);
}

TEST_CASE("reading past the end of a file is reported as corrupt input", "[common]") {
  test::TempDir dir;
  std::string path = dir.file("short");
  REQUIRE(write_file_atomic(path, "abc").has_value());
  auto file = File::open(path, OpenMode::read_only);
  REQUIRE(file.has_value());
  std::array<std::byte, 8> buf{};
  auto r = file->pread_exact(buf, 0);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind() == ErrorKind::corrupt_input);
}

TEST_CASE("opening a missing file is not_found and names the path", "[common]") {
  auto file = File::open("/nonexistent/sifkit-test", OpenMode::read_only);
  REQUIRE_FALSE(file.has_value());
  CHECK(file.error().kind() == ErrorKind::not_found);
  CHECK(file.error().what().find("/nonexistent/sifkit-test") != std::string::npos);
}
