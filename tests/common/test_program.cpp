// Finding programs: $PATH, one fixed default when it is unset, the system directories
// after it, never a relative entry.
#include <common/program.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <support/fixtures.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::test;

namespace {

// Sets $PATH to `value` (unset when nullopt) for the object's life.
class PathOverride {
public:
  explicit PathOverride(const std::optional<std::string>& value) {
    const char* old = std::getenv("PATH");
    if (old != nullptr) {
      m_old = old;
    }
    if (value) {
      ::setenv("PATH", value->c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }
  ~PathOverride() {
    if (m_old) {
      ::setenv("PATH", m_old->c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }
  PathOverride(const PathOverride&) = delete;
  PathOverride& operator=(const PathOverride&) = delete;

private:
  std::optional<std::string> m_old;
};

void make_program(const std::string& path) {
  std::ofstream(path) << "#!/bin/sh\n";
  ::chmod(path.c_str(), 0755);
}

} // namespace

TEST_CASE("a program is found on PATH, in the system directories after it, or not at all",
          "[common][process]") {
  TempDir dir;
  std::filesystem::create_directory(dir.file("bin"));
  make_program(dir.file("bin/sifkit-test-tool"));
  std::filesystem::create_directory(dir.file("bin/sifkit-test-dir"));
  {
    PathOverride path(dir.file("bin"));
    CHECK(find_program("sifkit-test-tool") == dir.file("bin/sifkit-test-tool"));
    for (const char* absent : {"sifkit-test-dir", "sifkit-test-missing"}) {
      auto found = find_program(absent);
      REQUIRE_FALSE(found);
      CHECK(found.error().kind() == ErrorKind::not_found);
    }
    // /sbin and /usr/sbin are searched after PATH.
    auto ldconfig = find_program("ldconfig");
    CHECK((ldconfig && ldconfig->find("sbin/ldconfig") != std::string::npos));
  }
  {
    PathOverride unset(std::nullopt);
    CHECK(find_program("sh"));
  }
  CHECK(find_program(dir.file("bin/sifkit-test-tool")) == dir.file("bin/sifkit-test-tool"));
}

TEST_CASE("a relative PATH entry is never searched", "[common][process][hostile]") {
  TempDir dir;
  make_program(dir.file("sifkit-planted"));
  auto here = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  PathOverride path(std::string(".:bin"));
  auto found = find_program("sifkit-planted");
  std::filesystem::current_path(here);
  CHECK_FALSE(found);
}

TEST_CASE("a system program runs with no signal blocked and none of the caller's descriptors",
          "[common][process]") {
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigset_t original;
  ::pthread_sigmask(SIG_BLOCK, &blocked, &original);
  int leaked = ::fcntl(STDERR_FILENO, F_DUPFD, 20); // not close-on-exec
  REQUIRE(leaked >= 20);
  std::string script = "grep -q '^SigBlk:[[:space:]]*0*$' /proc/self/status && [ ! -e "
                       "/proc/self/fd/" +
                       std::to_string(leaked) + " ]";
  auto ran = run_program({"/bin/sh", "-c", script});
  ::close(leaked);
  ::pthread_sigmask(SIG_SETMASK, &original, nullptr);
  CHECK(ran);
}

TEST_CASE("a system program's failure carries its own words", "[common][process]") {
  auto ran = run_program({"/bin/sh", "-c", "echo 'no space left' >&2; exit 4"});
  REQUIRE_FALSE(ran);
  CHECK(ran.error().kind() == ErrorKind::io);
  CHECK(ran.error().message() == "/bin/sh exited with status 4: no space left");
}
