// Children start clean (signals, descriptors), are waited for through signals, and never
// outlive an owner that forgot them.
#include <common/process.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace sifkit;

namespace {

// A line of /proc/self/status as the child saw it ("SigBlk:\t0000...").
std::string status_line(const std::string& status, const std::string& key) {
  auto start = status.find(key + ":");
  REQUIRE(start != std::string::npos);
  return status.substr(start, status.find('\n', start) - start);
}

// Whether the process `pid` is gone (no process, not even a zombie), asked until
// `deadline` passes.
bool gone_before(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  while (std::chrono::steady_clock::now() < deadline) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      return true;
    }
    std::this_thread::yield();
  }
  return false;
}

std::atomic<int> g_ticks{0};
int g_release_fd = -1;

// Interrupts the parent's wait a few times, then lets the child finish.
void tick(int) {
  if (++g_ticks == 3) {
    (void)::write(g_release_fd, "x\n", 2);
  }
}

} // namespace

TEST_CASE("a spawned program's exit status and signal come back from wait", "[common][process]") {
  auto ok = spawn({"/bin/true"});
  REQUIRE(ok);
  auto done = ok->wait();
  REQUIRE(done);
  CHECK(done->success());
  CHECK(ok->pid() == -1);

  auto three = spawn({"/bin/sh", "-c", "exit 3"});
  REQUIRE(three);
  auto status = three->wait();
  REQUIRE(status);
  CHECK(status->code() == 3);
  CHECK(status->describe() == "exited with status 3");

  auto killed = spawn({"/bin/sh", "-c", "kill -9 $$"});
  REQUIRE(killed);
  status = killed->wait();
  REQUIRE(status);
  CHECK(status->signal() == SIGKILL);
  CHECK(status->shell_code() == 128 + SIGKILL);
}

TEST_CASE("a program that does not exist fails to start, spawned or forked with a setup step",
          "[common][process]") {
  auto spawned = spawn({"/nonexistent/program"});
  REQUIRE_FALSE(spawned);
  CHECK(spawned.error().kind() == ErrorKind::not_found);
  SpawnOptions options;
  options.child_setup = [] { return 0; };
  auto forked = spawn({"/nonexistent/program"}, options);
  REQUIRE_FALSE(forked);
  CHECK(forked.error().kind() == ErrorKind::not_found);
}

TEST_CASE("a setup step that fails ends the forked child with its code", "[common][process]") {
  SpawnOptions options;
  options.child_setup = [] { return 42; };
  auto child = spawn({"/bin/true"}, options);
  REQUIRE(child);
  auto status = child->wait();
  REQUIRE(status);
  CHECK(status->code() == 42);
}

