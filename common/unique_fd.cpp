#include "unique_fd.h"

#include <cerrno>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sifkit {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset(other.release());
  }
  return *this;
}

void UniqueFd::reset(int fd) noexcept {
  int old = std::exchange(m_fd, fd);
  if (old >= 0 && old != fd) {
    // Linux releases the descriptor even when close fails (EINTR included): never retry.
    ::close(old);
  }
}

Result<PipeEnds> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail_errno("creating a pipe", errno);
  }
  return PipeEnds{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<std::pair<UniqueFd, UniqueFd>> make_socket_pair(int type) {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0) {
    return fail_errno("creating a socket pair", errno);
  }
  return std::pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

} // namespace sifkit
