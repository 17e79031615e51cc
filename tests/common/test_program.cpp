// Finding programs: $PATH, one fixed default when it is unset, the system directories
// after it, never a relative entry.
#include <common/program.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <catch2/catch.hpp>
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
