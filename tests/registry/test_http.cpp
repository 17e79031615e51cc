// The HTTP client's limits against hostile servers: a server that sends a trickle is cut
// off by the low-speed rule, and what a server says is quoted without its control bytes.
#include <registry/docker_source.h>
#include <registry/http.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "scripted_server.h"
#include <catch2/catch.hpp>

namespace sifkit::registry {

namespace {

using test::reply;
using test::ScriptedServer;
using test::SeenRequest;

// A server on 127.0.0.1 that answers one request at a time with a 200 promising
// `k_promised` bytes, then sends 2 bytes every 100 ms (20 bytes/s) until the client hangs
// up or `k_drip_limit` passes. Remembers whether a client hung up before that.
class TrickleServer {
public:
  static constexpr std::int64_t k_promised = 1 << 20;
  static constexpr auto k_drip_limit = std::chrono::seconds(20);

  TrickleServer() {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(m_fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(m_fd, 4) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~TrickleServer() {
    m_stop = true;
    m_thread.join();
    ::close(m_fd);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/blob"; }
  bool client_hung_up() const { return m_client_hung_up; }

private:
  void serve() {
    while (!m_stop) {
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) {
        continue;
      }
      int c = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        trickle(c);
        ::close(c);
      }
    }
  }

  void trickle(int c) {
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) {
        return;
      }
      in.append(buf, static_cast<std::size_t>(n));
    }
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(k_promised) + "\r\n\r\n";
    ::send(c, head.data(), head.size(), MSG_NOSIGNAL);
    auto end = std::chrono::steady_clock::now() + k_drip_limit;
    while (!m_stop && std::chrono::steady_clock::now() < end) {
      if (::send(c, "ab", 2, MSG_NOSIGNAL) != 2) {
        m_client_hung_up = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop = false;
  std::atomic<bool> m_client_hung_up = false;
  std::thread m_thread;
};

} // namespace

TEST_CASE("a server that trickles a body slower than the low-speed limit is cut off",
          "[registry][hostile]") {
  TrickleServer server;
  HttpOptions options;
  options.low_speed = {1024, 1}; // the default is 1024 bytes/s for 30 s
  HttpClient http(options);
  std::int64_t received = 0;
  auto response = http.perform(HttpRequest{.url = server.url()},
                               [&](long, std::string_view bytes) -> Result<void> {
                                 received += static_cast<std::int64_t>(bytes.size());
                                 return {};
                               });
  REQUIRE_FALSE(response);
  CHECK(response.error().kind() == ErrorKind::network);
  CHECK_THAT(response.error().what(), Catch::Contains("SIFKIT_LOW_SPEED"));
  CHECK(received < TrickleServer::k_promised);
  // The client, not the server's own limit, ended the transfer (the send after the
  // client closed fails; a 1-byte/s rule would have waited the whole trickle out).
  for (int i = 0; i < 100 && !server.client_hung_up(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(server.client_hung_up());
}

TEST_CASE("the low-speed rule is read from SIFKIT_LOW_SPEED_LIMIT and SIFKIT_LOW_SPEED_TIME",
          "[registry]") {
  ::setenv("SIFKIT_LOW_SPEED_LIMIT", "4096", 1);
  ::setenv("SIFKIT_LOW_SPEED_TIME", "7", 1);
  LowSpeed set = default_low_speed();
  ::setenv("SIFKIT_LOW_SPEED_LIMIT", "fast", 1);
  ::setenv("SIFKIT_LOW_SPEED_TIME", "-3", 1);
  LowSpeed malformed = default_low_speed();
  ::unsetenv("SIFKIT_LOW_SPEED_LIMIT");
  ::unsetenv("SIFKIT_LOW_SPEED_TIME");
  LowSpeed unset = default_low_speed();
  CHECK(set.bytes_per_second == 4096);
  CHECK(set.seconds == 7);
  CHECK(malformed.bytes_per_second == 1024);
  CHECK(malformed.seconds == 30);
  CHECK(unset.bytes_per_second == 1024);
  CHECK(unset.seconds == 30);
  CHECK(HttpOptions{}.low_speed.seconds == 30);
}

TEST_CASE("a registry's error message is quoted without its terminal escape sequences",
          "[registry][hostile]") {
  const std::string hostile = "\x1b]0;pwned\x07 denied\x1b[2J\x9b"
                              "31m";
  ScriptedServer server([&](const SeenRequest& r) {
    if (r.target == "/v2/") {
      return reply(200, "{}");
    }
    return reply(403, R"({"errors":[{"code":"DENIED\u001b[5m","message":")" +
                          std::string("\\u001b]0;pwned\\u0007 denied\\u001b[2J") + R"("}]})");
  });
  DockerOptions options;
  options.insecure = true;
  options.max_attempts = 1;
  auto source = open_docker_source(server.host() + "/r/x:t", options);
  REQUIRE(source);
  auto root = (*source)->fetch_root();
  REQUIRE_FALSE(root);
  CHECK(root.error().kind() == ErrorKind::auth);
  CHECK(root.error().what().find('\x1b') == std::string::npos);
  CHECK(root.error().what().find('\x07') == std::string::npos);
  CHECK_THAT(root.error().what(), Catch::Contains("\\x1b]0;pwned\\x07 denied\\x1b[2J"));

  HttpResponse raw;
  raw.status = 500;
  raw.body = R"({"errors":[{"code":"X","message":")" + hostile + R"("}]})";
  Error quoted = http_status_error(raw, "GET /v2/");
  CHECK(quoted.what().find('\x1b') == std::string::npos);
  CHECK(quoted.what().find('\x9b') == std::string::npos);
}

TEST_CASE("an authentication scheme a registry names is quoted without control bytes",
          "[registry][hostile]") {
  ScriptedServer server([&](const SeenRequest& r) {
    if (r.target == "/v2/") {
      return reply(200, "{}");
    }
    return reply(401, "", "WWW-Authenticate: Evil\x1b[2J realm=\"x\"\r\n");
  });
  DockerOptions options;
  options.insecure = true;
  options.max_attempts = 1;
  auto source = open_docker_source(server.host() + "/r/x:t", options);
  REQUIRE(source);
  auto root = (*source)->fetch_root();
  REQUIRE_FALSE(root);
  CHECK(root.error().kind() == ErrorKind::auth);
  CHECK(root.error().what().find('\x1b') == std::string::npos);
}

} // namespace sifkit::registry
