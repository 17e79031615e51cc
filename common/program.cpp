#include "program.h"

#include <common/file.h>
#include <common/process.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit {

namespace {

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

} // namespace

std::string read_program_messages(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t got = 0;
  off_t offset = 0;
  while ((got = ::pread(fd, buffer, sizeof buffer, offset)) > 0 && text.size() < 16384) {
    text.append(buffer, static_cast<std::size_t>(got));
    offset += got;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

Result<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (is_executable(name)) {
      return name;
    }
    return fail(ErrorKind::not_found, name + " is not an executable file");
  }
  const char* path = std::getenv("PATH");
  std::string dirs =
      std::string(path != nullptr ? path : k_default_path) + ":" + k_system_program_dirs;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = std::min(dirs.find(':', start), dirs.size());
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty() && dir[0] == '/' && is_executable(dir + "/" + name)) {
      return dir + "/" + name;
    }
    start = end + 1;
  }
  return fail(ErrorKind::not_found,
              fmt::format("{} is not on PATH or in {}", name, k_system_program_dirs));
}

Result<void> run_program(const std::vector<std::string>& argv) {
  int log = ::memfd_create("program-stderr", MFD_CLOEXEC);
  if (log < 0) {
    return fail_errno("creating a buffer for " + argv[0] + "'s messages", errno);
  }
  File log_file = File::adopt(log, "program-stderr");
  SpawnOptions options;
  options.in = Redirect::null();
  options.out = Redirect::null();
  options.err = Redirect::to(log);
  SIFKIT_TRY_ASSIGN(auto status, run_to_exit(argv, options));
  if (status.success()) {
    return {};
  }
  std::string message = read_program_messages(log);
  return fail(ErrorKind::io, fmt::format("{} {}{}", argv[0], status.describe(),
                                         message.empty() ? "" : ": " + message));
}

} // namespace sifkit
