// The lifecycle commands' helper programs start clean: no signal ignored or blocked that
// the caller set, none of its descriptors but the ones handed on.
#include <runtime/launch/launch.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::runtime;

TEST_CASE("a captured helper program starts with default signals and no stray descriptors",
          "[runtime][process]") {
  auto old_alarm = ::signal(SIGALRM, SIG_IGN);
  int leaked = ::fcntl(STDERR_FILENO, F_DUPFD, 20); // not close-on-exec
  REQUIRE(leaked >= 20);
  std::string script = "grep '^SigIgn' /proc/self/status; [ -e /proc/self/fd/" +
                       std::to_string(leaked) + " ] && echo leaked; true";
  auto captured = runtime::run_captured({"/bin/sh", "-c", script});
  ::close(leaked);
  ::signal(SIGALRM, old_alarm);
  REQUIRE(captured);
  CHECK(captured->status == 0);
  CHECK(captured->out == "SigIgn:\t0000000000000000\n");
}

TEST_CASE("a foreground helper program gets the descriptors handed to it as numbered",
          "[runtime][process]") {
  int passed = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(passed >= 0);
  auto code =
      run_foreground({"/bin/sh", "-c", "[ -e /proc/self/fd/3 ] && exit 7"}, {PassedFd{passed, 3}});
  ::close(passed);
  REQUIRE(code);
  CHECK(*code == 7);
}

TEST_CASE("a detached helper program writes to its output file in a session of its own",
          "[runtime][process]") {
  char pattern[] = "/tmp/sifkit-detached-XXXXXX";
  int made = ::mkstemp(pattern);
  REQUIRE(made >= 0);
  ::close(made);
  auto child = spawn_detached(
      DetachedSpawn{{"/bin/sh", "-c", "echo \"$SIFKIT_DETACHED $(cut -d' ' -f6 /proc/$$/stat)\""},
                    pattern,
                    std::nullopt,
                    {"SIFKIT_DETACHED=yes"}});
  REQUIRE(child);
  pid_t pid = child->pid();
  auto status = child->wait();
  REQUIRE(status);
  CHECK(status->success());
  FILE* file = std::fopen(pattern, "r");
  REQUIRE(file != nullptr);
  char line[128] = {};
  REQUIRE(std::fgets(line, sizeof line, file) != nullptr);
  std::fclose(file);
  ::unlink(pattern);
  // The shell leads its own session: its session id is its pid.
  CHECK(std::string(line) == "yes " + std::to_string(pid) + "\n");
}
