#include "lock_file.h"

#include <common/mountinfo.h>

#include <cerrno>
#include <filesystem>
#include <random>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit {

namespace {

constexpr std::string_view k_creating_prefix = ".new-";
constexpr std::string_view k_removing_prefix = ".dead-";
constexpr int k_rename_attempts = 16;

enum class LockAttempt { taken, held_elsewhere, failed };

LockAttempt try_write_lock(int fd) {
  struct flock range {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  if (::fcntl(fd, F_OFD_SETLK, &range) == 0) {
    return LockAttempt::taken;
  }
  return errno == EAGAIN || errno == EACCES ? LockAttempt::held_elsewhere : LockAttempt::failed;
}

std::string random_suffix() {
  thread_local std::mt19937 random{std::random_device{}()};
  return fmt::format("{:06x}", random() & 0xffffff);
}

// rename(2) that never replaces `to`: EEXIST when it exists. Filesystems without
// RENAME_NOREPLACE get a plain rename, which replaces only an empty directory (ours never
// are: they hold their lock file).
int rename_no_replace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return 0;
  }
  if (errno != EINVAL && errno != ENOSYS) {
    return errno;
  }
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

// The fallback of create_locked_file: the name exists for a moment before the lock, which
// the sweeps tolerate by leaving young directories alone.
Result<OfdLock> create_then_lock(const std::string& path) {
  OfdLock lock(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock.held()) {
    if (errno == EEXIST) {
      return fail(ErrorKind::conflict, path + " exists");
    }
    return fail_errno("creating " + path, errno);
  }
  switch (try_write_lock(lock.fd())) {
  case LockAttempt::taken:
    return lock;
  case LockAttempt::held_elsewhere:
    return fail(ErrorKind::conflict, path + " was locked by another process first");
  case LockAttempt::failed:
    break;
  }
  return fail_errno("locking " + path, errno);
}

bool older_than(const struct stat& st, std::chrono::seconds age) {
  auto mtime = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec);
  return std::chrono::system_clock::now() - mtime >= age;
}

// Removes everything in `dir` but `lock`, then `lock`, then `dir`; ENOENT anywhere is
// someone else's removal of the same thing.
Result<void> remove_lock_last(const std::string& dir, const std::string& lock) {
  std::error_code error;
  std::vector<std::filesystem::path> entries;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().filename() != lock) {
      entries.push_back(entry.path());
    }
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    return fail(ErrorKind::io, "reading " + dir + ": " + error.message());
  }
  for (const auto& entry : entries) {
    std::filesystem::remove_all(entry, error);
    if (error && error != std::errc::no_such_file_or_directory) {
      return fail(ErrorKind::io, "removing " + entry.string() + ": " + error.message());
    }
  }
  std::string lock_path = dir + "/" + lock;
  if (::unlink(lock_path.c_str()) != 0 && errno != ENOENT) {
    return fail_errno("removing " + lock_path, errno);
  }
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    return fail_errno("removing " + dir, errno);
  }
  return {};
}

} // namespace

Result<OfdLock> create_locked_file(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  OfdLock lock(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!lock.held()) {
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
      return create_then_lock(path);
    }
    return fail_errno("creating a file in " + dir, errno);
  }
  if (try_write_lock(lock.fd()) != LockAttempt::taken) {
    return fail_errno("locking a new file in " + dir, errno);
  }
  // linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the /proc link does not.
  std::string self = fmt::format("/proc/self/fd/{}", lock.fd());
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) {
    return lock;
  }
  int error = errno;
  if (error == EEXIST) {
    return fail(ErrorKind::conflict, path + " exists");
  }
  if (error == ENOENT && ::access("/proc/self/fd", F_OK) != 0) {
    return create_then_lock(path); // no /proc mounted here
  }
  return fail_errno("creating " + path, error);
}

Result<bool> ofd_lock_held(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    return fail_errno("opening " + path, errno);
  }
  struct flock range {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  int asked = ::fcntl(fd.get(), F_OFD_GETLK, &range);
  int error = errno;
  if (asked != 0) {
    return fail_errno("asking for the lock on " + path, error);
  }
  return range.l_type != F_UNLCK;
}

