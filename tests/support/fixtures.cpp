#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

namespace sifkit::test {

std::string fixture(const std::string& relative) { return source_file("fixtures/" + relative); }

std::string source_file(const std::string& relative) {
  return std::string(SIFKIT_SOURCE_DIR) + "/" + relative;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    FAIL("cannot read " << path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fixture_bytes(const std::string& relative) { return file_bytes(fixture(relative)); }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "sifkit-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    FAIL("mkdtemp failed");
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::string TempDir::file(const std::string& name) const { return (m_path / name).string(); }

CommandResult run_command(const std::string& command) {
  TempDir dir;
  std::string out_path = dir.file("out");
  std::string err_path = dir.file("err");
  std::string full = command + " >" + out_path + " 2>" + err_path;
  int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = file_bytes(out_path);
  result.err = file_bytes(err_path);
  return result;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

void make_older(const std::string& path, std::chrono::seconds age) {
  struct timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - age.count(), 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

} // namespace sifkit::test
