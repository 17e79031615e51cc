#pragma once

// A scripted HTTP/1.1 server for the docker:// client tests: the cases a real registry
// does not produce on demand (redirects to another origin, dropped connections, 503/429,
// Bearer tokens, lying headers, hostile sizes and messages).
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
#include <unistd.h>

namespace sifkit::test {

struct SeenRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers; // names in lower case
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A one-connection-at-a-time HTTP/1.1 server on 127.0.0.1 whose answers (raw bytes,
// the connection closed after each) come from `handler`. TLS handshakes are hung up on.
class ScriptedServer {
public:
  using Handler = std::function<std::string(const SeenRequest&)>;

  explicit ScriptedServer(Handler handler) : m_handler(std::move(handler)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(m_fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(m_fd, 16) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    m_stop = true;
    m_thread.join();
    ::close(m_fd);
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(m_port); }
  int port() const { return m_port; }
  std::vector<SeenRequest> requests() {
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
        if (n <= 0 || (in.empty() && buf[0] == 0x16)) { // 0x16: a TLS ClientHello
          in.clear();
          break;
        }
        in.append(buf, static_cast<std::size_t>(n));
      }
      if (!in.empty()) {
        SeenRequest r = parse(in);
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

  static SeenRequest parse(const std::string& in) {
    SeenRequest r;
    std::size_t eol = in.find("\r\n");
    std::string line = in.substr(0, eol);
    r.method = line.substr(0, line.find(' '));
    r.target = line.substr(line.find(' ') + 1);
    r.target = r.target.substr(0, r.target.rfind(' '));
    std::size_t pos = eol + 2;
    while (pos < in.size()) {
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
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
    }
    return r;
  }

  Handler m_handler;
  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop = false;
  std::mutex m_mutex;
  std::vector<SeenRequest> m_requests;
  std::thread m_thread;
};

// A whole answer: status `status`, `body`, extra header lines `headers` ("Name: value\r\n").
inline std::string reply(int status, const std::string& body, const std::string& headers = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" +
         headers + "\r\n" + body;
}

} // namespace sifkit::test
