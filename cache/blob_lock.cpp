#include <cache/blob_lock.h>
#include <cache/directory.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace sifkit::cache {

namespace {

using Clock = std::chrono::steady_clock;

// The byte of the lock file that stands for `digest`: its first 15 hex digits.
off_t lock_offset(const Digest& digest) {
  std::uint64_t value = 0;
  std::from_chars(digest.hex().data(), digest.hex().data() + 15, value, 16);
  return static_cast<off_t>(value);
}

Result<int> open_lock_file(const Layout& layout, const Digest& digest) {
  std::string path = layout.lock_file(digest.algorithm());
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail_errno("cannot open lock file " + path, errno);
  }
  return fd;
}

// Tries once; true when the lock is now held through `fd`.
Result<bool> try_lock(int fd, const Digest& digest, const Layout& layout) {
  struct flock range {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  range.l_start = lock_offset(digest);
  range.l_len = 1;
  while (::fcntl(fd, F_OFD_SETLK, &range) != 0) {
    if (errno == EAGAIN || errno == EACCES) {
      return false;
    }
    if (errno != EINTR) {
      return fail_errno(
          "cannot lock " + digest.text() + " in " + layout.lock_file(digest.algorithm()), errno);
    }
  }
  return true;
}

// The pid in the name of a temp file of `digest` (`sha256-<hex>.<pid>.<random>`), if a
// writer has one: record locks do not say who holds them.
std::optional<long> writer_pid(const Layout& layout, const Digest& digest) {
  auto names = list_directory(layout.temp_directory());
  std::string prefix = std::string(to_string(digest.algorithm())) + "-" + digest.hex() + ".";
  for (const std::string& name : names ? *names : std::vector<std::string>()) {
    if (name.starts_with(prefix)) {
      long pid = 0;
      const char* begin = name.data() + prefix.size();
      if (std::from_chars(begin, name.data() + name.size(), pid).ec == std::errc()) {
        return pid;
      }
    }
  }
  return std::nullopt;
}

} // namespace

Result<BlobLock> BlobLock::acquire(const Layout& layout, const Digest& digest,
                                   const LockTiming& timing, const LockWaitCallback& on_wait) {
  SIFKIT_TRY_ASSIGN(auto fd, open_lock_file(layout, digest));
  BlobLock lock(digest, fd); // closes the descriptor on every early return
  const auto started = Clock::now();
  auto next_notice = started + timing.notice_after;
  bool noticed = false;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto held, try_lock(fd, digest, layout));
    if (held) {
      return lock;
    }
    auto now = Clock::now();
    if (now - started >= timing.timeout) {
      return fail(
          ErrorKind::conflict,
          "timed out after " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(timing.timeout).count()) +
              " s waiting for another process to finish with " + digest.text());
    }
    if (now >= next_notice && on_wait) {
      on_wait(LockWait{digest, std::chrono::duration_cast<std::chrono::seconds>(now - started),
                       writer_pid(layout, digest), !noticed});
      noticed = true;
      next_notice = now + timing.notice_every;
    }
    // Poll with a growing pause: F_OFD_SETLKW has no timeout, and a waiter usually waits
    // for a whole download, so up to 50 ms of extra latency is fine.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

Result<std::optional<BlobLock>> BlobLock::try_acquire(const Layout& layout, const Digest& digest) {
  SIFKIT_TRY_ASSIGN(auto fd, open_lock_file(layout, digest));
  BlobLock lock(digest, fd);
  SIFKIT_TRY_ASSIGN(auto held, try_lock(fd, digest, layout));
  return held ? std::optional<BlobLock>(std::move(lock)) : std::nullopt;
}

} // namespace sifkit::cache
