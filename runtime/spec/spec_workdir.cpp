#include <common/in_root.h>
#include <runtime/spec/spec_parts.h>

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace sifkit::runtime::detail {

namespace {

Result<struct stat> stat_of(const File& file) {
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0) {
    return fail_errno("cannot stat " + file.path(), errno);
  }
  return st;
}

// Root binds what it finds under the directory into the container, and chmods it: another
// user who could rename entries in it could swap them after they were checked.
Result<void> check_root_workdir(const File& dir) {
  SIFKIT_TRY_ASSIGN(auto st, stat_of(dir));
  if (st.st_uid != 0 && st.st_uid != ::getuid()) {
    return fail(ErrorKind::usage,
                fmt::format("--workdir {} is owned by uid {}, not by root", dir.path(), st.st_uid));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return fail(ErrorKind::usage,
                fmt::format("--workdir {} can be written by other users (mode {:o}) and has "
                            "no sticky bit",
                            dir.path(), st.st_mode & 07777));
  }
  return {};
}

// Makes (when missing) and opens the directory `name` in `parent`, never following a link;
// `usage` when it is something else or belongs to another user.
Result<File> make_subdir(const File& parent, const std::string& name) {
  if (::mkdirat(parent.fd(), name.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail_errno(fmt::format("creating {}/{}", parent.path(), name), errno);
  }
  auto dir = open_below(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, Resolve::no_links);
  if (!dir) {
    return fail(ErrorKind::usage,
                fmt::format("{} (a --workdir directory must be a real directory, not "
                            "a symbolic link or another file)",
                            dir.error().what()));
  }
  SIFKIT_TRY_ASSIGN(auto st, stat_of(*dir));
  if (st.st_uid != ::geteuid()) {
    return fail(ErrorKind::usage, fmt::format("{} belongs to uid {}, not to this run's uid {}",
                                              dir->path(), st.st_uid, ::geteuid()));
  }
  return std::move(*dir);
}

} // namespace

Result<File> open_workdir(const SpecInputs& inputs) {
  const std::string& path = *inputs.options->workdir;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) {
    return fail(ErrorKind::io, fmt::format("creating {}: {}", path, ec.message()));
  }
  auto dir = open_directory(path);
  if (!dir) {
    return std::unexpected(dir.error());
  }
  if (inputs.host->uid == 0) {
    SIFKIT_TRY(check_root_workdir(*dir));
  }
  return dir;
}

Result<std::string> workdir_subdir(const File& workdir, const std::string& relative, mode_t mode) {
  std::vector<File> opened;
  for (const fs::path& part : fs::path(relative)) {
    std::string name = part.string();
    if (name.empty() || name == "/" || name == ".") {
      continue;
    }
    if (name == "..") {
      return fail(ErrorKind::usage, fmt::format("'{}' leads out of the --workdir", relative));
    }
    SIFKIT_TRY_ASSIGN(auto dir, make_subdir(opened.empty() ? workdir : opened.back(), name));
    opened.push_back(std::move(dir));
  }
  if (opened.empty()) {
    return fail(ErrorKind::internal, "no --workdir subdirectory named");
  }
  if (::fchmod(opened.back().fd(), mode) != 0) {
    return fail_errno(fmt::format("chmod {}", opened.back().path()), errno);
  }
  // The path of the directory just checked, whatever the names on the way say.
  return descriptor_path(opened.back());
}

} // namespace sifkit::runtime::detail