TEST_CASE("a dropped child is killed and reaped", "[common][process]") {
  pid_t pid = -1;
  {
    auto child = spawn({"/bin/sleep", "1000"});
    REQUIRE(child);
    pid = child->pid();
    REQUIRE(pid > 0);
  }
  CHECK(gone_before(pid, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  int status = 0;
  CHECK(::waitpid(pid, &status, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}

TEST_CASE("waiting for a child survives signals handled by the parent", "[common][process]") {
  auto input = make_pipe();
  REQUIRE(input);
  SpawnOptions options;
  options.in = Redirect::to(input->read.get());
  auto child = spawn({"/bin/sh", "-c", "read line"}, options);
  REQUIRE(child);
  input->read.reset();
  g_ticks = 0;
  g_release_fd = input->write.get();
  struct sigaction handler {};
  handler.sa_handler = tick; // no SA_RESTART: waitpid fails with EINTR on every tick
  struct sigaction previous {};
  REQUIRE(::sigaction(SIGALRM, &handler, &previous) == 0);
  itimerval every{{0, 20000}, {0, 20000}};
  itimerval off{};
  ::setitimer(ITIMER_REAL, &every, nullptr);
  auto status = child->wait();
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &previous, nullptr);
  REQUIRE(status);
  CHECK(status->success());
  CHECK(g_ticks >= 3);
}

TEST_CASE("a child starts with no blocked or ignored signals whatever the parent set",
          "[common][process]") {
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGUSR1);
  sigset_t original;
  ::pthread_sigmask(SIG_BLOCK, &blocked, &original);
  auto old_int = ::signal(SIGINT, SIG_IGN);
  auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
  SpawnOptions forked = capture_options();
  forked.child_setup = [] { return 0; };
  auto spawned = run_captured({"/bin/cat", "/proc/self/status"});
  auto through_fork = run_captured({"/bin/cat", "/proc/self/status"}, forked);
  ::signal(SIGINT, old_int);
  ::signal(SIGPIPE, old_pipe);
  ::pthread_sigmask(SIG_SETMASK, &original, nullptr);
  for (const auto* captured : {&spawned, &through_fork}) {
    REQUIRE(*captured);
    CHECK(status_line((*captured)->out, "SigBlk") == "SigBlk:\t0000000000000000");
    CHECK(status_line((*captured)->out, "SigIgn") == "SigIgn:\t0000000000000000");
  }
}

TEST_CASE("a child inherits only its streams and the descriptors passed to it",
          "[common][process][hostile]") {
  // Not close-on-exec, as a careless caller might leave one.
  int leaked = ::fcntl(STDERR_FILENO, F_DUPFD, 20);
  REQUIRE(leaked >= 20);
  int passed = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 30);
  REQUIRE(passed >= 30);
  std::string script = "[ ! -e /proc/self/fd/" + std::to_string(leaked) +
                       " ] && [ -e /proc/self/fd/7 ] && [ ! -e /proc/self/fd/" +
                       std::to_string(passed) + " ]";
  SpawnOptions options = capture_options();
  options.pass = {PassedFd{passed, 7}};
  auto spawned = run_captured({"/bin/sh", "-c", script}, options);
  options.child_setup = [] { return 0; };
  auto forked = run_captured({"/bin/sh", "-c", script}, options);
  ::close(leaked);
  ::close(passed);
  REQUIRE(spawned);
  CHECK(spawned->status.success());
  REQUIRE(forked);
  CHECK(forked->status.success());
}

TEST_CASE("descriptors passed onto each other's numbers each arrive where they were asked",
          "[common][process]") {
  test::TempDir dir;
  auto open_at = [&](const std::string& name, int at) {
    int fd = ::open(dir.file(name).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::dup3(fd, at, O_CLOEXEC) == at);
    ::close(fd);
  };
  open_at("a", 40);
  open_at("b", 41);
  // 40 goes on as 41 and 41 as 40; the caller's stdin (0) goes on as 42.
  SpawnOptions options = capture_options();
  options.in = Redirect::null();
  options.pass = {PassedFd{40, 41}, PassedFd{41, 40}, PassedFd{0, 42}};
  std::string script = "readlink /proc/self/fd/40 /proc/self/fd/41 /proc/self/fd/42";
  auto spawned = run_captured({"/bin/sh", "-c", script}, options);
  options.child_setup = [] { return 0; };
  auto forked = run_captured({"/bin/sh", "-c", script}, options);
  std::string stdin_target = std::filesystem::read_symlink("/proc/self/fd/0").string();
  ::close(40);
  ::close(41);
  std::string expected = dir.file("b") + "\n" + dir.file("a") + "\n" + stdin_target + "\n";
  for (auto* run : {&spawned, &forked}) {
    REQUIRE(*run);
    INFO((*run)->err);
    CHECK((*run)->status.success());
    CHECK((*run)->out == expected);
  }
}

TEST_CASE("captured output is split by stream and capped", "[common][process]") {
  auto both = run_captured({"/bin/sh", "-c", "echo out; echo err >&2; exit 5"});
  REQUIRE(both);
  CHECK(both->out == "out\n");
  CHECK(both->err == "err\n");
  CHECK(both->status.code() == 5);
  CHECK_FALSE(both->truncated);

  auto capped =
      run_captured({"/usr/bin/head", "-c", "200000", "/dev/zero"}, capture_options(), 1000);
  REQUIRE(capped);
  CHECK(capped->status.success()); // read to the end: the child never blocks on a full pipe
  CHECK(capped->out.size() == 1000);
  CHECK(capped->truncated);
}

TEST_CASE("a child gets the environment it is given", "[common][process]") {
  SpawnOptions options = capture_options();
  options.env = std::vector<std::string>{"ONLY=this"};
  auto captured = run_captured({"/usr/bin/env"}, options);
  REQUIRE(captured);
  CHECK(captured->out == "ONLY=this\n");
  auto added = environment_with({"SIFKIT_TEST_EXTRA=1"});
  CHECK(added.back() == "SIFKIT_TEST_EXTRA=1");
}

TEST_CASE("a captured stream is refused by spawn", "[common][process]") {
  auto refused = spawn({"/bin/true"}, capture_options());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind() == ErrorKind::usage);
}
