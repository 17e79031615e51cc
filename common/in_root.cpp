#include <common/in_root.h>
#include <common/path_fd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sifkit {

namespace {

constexpr int k_max_links = 40; // the kernel's MAXSYMLINKS

std::string joined_name(const File& dir, std::string_view relative) {
  return dir.path() + "/" + std::string(relative);
}

// The components of `path` without empty ones and ".".
std::deque<std::string> components(std::string_view path) {
  std::deque<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") {
      parts.emplace_back(part);
    }
    start = end + 1;
  }
  return parts;
}

std::string absolute_from(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    out += "/" + part;
  }
  return out.empty() ? "/" : out;
}

// The target of the link `name` in directory `dir_fd`, or nullopt when `name` is no link
// (or does not exist: `exists` tells which).
Result<std::optional<std::string>> link_target(int dir_fd, const std::string& name, bool& exists) {
  std::string buffer(PATH_MAX, '\0');
  ssize_t n = ::readlinkat(dir_fd, name.c_str(), buffer.data(), buffer.size());
  if (n >= 0) {
    exists = true;
    buffer.resize(static_cast<std::size_t>(n));
    return std::optional<std::string>(std::move(buffer));
  }
  exists = errno != ENOENT && errno != ENOTDIR;
  if (errno == EINVAL || !exists) {
    return std::optional<std::string>();
  }
  return fail_errno("readlink " + name, errno);
}

} // namespace

int openat2_retrying(int dirfd, const char* path, std::uint64_t flags, std::uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  long fd = -1;
  do {
    fd = ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  return static_cast<int>(fd);
}

Result<File> open_directory(const std::string& path) {
  int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR) {
      return fail(ErrorKind::usage, path + " is not a directory");
    }
    return fail_errno("cannot open " + path, errno);
  }
  return File::adopt(fd, path);
}

Result<File> open_below(const File& dir, std::string_view relative, int flags, Resolve resolve) {
  std::string name = joined_name(dir, relative);
  std::string path(relative);
  while (!path.empty() && path.front() == '/') {
    path.erase(0, 1);
  }
  if (path.empty()) {
    path = ".";
  }
  int fd = openat2_retrying(
      dir.fd(), path.c_str(), static_cast<std::uint64_t>(flags | O_CLOEXEC),
      RESOLVE_NO_MAGICLINKS |
          (resolve == Resolve::in_root ? RESOLVE_IN_ROOT : RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
  if (fd < 0) {
    int error = errno;
    if (error == ELOOP && resolve == Resolve::no_links) {
      return fail(ErrorKind::corrupt_input, name + " is or lies under a symbolic link");
    }
    if (error == ELOOP) {
      return fail(ErrorKind::corrupt_input, name + ": too many levels of symbolic links");
    }
    if (error == EXDEV) {
      return fail(ErrorKind::corrupt_input, name + " leads out of " + dir.path());
    }
    return fail_errno("cannot open " + name, error);
  }
  return File::adopt(fd, std::move(name));
}

Result<std::string> read_file_below(const File& dir, std::string_view relative,
                                    std::size_t max_bytes, Resolve resolve) {
  SIFKIT_TRY_ASSIGN(auto file,
                    open_below(dir, relative, O_RDONLY | O_NONBLOCK | O_NOCTTY, resolve));
  return read_open_file(file, max_bytes);
}

Result<std::string> resolve_in_root(const File& root, std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return fail(ErrorKind::usage, "'" + std::string(path) + "' is not an absolute path");
  }
  std::deque<std::string> pending = components(path);
  std::vector<std::string> resolved;
  // The descriptors of the directories in `resolved`, so each step looks up one name in a
  // directory already opened without following links.
  std::vector<File> dirs;
  auto current_fd = [&] { return dirs.empty() ? root.fd() : dirs.back().fd(); };
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == "..") {
      if (!resolved.empty()) {
        resolved.pop_back();
        dirs.pop_back();
      }
      continue;
    }
    bool exists = false;
    SIFKIT_TRY_ASSIGN(auto target,
                      with_context(link_target(current_fd(), part, exists), root.path()));
    if (target) {
      if (++links > k_max_links) {
        return fail(ErrorKind::corrupt_input,
                    root.path() + std::string(path) + ": too many levels of symbolic links");
      }
      std::deque<std::string> more = components(*target);
      pending.insert(pending.begin(), more.begin(), more.end());
      if (target->starts_with('/')) {
        resolved.clear();
        dirs.clear();
      }
      continue;
    }
    int fd =
        exists ? ::openat(current_fd(), part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
               : -1;
    if (fd < 0) {
      // Not a directory that exists: what follows cannot be looked up, and is kept as
      // written (the runtime creates it).
      resolved.push_back(std::move(part));
      for (std::string& rest : pending) {
        if (rest != "..") {
          resolved.push_back(std::move(rest));
        } else if (!resolved.empty()) {
          resolved.pop_back();
        }
      }
      return absolute_from(resolved);
    }
    resolved.push_back(std::move(part));
    dirs.push_back(File::adopt(fd, root.path() + absolute_from(resolved)));
  }
  return absolute_from(resolved);
}

Result<std::string> descriptor_path(const File& file) {
  std::string link = fd_path(file.fd());
  std::string buffer(PATH_MAX, '\0');
  ssize_t n = ::readlink(link.c_str(), buffer.data(), buffer.size());
  if (n < 0) {
    return fail_errno("readlink " + link + " (" + file.path() + ")", errno);
  }
  if (static_cast<std::size_t>(n) >= buffer.size()) {
    return fail(ErrorKind::io, "the path of " + file.path() + " is too long");
  }
  buffer.resize(static_cast<std::size_t>(n));
  return buffer;
}

} // namespace sifkit