Result<OfdLock> create_locked_directory(const std::string& parent, const std::string& name,
                                        const std::string& lock) {
  std::string pattern = parent + "/" + std::string(k_creating_prefix) + name + ".XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return fail_errno("creating a directory in " + parent, errno);
  }
  std::string staging(buffer.data());
  auto held = create_locked_file(staging, lock);
  std::string target = parent + "/" + name;
  int renamed = held ? rename_no_replace(staging, target) : 0;
  if (held && renamed == 0) {
    return held;
  }
  std::error_code ignored;
  std::filesystem::remove_all(staging, ignored);
  if (!held) {
    return std::unexpected(held.error());
  }
  if (renamed == EEXIST || renamed == ENOTEMPTY) {
    return fail(ErrorKind::conflict, target + " exists");
  }
  return fail_errno("renaming " + staging + " to " + target, renamed);
}

StagedName staged_name(std::string_view entry) {
  for (auto [prefix, stage] : {std::pair{k_creating_prefix, DirectoryStage::creating},
                               std::pair{k_removing_prefix, DirectoryStage::removing}}) {
    if (entry.starts_with(prefix)) {
      std::string_view rest = entry.substr(prefix.size());
      return {stage, std::string(rest.substr(0, rest.rfind('.')))};
    }
  }
  return {DirectoryStage::ready, std::string(entry)};
}

Result<SweepClaim> claim_stale_directory(const std::string& parent, const std::string& entry,
                                         const std::string& lock, std::chrono::seconds min_age) {
  SweepClaim claim;
  claim.stage = staged_name(entry).stage;
  std::string path = parent + "/" + entry;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return claim;
    }
    return fail_errno("reading " + path, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return claim;
  }
  claim.verdict = SweepVerdict::in_use;
  bool young = !older_than(st, min_age);
  // Without O_TMPFILE a creator's lock file exists unlocked for a moment.
  if (claim.stage == DirectoryStage::creating && young) {
    return claim;
  }
  std::string lock_path = path + "/" + lock;
  OfdLock found(::open(lock_path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (found.held()) {
    struct stat file {};
    if (try_write_lock(found.fd()) != LockAttempt::taken || ::fstat(found.fd(), &file) != 0 ||
        file.st_nlink == 0) {
      return claim; // a live owner, or a sweep that is removing it right now
    }
    claim.verdict = SweepVerdict::stale;
    claim.lock = std::move(found);
    return claim;
  }
  if (errno != ENOENT) {
    return claim; // not a lock file of ours (a link, a directory): leave it
  }
  if (young) {
    return claim;
  }
  // Lockless and old: its creator, owner or sweeper was killed between two steps. A lock
  // of our own decides between concurrent sweeps.
  auto created = create_locked_file(path, lock);
  if (created) {
    claim.verdict = SweepVerdict::stale;
    claim.lock = std::move(*created);
  } else if (created.error().kind() == ErrorKind::not_found) {
    claim.verdict = SweepVerdict::absent;
  } else if (created.error().kind() != ErrorKind::conflict) {
    return std::unexpected(created.error());
  }
  return claim;
}

Result<void> remove_locked_directory(const std::string& parent, const std::string& entry,
                                     const std::string& lock, OfdLock held) {
  StagedName named = staged_name(entry);
  std::string path = parent + "/" + entry;
  SIFKIT_TRY_ASSIGN(bool mounted, has_mount_at_or_below(path));
  if (mounted) {
    return fail(ErrorKind::conflict,
                "not removing " + path + ": something is still mounted in it");
  }
  if (named.stage != DirectoryStage::removing) {
    std::string grave;
    int renamed = EEXIST;
    for (int attempt = 0; attempt < k_rename_attempts && renamed == EEXIST; ++attempt) {
      grave = parent + "/" + std::string(k_removing_prefix) + named.name + "." + random_suffix();
      renamed = rename_no_replace(path, grave);
    }
    if (renamed == ENOENT) {
      return {};
    }
    if (renamed != 0) {
      return fail_errno("renaming " + path + " for removal", renamed);
    }
    path = grave;
  }
  auto removed = remove_lock_last(path, lock);
  held.reset(); // only now: a sweep that finds the lock free finds nothing left to remove
  return removed;
}

} // namespace sifkit
