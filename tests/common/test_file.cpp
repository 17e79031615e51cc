// read_file: size caps, files that are not regular (devices, FIFOs, directories), /proc.
#include <common/file.h>

#include <fstream>
#include <string>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace sifkit;

TEST_CASE("read_file of /dev/zero is an error, not an endless read", "[common][hostile]") {
  auto text = read_file("/dev/zero");
  REQUIRE_FALSE(text);
  CHECK(text.error().kind() == ErrorKind::usage);
  CHECK_THAT(text.error().what(), Catch::Contains("/dev/zero is not a regular file"));
}

TEST_CASE("read_file of a FIFO fails at once instead of waiting for a writer",
          "[common][hostile]") {
  test::TempDir dir;
  std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto text = read_file(fifo);
  REQUIRE_FALSE(text);
  CHECK(text.error().kind() == ErrorKind::usage);
  CHECK_THAT(text.error().what(), Catch::Contains("not a regular file"));
}

TEST_CASE("read_file of a directory is usage", "[common]") {
  test::TempDir dir;
  auto text = read_file(dir.path().string());
  REQUIRE_FALSE(text);
  CHECK(text.error().kind() == ErrorKind::usage);
}

TEST_CASE("read_file of a file over its limit is capacity naming the file and the limit",
          "[common][hostile]") {
  test::TempDir dir;
  std::string path = dir.file("big");
  std::ofstream(path, std::ios::binary) << std::string(5000, 'x');
  auto text = read_file(path, 4096);
  REQUIRE_FALSE(text);
  CHECK(text.error().kind() == ErrorKind::capacity);
  CHECK_THAT(text.error().what(), Catch::Contains(path) && Catch::Contains("4096"));

  auto exact = read_file(path, 5000);
  REQUIRE(exact);
  CHECK(exact->size() == 5000);
}

TEST_CASE("read_file reads /proc files, which announce size 0, to their end", "[common]") {
  auto status = read_file("/proc/self/status");
  REQUIRE(status);
  CHECK_THAT(*status, Catch::Contains("Name:") && Catch::Contains("CapEff:"));
  // The limit also holds where the size is not announced.
  auto capped = read_file("/proc/self/status", 16);
  REQUIRE_FALSE(capped);
  CHECK(capped.error().kind() == ErrorKind::capacity);
}
