// Lock files and locked directories: nothing is visible before it is locked, a probe does
// not take a lock, and a sweep judges a directory by its lock and, without one, its age.
#include <common/file.h>
#include <common/lock_file.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <support/fixtures.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::test;
namespace fs = std::filesystem;

TEST_CASE("a lock file created locked is never found unlocked by another process",
          "[lock][hostile]") {
  TempDir dir;
  constexpr int k_files = 2000;
  std::string done = dir.file("done");
  std::fflush(nullptr);
  // The child takes every lock file it can find the moment it appears.
  pid_t prober = ::fork();
  if (prober == 0) {
    int taken = 0;
    while (!fs::exists(done)) {
      for (int i = 0; i < k_files; ++i) {
        auto lock = take_ofd_lock(dir.file("lock." + std::to_string(i)), false);
        taken += lock ? 1 : 0;
      }
    }
    ::_exit(std::min(taken, 100));
  }
  REQUIRE(prober > 0);
  std::vector<OfdLock> held;
  int failed = 0;
  for (int i = 0; i < k_files; ++i) {
    auto lock = create_locked_file(dir.path().string(), "lock." + std::to_string(i));
    if (lock) {
      held.push_back(std::move(*lock));
    } else {
      ++failed;
    }
  }
  REQUIRE(write_file_atomic(done, "").has_value());
  int status = 0;
  REQUIRE(::waitpid(prober, &status, 0) == prober);
  CHECK(failed == 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0); // locks the prober took from their creator
}

TEST_CASE("asking whether a lock is held does not take it", "[lock]") {
  TempDir dir;
  auto lock = create_locked_file(dir.path().string(), "lock");
  REQUIRE(lock.has_value());
  CHECK(ofd_lock_held(dir.file("lock")) == true);
  lock->reset();
  CHECK(ofd_lock_held(dir.file("lock")) == false);
  auto again = take_ofd_lock(dir.file("lock"), false);
  REQUIRE(again.has_value());
  CHECK(ofd_lock_held(dir.file("lock")) == true);
  again->reset();
  CHECK(ofd_lock_held(dir.file("lock")) == false);
  CHECK(ofd_lock_held(dir.file("missing")).error().kind() == ErrorKind::not_found);
}

TEST_CASE("a locked directory appears under its name with its lock held, and only once", "[lock]") {
  TempDir dir;
  std::string parent = dir.path().string();
  auto lock = create_locked_directory(parent, "session", "lock");
  REQUIRE(lock.has_value());
  CHECK(ofd_lock_held(dir.file("session/lock")) == true);
  auto twice = create_locked_directory(parent, "session", "lock");
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().kind() == ErrorKind::conflict);
  // Only the directory itself is left: no staging directory of the failed attempt.
  CHECK(std::distance(fs::directory_iterator(parent), fs::directory_iterator()) == 1);

  auto claim = claim_stale_directory(parent, "session", "lock");
  REQUIRE(claim.has_value());
  CHECK(claim->verdict == SweepVerdict::in_use);
  REQUIRE(remove_locked_directory(parent, "session", "lock", std::move(*lock)).has_value());
  CHECK(fs::is_empty(parent));
}

TEST_CASE("a locked directory with a mount in it is never removed through the mount",
          "[lock][root]") {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "mounting a tmpfs needs root");
    return;
  }
  TempDir dir;
  std::string parent = fs::canonical(dir.path()).string();
  auto lock = create_locked_directory(parent, "session", "lock");
  REQUIRE(lock.has_value());
  fs::create_directories(parent + "/session/layers/0");
  REQUIRE(::mount("tmpfs", (parent + "/session/layers/0").c_str(), "tmpfs", 0, "size=1m") == 0);
  write_file_atomic(parent + "/session/layers/0/keep", "x");
  auto removed = remove_locked_directory(parent, "session", "lock", std::move(*lock));
  bool kept = fs::exists(parent + "/session/layers/0/keep");
  ::umount2((parent + "/session/layers/0").c_str(), MNT_DETACH);
  REQUIRE_FALSE(removed.has_value());
  CHECK(removed.error().kind() == ErrorKind::conflict);
  CHECK(kept);
}

TEST_CASE("a sweep claims a free lock at once and a missing one only after the minimum age",
          "[lock]") {
  TempDir dir;
  std::string parent = dir.path().string();
  fs::create_directory(dir.file("dead"));
  REQUIRE(write_file_atomic(dir.file("dead/lock"), "").has_value());
  fs::create_directory(dir.file("lockless"));
  fs::create_directory(dir.file(".new-creating.abc123"));
  REQUIRE(write_file_atomic(dir.file(".new-creating.abc123/lock"), "").has_value());

  auto dead = claim_stale_directory(parent, "dead", "lock");
  REQUIRE(dead.has_value());
  CHECK(dead->verdict == SweepVerdict::stale);
  CHECK(dead->stage == DirectoryStage::ready);
  CHECK(claim_stale_directory(parent, "lockless", "lock")->verdict == SweepVerdict::in_use);
  CHECK(claim_stale_directory(parent, ".new-creating.abc123", "lock")->verdict ==
        SweepVerdict::in_use);
  CHECK(claim_stale_directory(parent, "missing", "lock")->verdict == SweepVerdict::absent);

  make_older(dir.file("lockless"), k_sweep_min_age + std::chrono::seconds(1));
  auto lockless = claim_stale_directory(parent, "lockless", "lock");
  REQUIRE(lockless.has_value());
  CHECK(lockless->verdict == SweepVerdict::stale);
  // The sweep made a lock of its own in it: a second sweep keeps out.
  CHECK(claim_stale_directory(parent, "lockless", "lock")->verdict == SweepVerdict::in_use);
  REQUIRE(
      remove_locked_directory(parent, "lockless", "lock", std::move(lockless->lock)).has_value());
  CHECK_FALSE(fs::exists(dir.file("lockless")));

  make_older(dir.file(".new-creating.abc123"), k_sweep_min_age + std::chrono::seconds(1));
  auto creating = claim_stale_directory(parent, ".new-creating.abc123", "lock");
  REQUIRE(creating.has_value());
  CHECK(creating->verdict == SweepVerdict::stale);
  CHECK(creating->stage == DirectoryStage::creating);
}

TEST_CASE("the names of directories being created or removed tell what they were made for",
          "[lock]") {
  CHECK(staged_name(".dead-work-convert.0badc0de.abc123").name == "work-convert.0badc0de");
  CHECK(staged_name(".dead-work-convert.0badc0de.abc123").stage == DirectoryStage::removing);
  CHECK(staged_name(".new-sifkit-1-2.abc123").name == "sifkit-1-2");
  CHECK(staged_name(".new-sifkit-1-2.abc123").stage == DirectoryStage::creating);
  CHECK(staged_name("sifkit-1-2").name == "sifkit-1-2");
  CHECK(staged_name("sifkit-1-2").stage == DirectoryStage::ready);
}
