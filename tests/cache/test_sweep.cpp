#include <cache/blob_lock.h>
#include <cache/directory.h>
#include <cache/sweep.h>

#include <filesystem>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;
namespace fs = std::filesystem;

TEST_CASE("sweeping removes the temp files of dead writers only", "[cache]") {
  test::TempDir dir;
  Layout layout(dir.path().string());
  REQUIRE(layout.create_directories().has_value());
  Digest dead = test::digest_of("dead writer");
  Digest live = test::digest_of("live writer");
  std::string dead_temp = layout.new_temp_path(dead);
  std::string live_temp = layout.new_temp_path(live);
  REQUIRE(write_file_atomic(dead_temp, "partial").has_value());
  REQUIRE(write_file_atomic(live_temp, "partial").has_value());
  REQUIRE(write_file_atomic(layout.temp_directory() + "/notes.txt", "not ours").has_value());

  test::Signal locked;
  test::Signal release;
  pid_t writer = test::spawn([&] {
    auto lock = BlobLock::acquire(layout, live, LockTiming{}, {});
    locked.notify();
    release.wait();
    return lock ? 0 : 1;
  });
  REQUIRE(locked.wait());
  auto report = sweep(layout);
  REQUIRE(report.has_value());
  CHECK(report->temp_files == 1);
  CHECK(report->temp_bytes == 7);
  CHECK(report->foreign_files == 1);
  CHECK_FALSE(fs::exists(dead_temp));
  CHECK(fs::exists(live_temp));
  release.notify();
  CHECK(test::wait_child(writer) == 0);

  auto again = sweep(layout);
  REQUIRE(again.has_value());
  CHECK(again->temp_files == 1); // the live writer has gone away without cleaning up
}
