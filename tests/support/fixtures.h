#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "support/skip.h"

namespace sifkit::test {

// Absolute path of `relative` under the project's fixtures/ directory.
std::string fixture(const std::string& relative);

// Absolute path of `relative` under the project's source directory (e.g. "scripts/x.sh").
std::string source_file(const std::string& relative);

// The bytes of fixture `relative`; fails the current test when unreadable.
std::string fixture_bytes(const std::string& relative);

// The bytes of any file `path`; fails the current test when unreadable.
std::string file_bytes(const std::string& path);

// A fresh directory removed (recursively) when the object is destroyed.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // `path()/name` as a string.
  std::string file(const std::string& name) const;

private:
  std::filesystem::path m_path;
};

// Runs `command` through /bin/sh, capturing stdout into `out` and the exit status.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::string& command);

// Single-quotes `text` for /bin/sh.
std::string shell_quote(const std::string& text);

// Path of the built tool `name` (e.g. "sif-inspect"). Linked into the integration test
// binary only (support/tools.cpp): unit tests never spawn the tools.
std::string tool(const std::string& name);

// Sets the mtime of `path` (not followed when a link) `age` into the past, as if it had
// been made that long ago; fails the test on error.
void make_older(const std::string& path, std::chrono::seconds age);

} // namespace sifkit::test
