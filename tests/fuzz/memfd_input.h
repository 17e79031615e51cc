#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <unistd.h>

namespace sifkit::fuzz {

// Aborts (a finding for libFuzzer) when `cond` is false, naming it.
#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

// One in-memory file (memfd), rewritten for each run and opened by its /proc path exactly
// as a file on disk would be.
class MemfdInput {
public:
  MemfdInput() : m_fd(::memfd_create("fuzz.sif", MFD_CLOEXEC)) {
    FUZZ_CHECK(m_fd >= 0);
    m_path = "/proc/self/fd/" + std::to_string(m_fd);
  }

  const std::string& path() const { return m_path; }

  // Replaces the file's content with `bytes`.
  void set(std::string_view bytes) const {
    FUZZ_CHECK(::ftruncate(m_fd, 0) == 0);
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::pwrite(m_fd, bytes.data() + done, bytes.size() - done,
                           static_cast<off_t>(done));
      FUZZ_CHECK(n > 0);
      done += static_cast<std::size_t>(n);
    }
  }

private:
  int m_fd;
  std::string m_path;
};

} // namespace sifkit::fuzz
