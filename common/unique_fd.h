#pragma once

// One owner for a file descriptor: closed when the owner goes, never twice.
#include <common/error.h>

#include <utility>

namespace sifkit {

// Owns the descriptor it holds and closes it on destruction or reset. Move-only; -1 when
// empty. Not thread-safe.
class UniqueFd {
public:
  UniqueFd() = default;
  // Takes ownership of `fd` (-1 for none).
  explicit UniqueFd(int fd) noexcept : m_fd(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  // The descriptor, still owned; -1 when empty.
  int get() const { return m_fd; }
  // Whether a descriptor is held.
  bool valid() const { return m_fd >= 0; }
  explicit operator bool() const { return valid(); }
  // Hands the descriptor to the caller, leaving this empty.
  int release() noexcept { return std::exchange(m_fd, -1); }
  // Closes the held descriptor (errors ignored: the descriptor is gone either way) and
  // takes `fd` instead.
  void reset(int fd = -1) noexcept;

private:
  int m_fd = -1;
};

// The two ends of a pipe.
struct PipeEnds {
  UniqueFd read;
  UniqueFd write;
};

// A close-on-exec pipe (pipe2 O_CLOEXEC); `io` with the system's reason.
Result<PipeEnds> make_pipe();

// A close-on-exec connected pair of AF_UNIX sockets of `type` (SOCK_STREAM,
// SOCK_SEQPACKET); `io` with the system's reason.
Result<std::pair<UniqueFd, UniqueFd>> make_socket_pair(int type);

} // namespace sifkit
