#include <cache/blob_lock.h>
#include <cache/directory.h>
#include <cache/sweep.h>
#include <cache/work_dir.h>
#include <common/file.h>

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

TEST_CASE("sweeping removes the work directories of dead processes only", "[cache]") {
  test::TempDir dir;
  Layout layout(dir.path().string());
  REQUIRE(layout.create_directories().has_value());

  // A process that dies while converting: its work directory stays behind.
  test::Signal created;
  test::Signal release;
  std::string dead_path = layout.temp_directory() + "/dead-path";
  pid_t dying = test::spawn([&] {
    auto work = WorkDir::create(layout, "convert");
    if (!work) return 1;
    if (!write_file_atomic(work->file("image.sif"), "half an image").has_value()) return 1;
    if (!write_file_atomic(dead_path, work->path()).has_value()) return 1;
    created.notify();
    release.wait();
    ::_exit(0); // no destructors: as if killed
  });
  REQUIRE(created.wait());
  std::string abandoned = *read_file(dead_path);
  auto live = WorkDir::create(layout, "convert");
  REQUIRE(live.has_value());
  REQUIRE(write_file_atomic(live->file("image.sif"), "in progress").has_value());

  auto while_alive = sweep(layout);
  REQUIRE(while_alive.has_value());
  CHECK(fs::exists(abandoned)); // its process still holds it
  CHECK(fs::exists(live->file("image.sif")));
  release.notify();
  CHECK(test::wait_child(dying) == 0);

  auto report = sweep(layout);
  REQUIRE(report.has_value());
  CHECK_FALSE(fs::exists(abandoned));
  CHECK(report->temp_files == 1);
  CHECK(report->temp_bytes == 13);
  CHECK(fs::exists(live->file("image.sif")));
  std::string live_path = live->path();
  live = std::unexpected(Error(ErrorKind::internal, "dropped"));
  CHECK_FALSE(fs::exists(live_path));
}
