// Run sessions against concurrent sweeps: a session is locked before any other process can
// see it, so a sweep never takes a live one; what killed processes leave between two
// steps (no lock yet, a removal cut short) is swept once it is old enough.
#include <common/file.h>
#include <common/lock_file.h>
#include <runtime/session/session.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <support/fixtures.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::runtime;
using namespace sifkit::test;
namespace fs = std::filesystem;

namespace {

// A child process that runs `sweep` over and over until `stop` exists.
template <typename Sweep>
pid_t start_sweeper(const std::string& stop, Sweep sweep) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    while (!fs::exists(stop)) {
      sweep();
    }
    ::_exit(0);
  }
  REQUIRE(pid > 0);
  return pid;
}

void stop_sweeper(const std::string& stop, pid_t pid) {
  REQUIRE(write_file_atomic(stop, "").has_value());
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
}

std::string session_path(const std::string& root, const std::string& entry) {
  return root + "/runs/" + entry;
}

} // namespace

TEST_CASE("a sweep racing the creation of run sessions never takes a live one",
          "[run][cleanup][hostile]") {
  TempDir dir;
  std::string root = dir.file("state");
  REQUIRE(make_private_dirs(root + "/runs").has_value());
  std::string stop = dir.file("stop");
  pid_t sweeper = start_sweeper(stop, [&] { (void)sweep_stale_runs(root); });

  constexpr int k_sessions = 2000;
  int failed = 0;
  int lost = 0;
  std::string first_error;
  for (int i = 0; i < k_sessions; ++i) {
    auto session = RunSession::create(root);
    if (!session) {
      ++failed;
      first_error = first_error.empty() ? session.error().what() : first_error;
      continue;
    }
    lost += fs::is_directory(session->rootfs()) ? 0 : 1;
    if (!session->remove()) {
      ++lost;
    }
  }
  stop_sweeper(stop, sweeper);
  INFO(first_error);
  CHECK(failed == 0);
  CHECK(lost == 0);
  CHECK(fs::is_empty(root + "/runs"));
}

TEST_CASE("a run session left without a lock is swept only once it is older than the minimum age",
          "[run][cleanup][hostile]") {
  TempDir dir;
  std::string root = dir.file("state");
  // A run killed between creating its directory and its lock (or a sweep killed after
  // removing the lock file) leaves this.
  std::string lockless = session_path(root, "sifkit-1-0badc0de");
  fs::create_directories(lockless + "/bundle/rootfs");

  auto young = sweep_stale_runs(root);
  REQUIRE(young.has_value());
  CHECK(young->sessions == 0);
  CHECK(fs::exists(lockless)); // its creator may still be making it

  make_older(lockless, k_sweep_min_age + std::chrono::seconds(5));
  auto old = sweep_stale_runs(root);
  REQUIRE(old.has_value());
  CHECK(old->sessions == 1);
  CHECK_FALSE(fs::exists(lockless));
  CHECK(fs::is_empty(root + "/runs"));
}

TEST_CASE("a sweep finishes removals that were cut short and leaves those still under way",
          "[run][cleanup][hostile]") {
  TempDir dir;
  std::string root = dir.file("state");
  // A sweep killed after it removed the lock file of a session it was removing.
  std::string cut_short = session_path(root, ".dead-sifkit-2-0badc0de.abc123");
  fs::create_directories(cut_short + "/bundle/rootfs");
  REQUIRE(write_file_atomic(cut_short + "/bundle/config.json", "{}").has_value());
  make_older(cut_short, k_sweep_min_age + std::chrono::seconds(5));
  // A removal under way: the remover holds the lock.
  std::string removing = session_path(root, ".dead-sifkit-3-0badc0de.def456");
  fs::create_directories(removing + "/bundle");
  auto remover = create_locked_file(removing, "lock");
  REQUIRE(remover.has_value());
  make_older(removing, k_sweep_min_age + std::chrono::seconds(5));
  // A session being created, its lock file there but not locked yet.
  std::string creating = session_path(root, ".new-sifkit-4-0badc0de.fed987");
  fs::create_directories(creating);
  REQUIRE(write_file_atomic(creating + "/lock", "").has_value());

  auto swept = sweep_stale_runs(root);
  REQUIRE(swept.has_value());
  CHECK(swept->sessions == 1);
  CHECK_FALSE(fs::exists(cut_short));
  CHECK(fs::exists(removing + "/bundle"));
  CHECK(fs::exists(creating + "/lock"));

  // Once old, a creation that never finished is garbage too.
  make_older(creating, k_sweep_min_age + std::chrono::seconds(5));
  auto later = sweep_stale_runs(root);
  REQUIRE(later.has_value());
  CHECK(later->sessions == 1);
  CHECK_FALSE(fs::exists(creating));
  CHECK(fs::exists(removing + "/bundle"));
}

TEST_CASE("a live run session is never swept however old, and its own removal leaves nothing",
          "[run][cleanup]") {
  TempDir dir;
  std::string root = dir.file("state");
  auto session = RunSession::create(root);
  REQUIRE(session.has_value());
  std::string id = session->id();
  CHECK(fs::path(session->dir()).filename() == id);
  CHECK(fs::exists(session->dir() + "/lock"));
  // A live session is never swept, however old.
  make_older(session->dir(), k_sweep_min_age * 10);
  auto swept = sweep_stale_runs(root);
  REQUIRE(swept.has_value());
  CHECK(swept->sessions == 0);
  CHECK(fs::is_directory(session->rootfs()));
  REQUIRE(session->remove().has_value());
  CHECK(fs::is_empty(root + "/runs"));
}
