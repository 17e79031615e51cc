// The HTTP client's limits against hostile servers: a server that sends a trickle is cut
// off by the low-speed rule, and what a server says is quoted without its control bytes.
#include <registry/docker_source.h>
#include <registry/http.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "support/http_server.h"
#include <catch2/catch.hpp>

namespace sifkit::registry {

namespace {

using test::HttpServer;
using test::reply;
using test::Request;

// A body of `k_promised` bytes sent 2 bytes every 100 ms (20 bytes/s), so that only the
// client's low-speed rule ends it soon.
constexpr std::int64_t k_promised = 1 << 20;

test::Response trickle() {
  test::Response out = reply(200, std::string(k_promised, 'a'));
  out.delivery = test::Delivery::trickle;
  out.bytes = 2;
  out.interval = std::chrono::milliseconds(100);
  return out;
}

} // namespace

TEST_CASE("a server that trickles a body slower than the low-speed limit is cut off",
          "[registry][hostile]") {
  HttpServer server([](const Request&) { return trickle(); });
  HttpOptions options;
  options.low_speed = {1024, 1}; // the default is 1024 bytes/s for 30 s
  HttpClient http(options);
  std::int64_t received = 0;
  auto response = http.perform(HttpRequest{.url = server.url() + "/blob"},
                               [&](long, std::string_view bytes) -> Result<void> {
                                 received += static_cast<std::int64_t>(bytes.size());
                                 return {};
                               });
  REQUIRE_FALSE(response);
  CHECK(response.error().kind() == ErrorKind::network);
  CHECK_THAT(response.error().what(), Catch::Contains("SIFKIT_LOW_SPEED"));
  CHECK(received < k_promised);
  // The client, not the end of the body, ended the transfer (the send after the
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
  HttpServer server([&](const Request& r) {
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
  HttpServer server([&](const Request& r) {
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
