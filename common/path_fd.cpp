#include "path_fd.h"

#include <common/in_root.h>

#include <array>
#include <cerrno>
#include <cstdint>

#include <fcntl.h>
#include <linux/openat2.h>
#include <unistd.h>

namespace sifkit {

namespace {

// openat2 of the directory `name` from `dirfd` with `resolve`; `shown` names it.
Result<File> open_directory_how(int dirfd, const std::string& name, std::uint64_t resolve,
                                const std::string& shown, ErrorKind refusal) {
  int fd =
      openat2_retrying(dirfd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, resolve);
  if (fd < 0) {
    int saved = errno;
    if (saved == ELOOP || saved == ENOTDIR || saved == EXDEV) {
      return fail(refusal, shown + " is a symbolic link, not a directory, or on another mount "
                                   "(refused: it must be a real directory)");
    }
    return fail_errno("opening " + shown, saved);
  }
  return File::adopt(fd, shown);
}

} // namespace

Result<File> open_directory_nofollow(const std::string& path) {
  int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int saved = errno;
    if (saved == ELOOP || saved == ENOTDIR) {
      return fail(ErrorKind::usage, path + " is a symbolic link or not a directory (refused)");
    }
    return fail_errno("opening " + path, saved);
  }
  return File::adopt(fd, path);
}

Result<File> open_directory_beneath(const File& root, const std::string& name, ErrorKind refusal) {
  return open_directory_how(root.fd(), name,
                            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV,
                            root.path() + "/" + name, refusal);
}

Result<File> open_directory_without_links(const std::string& path, ErrorKind refusal) {
  return open_directory_how(AT_FDCWD, path, RESOLVE_NO_SYMLINKS, path, refusal);
}

Result<void> make_directory_in(const File& root, const std::string& name, mode_t mode) {
  if (::mkdirat(root.fd(), name.c_str(), mode) != 0 && errno != EEXIST) {
    return fail_errno("creating " + root.path() + "/" + name, errno);
  }
  return {};
}

Result<struct stat> stat_of(const File& file) {
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0) {
    return fail_errno("reading the status of " + file.path(), errno);
  }
  return st;
}

Result<void> require_own_directory(const File& dir, const std::string& what) {
  SIFKIT_TRY_ASSIGN(auto st, stat_of(dir));
  uid_t caller = ::getuid();
  if (st.st_uid != caller) {
    return fail(ErrorKind::usage, what + " " + dir.path() + " belongs to uid " +
                                      std::to_string(st.st_uid) + ", not to the caller (uid " +
                                      std::to_string(caller) +
                                      "): only a directory of one's own is used");
  }
  return {};
}

std::string fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

} // namespace sifkit
