#include <cache/blob_lock.h>

#include <fstream>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;
using namespace std::chrono_literals;

namespace {

Layout make_layout(const test::TempDir& dir) {
  Layout layout(dir.path().string());
  REQUIRE(layout.create_directories().has_value());
  return layout;
}

} // namespace

TEST_CASE("a second process waits for a blob's lock and is told whom it waits for", "[cache]") {
  test::TempDir dir;
  Layout layout = make_layout(dir);
  Digest digest = test::digest_of("contended");
  test::Signal locked;
  test::Signal release;
  pid_t holder = test::spawn([&] {
    auto lock = BlobLock::acquire(layout, digest, LockTiming{}, {});
    std::ofstream(layout.new_temp_path(digest)) << "partial"; // as a writer would
    locked.notify();
    release.wait();
    return lock ? 0 : 1;
  });
  REQUIRE(locked.wait());

  std::vector<LockWait> notices;
  LockTiming timing{100ms, 100ms, 30s};
  auto before = std::chrono::steady_clock::now();
  pid_t releaser = test::spawn([&] {
    std::this_thread::sleep_for(400ms);
    release.notify();
    return 0;
  });
  auto lock = BlobLock::acquire(layout, digest, timing,
                                [&](const LockWait& wait) { notices.push_back(wait); });
  REQUIRE(lock.has_value());
  CHECK(std::chrono::steady_clock::now() - before >= 300ms);
  REQUIRE(notices.size() >= 2);
  CHECK(notices[0].first);
  CHECK_FALSE(notices[1].first);
  CHECK(notices[0].holder_pid == holder);
  CHECK(test::wait_child(holder) == 0);
  CHECK(test::wait_child(releaser) == 0);
}

TEST_CASE("waiting for a blob's lock times out as a conflict", "[cache]") {
  test::TempDir dir;
  Layout layout = make_layout(dir);
  Digest digest = test::digest_of("held forever");
  test::Signal locked;
  pid_t holder = test::spawn([&] {
    auto lock = BlobLock::acquire(layout, digest, LockTiming{}, {});
    locked.notify();
    std::this_thread::sleep_for(30s);
    return 0;
  });
  REQUIRE(locked.wait());
  auto lock = BlobLock::acquire(layout, digest, LockTiming{50ms, 50ms, 200ms}, {});
  REQUIRE_FALSE(lock.has_value());
  CHECK(lock.error().kind() == ErrorKind::conflict);
  CHECK_THAT(lock.error().what(), Catch::Contains(digest.text()));
  auto tried = BlobLock::try_acquire(layout, digest);
  REQUIRE(tried.has_value());
  CHECK_FALSE(tried->has_value());
  ::kill(holder, SIGKILL);
  test::wait_child(holder);
  // The kernel released the dead holder's lock.
  auto after = BlobLock::try_acquire(layout, digest);
  REQUIRE(after.has_value());
  CHECK(after->has_value());
}

TEST_CASE("locks of different blobs never wait on each other", "[cache]") {
  test::TempDir dir;
  Layout layout = make_layout(dir);
  test::Signal locked;
  test::Signal release;
  pid_t holder = test::spawn([&] {
    auto lock = BlobLock::acquire(layout, test::digest_of("one"), LockTiming{}, {});
    locked.notify();
    release.wait();
    return 0;
  });
  REQUIRE(locked.wait());
  auto other = BlobLock::try_acquire(layout, test::digest_of("two"));
  REQUIRE(other.has_value());
  CHECK(other->has_value());
  release.notify();
  CHECK(test::wait_child(holder) == 0);
}

TEST_CASE("two locks on one blob exclude each other within one process too", "[cache]") {
  test::TempDir dir;
  Layout layout = make_layout(dir);
  Digest digest = test::digest_of("same process");
  {
    auto first = BlobLock::try_acquire(layout, digest);
    REQUIRE(first.has_value());
    REQUIRE(first->has_value());
    auto second = BlobLock::try_acquire(layout, digest);
    REQUIRE(second.has_value());
    CHECK_FALSE(second->has_value());
  }
  auto after = BlobLock::try_acquire(layout, digest);
  REQUIRE(after.has_value());
  CHECK(after->has_value());
}
