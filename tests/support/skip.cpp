#include "support/skip.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>

namespace sifkit::test {

namespace {

int g_skips = 0;

bool strict_run() {
  const char* value = std::getenv("SIFKIT_STRICT_SKIPS");
  return value != nullptr && std::string_view(value) == "1";
}

std::string_view lack_name(Lack lack) {
  switch (lack) {
  case Lack::root: return "root";
  case Lack::program: return "program";
  case Lack::account: return "account";
  case Lack::runtime: return "runtime";
  case Lack::fuse: return "fuse";
  case Lack::host: return "host";
  }
  return "?";
}

// One line per skip, appended with a single write so that parallel cases do not mix lines.
void log_skip(Lack lack, const std::string& reason) {
  const char* path = std::getenv("SIFKIT_SKIP_LOG");
  if (path == nullptr || *path == '\0') {
    return;
  }
  std::string flat = reason;
  for (char& c : flat) {
    if (c == '\n' || c == '\t') {
      c = ' ';
    }
  }
  std::string line = Catch::getResultCapture().getCurrentTestName() + "\t" +
                     std::string(lack_name(lack)) + "\t" + flat + "\n";
  int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return;
  }
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

} // namespace

void skip(Lack lack, const std::string& reason) {
  if (strict_run() && lack != Lack::host) {
    FAIL("SKIPPED in a strict run (this machine has root, crun, runc and FUSE; "
         "scripts/setup.sh provides the rest): "
         << reason);
  }
  ++g_skips;
  WARN("SKIPPED: " << reason);
  log_skip(lack, reason);
}

int skip_count() {
  return g_skips;
}

} // namespace sifkit::test
