#pragma once

// A tiny in-process HTTP/1.1 server for the SIF fetching tests: one connection at a
// time on 127.0.0.1 or a unix socket, answers (raw bytes) from a handler, the connection
// closed after each answer, so a short body is a dropped connection.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace sifkit::test {

struct Request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers; // names in lower case
};

// A one-connection-at-a-time HTTP/1.1 server on 127.0.0.1 answering with `handler`'s raw
// bytes and closing the connection after each answer.
class FileServer {
public:
  using Handler = std::function<std::string(const Request&)>;

  // Listens on 127.0.0.1, or on the unix socket `unix_path` when given (a Docker daemon).
  explicit FileServer(Handler handler, const std::string& unix_path = "")
      : m_handler(std::move(handler)) {
    if (!unix_path.empty()) {
      m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      REQUIRE(m_fd >= 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      REQUIRE(unix_path.size() < sizeof addr.sun_path);
      unix_path.copy(addr.sun_path, unix_path.size());
      REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
      m_url = "unix://" + unix_path;
    } else {
      m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      REQUIRE(m_fd >= 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
      socklen_t len = sizeof addr;
      ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
      m_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    }
    REQUIRE(::listen(m_fd, 16) == 0);
    m_thread = std::thread([this] { serve(); });
  }
  ~FileServer() {
    m_stop = true;
    m_thread.join();
    ::close(m_fd);
  }

  const std::string& url() const { return m_url; }
  std::vector<Request> requests() {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }

private:
  void serve() {
    while (!m_stop) {
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) {
        continue;
      }
      int c = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        continue;
      }
      std::string in;
      char buf[4096];
      while (in.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) {
          break;
        }
        in.append(buf, static_cast<std::size_t>(n));
      }
      if (in.find("\r\n\r\n") != std::string::npos) {
        Request r = parse(in);
        {
          std::lock_guard lock(m_mutex);
          m_requests.push_back(r);
        }
        std::string out = m_handler(r);
        ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }

  static Request parse(const std::string& in) {
    Request r;
    std::size_t eol = in.find("\r\n");
    std::string line = in.substr(0, eol);
    r.method = line.substr(0, line.find(' '));
    r.target = line.substr(line.find(' ') + 1);
    r.target = r.target.substr(0, r.target.rfind(' '));
    for (std::size_t pos = eol + 2; pos < in.size();) {
      std::size_t end = in.find("\r\n", pos);
      std::string h = in.substr(pos, end - pos);
      pos = end + 2;
      if (h.empty()) {
        break;
      }
      std::string name = h.substr(0, h.find(':'));
      for (auto& ch : name) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      std::string value = h.substr(h.find(':') + 1);
      r.headers[name] = value.erase(0, value.find_first_not_of(' '));
    }
    return r;
  }

  Handler m_handler;
  int m_fd = -1;
  std::string m_url;
  std::atomic<bool> m_stop = false;
  std::mutex m_mutex;
  std::vector<Request> m_requests;
  std::thread m_thread;
};

} // namespace sifkit::test
