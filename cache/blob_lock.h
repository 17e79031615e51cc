#pragma once

// Per-blob locks. Writers of different blobs never wait on each other; writers of the
// same blob take turns, and the ones that wait hear about it through a callback
// ("waiting for ..."), so a tool can tell its user.
//
// A blob's lock is a one-byte, open-file-description record lock (F_OFD_SETLK) on the
// file locks/<alg>.lock, at an offset taken from the digest's first 60 bits. The kernel
// drops it when its holder exits, however it exits, and taking it costs a few
// microseconds with no file to create or remove. Two digests share a lock only if their
// first 60 bits agree (about 1 in 10^18 for two random digests), and then only wait for
// each other; correctness never depends on the offsets being distinct.

#include <cache/layout.h>
#include <common/digest.h>
#include <common/error.h>
#include <common/unique_fd.h>

#include <chrono>
#include <functional>
#include <optional>

namespace sifkit::cache {

// What a waiting process is told: the blob, how long it has waited, and the pid of the
// process writing it when known (from the name of its temp file).
struct LockWait {
  Digest digest;
  std::chrono::seconds waited{0};
  std::optional<long> holder_pid;
  bool first = true; // true for the first notice, false for "still waiting" ones
};

using LockWaitCallback = std::function<void(const LockWait&)>;

struct LockTiming {
  std::chrono::milliseconds notice_after{3000};             // first callback after this long
  std::chrono::milliseconds notice_every{10000};            // then again at this interval
  std::chrono::milliseconds timeout{std::chrono::hours(1)}; // then give up
};

// An exclusive lock on one blob; released on destruction (or when the process dies).
// Two BlobLock objects on the same blob exclude each other even within one process.
class BlobLock {
public:
  // Waits until the lock of `digest` is ours, calling `on_wait` as `timing` says. Fails
  // with `conflict` after `timing.timeout`, `io` when the lock file cannot be used.
  static Result<BlobLock> acquire(const Layout& layout, const Digest& digest,
                                  const LockTiming& timing, const LockWaitCallback& on_wait);
  // Takes the lock only if it is free right now; nullopt when another holder has it.
  static Result<std::optional<BlobLock>> try_acquire(const Layout& layout, const Digest& digest);

  BlobLock(BlobLock&& other) noexcept = default;
  BlobLock& operator=(BlobLock&&) = delete;
  BlobLock(const BlobLock&) = delete;

  const Digest& digest() const { return m_digest; }

private:
  BlobLock(Digest digest, int fd) : m_digest(std::move(digest)), m_fd(fd) {}

  Digest m_digest;
  UniqueFd m_fd; // closing it releases the record lock
};

} // namespace sifkit::cache
