// `sif-run oci attach`: our stdio joined to a container's through conmon's attach socket
// (<bundle>/attach, SOCK_SEQPACKET). conmon prefixes each message it sends with the
// stream it came from (2 stdout, 3 stderr); what we send is the container's stdin.
#include <common/unique_fd.h>
#include <runtime/oci/oci.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

constexpr char k_stdout_stream = 2;
constexpr char k_stderr_stream = 3;
constexpr char k_detach_first = 0x10;  // ctrl-p
constexpr char k_detach_second = 0x11; // ctrl-q

// Puts a terminal on stdin into raw mode for the attach and restores it after, so that
// keys reach the container's terminal one by one.
class RawTerminal {
public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) != 1 || ::tcgetattr(STDIN_FILENO, &m_saved) != 0) {
      return;
    }
    termios raw = m_saved;
    ::cfmakeraw(&raw);
    m_active = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (m_active) {
      ::tcsetattr(STDIN_FILENO, TCSANOW, &m_saved);
    }
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  bool active() const { return m_active; }

private:
  termios m_saved{};
  bool m_active = false;
};

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Connects to the attach socket `path` through /proc/self/fd, since bundle paths can
// exceed a socket address's 108 bytes.
Result<UniqueFd> connect_attach(const std::string& bundle, const std::string& id) {
  UniqueFd dir(::open(bundle.c_str(), O_PATH | O_CLOEXEC));
  if (!dir) {
    return fail_errno("opening the bundle " + bundle, errno);
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string path = fmt::format("/proc/self/fd/{}/attach", dir.get());
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  int error = !fd ? errno : 0;
  if (fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error = errno;
    fd.reset();
  }
  if (!fd) {
    if (error == ENOENT || error == ECONNREFUSED) {
      return fail(
          ErrorKind::conflict,
          fmt::format("container {} has no attach socket in {} (it has ended)", id, bundle));
    }
    return fail_errno("connecting to " + bundle + "/attach", error);
  }
  return fd;
}

// Passes the container's output on; false when the socket is done.
bool forward_output(int socket) {
  std::array<char, 32 * 1024 + 1> buffer{};
  ssize_t n = ::recv(socket, buffer.data(), buffer.size(), 0);
  if (n < 0) {
    return errno == EINTR || errno == EAGAIN;
  }
  if (n == 0) {
    return false;
  }
  if (buffer[0] == k_stdout_stream || buffer[0] == k_stderr_stream) {
    int fd = buffer[0] == k_stdout_stream ? STDOUT_FILENO : STDERR_FILENO;
    write_all(fd, buffer.data() + 1, static_cast<std::size_t>(n - 1));
  }
  return true;
}

enum class Input { more, ended, detach };

// Passes our stdin on; watches for the detach keys on a terminal.
Input forward_input(int socket, bool terminal, bool& saw_first_key) {
  std::array<char, 4096> buffer{};
  ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
  if (n < 0 && errno == EINTR) {
    return Input::more;
  }
  if (n <= 0) {
    ::shutdown(socket, SHUT_WR);
    return Input::ended;
  }
  if (terminal) {
    for (ssize_t i = 0; i < n; ++i) {
      if (saw_first_key && buffer[static_cast<std::size_t>(i)] == k_detach_second) {
        return Input::detach;
      }
      saw_first_key = buffer[static_cast<std::size_t>(i)] == k_detach_first;
    }
  }
  if (::send(socket, buffer.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL) < 0) {
    return Input::ended;
  }
  return Input::more;
}

} // namespace

Result<void> oci_attach(const std::string& id) {
  SIFKIT_TRY_ASSIGN(auto c, oci_find(id));
  SIFKIT_TRY_ASSIGN(auto socket, connect_attach(c.handle.bundle, id));
  RawTerminal terminal;
  bool stdin_open = true;
  bool saw_first_key = false;
  for (;;) {
    std::array<pollfd, 2> fds{pollfd{socket.get(), POLLIN, 0},
                              pollfd{stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (fds[0].revents != 0 && !forward_output(socket.get())) {
      break;
    }
    if (fds[1].revents != 0) {
      Input input = forward_input(socket.get(), terminal.active(), saw_first_key);
      if (input == Input::detach) {
        break;
      }
      stdin_open = input == Input::more;
    }
  }
  return {};
}

} // namespace sifkit::runtime
