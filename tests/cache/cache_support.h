#pragma once

// Helpers shared by the cache tests: blobs made from strings, caches with short lock
// timings, and child processes (fork) that run a function and report through their
// exit status. Children open their own Cache: SQLite handles never cross fork().

#include <cache/cache.h>
#include <common/digest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace sifkit::test {

// The digest of `content`.
inline Digest digest_of(const std::string& content) { return Digest::of(content); }

// A seed for randomised tests: $SIFKIT_TEST_SEED when set (to replay a failure), else a
// fresh one. Printed with `what`, so every run can be reproduced.
inline unsigned test_seed(const char* what) {
  const char* fixed = std::getenv("SIFKIT_TEST_SEED");
  unsigned seed = fixed != nullptr ? static_cast<unsigned>(std::strtoul(fixed, nullptr, 10))
                                   : std::random_device{}();
  std::printf("%s: seed %u (set SIFKIT_TEST_SEED=%u to replay)\n", what, seed, seed);
  return seed;
}

// Options for tests: quick lock notices, no waiting forever.
inline cache::CacheOptions test_options() {
  cache::CacheOptions options;
  options.lock_timing.notice_after = std::chrono::milliseconds(200);
  options.lock_timing.notice_every = std::chrono::milliseconds(200);
  options.lock_timing.timeout = std::chrono::seconds(60);
  return options;
}

// Opens the cache at `root`; fails the test when it cannot.
inline cache::Cache open_cache(const std::string& root,
                               cache::CacheOptions options = test_options()) {
  auto cache = cache::Cache::open(root, std::move(options));
  if (!cache) {
    FAIL("cannot open cache " << root << ": " << cache.error().what());
  }
  return std::move(*cache);
}

// Stores `content` with `media_type`; fails the test when it cannot.
inline cache::PutResult put_text(cache::Cache& cache, const std::string& content,
                                 const std::string& media_type = "") {
  auto put = cache.put(digest_of(content), source_from_string(content),
                       cache::BlobInfo{static_cast<std::int64_t>(content.size()), media_type});
  if (!put) {
    FAIL("put failed: " << put.error().what());
  }
  return *put;
}

// Runs `body` in a forked child whose exit status is its return value (an uncaught
// failure exits 99). The child never returns into Catch.
inline pid_t spawn(const std::function<int()>& body) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (...) {
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  REQUIRE(pid > 0);
  return pid;
}

// Waits for child `pid`; returns its exit code, or -signal when a signal killed it.
inline int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// Polls `condition` every few milliseconds for up to `limit`; true when it held.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

// A pipe a child writes one byte to when it reached a point the parent waits for.
class Signal {
public:
  Signal() { REQUIRE(::pipe(m_fds) == 0); }
  ~Signal() {
    for (int fd : m_fds) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;
  void notify() { (void)!::write(m_fds[1], "x", 1); }
  // Waits for one notification; false when the notifying process exited first. Closes
  // this process's writing end, so call it only on the waiting side.
  bool wait() {
    if (m_fds[1] >= 0) {
      ::close(m_fds[1]);
      m_fds[1] = -1;
    }
    char byte = 0;
    return ::read(m_fds[0], &byte, 1) == 1;
  }

private:
  int m_fds[2] = {-1, -1};
};

} // namespace sifkit::test
