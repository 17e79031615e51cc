#include <cache/blob_lock.h>
#include <cache/directory.h>
#include <cache/sweep.h>
#include <cache/work_dir.h>
#include <common/file.h>
#include <common/lock_file.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

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
    if (!work)
      return 1;
    if (!write_file_atomic(work->file("image.sif"), "half an image").has_value())
      return 1;
    if (!write_file_atomic(dead_path, work->path()).has_value())
      return 1;
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

TEST_CASE("a work directory being created is never swept by a concurrent sweep",
          "[cache][hostile]") {
  test::TempDir dir;
  Layout layout(dir.path().string());
  REQUIRE(layout.create_directories().has_value());

  // Conversions start one after another while the parent sweeps, as `sif-cache clean`
  // and every cache open do.
  constexpr int k_work_dirs = 3000;
  pid_t converter = test::spawn([&] {
    int failures = 0;
    for (int i = 0; i < k_work_dirs; ++i) {
      auto work = WorkDir::create(layout, "convert");
      if (!work || !write_file_atomic(work->file("image.sif"), "partial").has_value() ||
          !fs::exists(work->file("image.sif"))) {
        ++failures;
      }
    }
    return std::min(failures, 100);
  });
  int sweeps = 0;
  int failed_sweeps = 0;
  int status = 0;
  while (::waitpid(converter, &status, WNOHANG) == 0) {
    failed_sweeps += sweep(layout).has_value() ? 0 : 1;
    ++sweeps;
  }
  INFO(sweeps << " sweeps");
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0); // work directories lost
  CHECK(failed_sweeps == 0);
  CHECK(fs::is_empty(layout.temp_directory()));
}

TEST_CASE("a work directory without a lock is swept only once it is older than the minimum age",
          "[cache][hostile]") {
  test::TempDir dir;
  Layout layout(dir.path().string());
  REQUIRE(layout.create_directories().has_value());
  // A process killed before its lock existed, or a removal killed after the lock went.
  std::string lockless = layout.temp_directory() + "/work-convert.0badc0de";
  std::string cut_short = layout.temp_directory() + "/.dead-work-convert.0badc0df.abc123";
  for (const auto& path : {lockless, cut_short}) {
    fs::create_directory(path);
    REQUIRE(write_file_atomic(path + "/image.sif", "partial").has_value());
  }

  auto young = sweep(layout);
  REQUIRE(young.has_value());
  CHECK(young->temp_files == 0);
  CHECK(young->foreign_files == 0);
  CHECK(fs::exists(lockless + "/image.sif"));
  CHECK(fs::exists(cut_short + "/image.sif"));

  test::make_older(lockless, k_sweep_min_age + std::chrono::seconds(5));
  test::make_older(cut_short, k_sweep_min_age + std::chrono::seconds(5));
  auto old = sweep(layout);
  REQUIRE(old.has_value());
  CHECK(old->temp_files == 2);
  CHECK(old->temp_bytes == 14);
  CHECK(fs::is_empty(layout.temp_directory()));
}
