// The test HTTP server itself: what it parses of a request and how each delivery looks
// on the wire (raw sockets, so the client adds nothing of its own).
#include <atomic>

#include "support/http_server.h"
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sifkit::test {

namespace {

// Sends `request` to `server` and returns every byte of the answer, until it closes.
std::string round_trip(const HttpServer& server, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string body_of(const std::string& answer) {
  return answer.substr(answer.find("\r\n\r\n") + 4);
}

} // namespace

TEST_CASE("the test HTTP server reads a chunked body and joins repeated header fields",
          "[support]") {
  HttpServer server([](const Request& r) { return reply(201, "got " + r.body); });
  std::string answer = round_trip(server, "POST /up?x=1 HTTP/1.1\r\nHost: h\r\nX-Tag: a\r\n"
                                          "x-tag: b\r\nTransfer-Encoding: chunked\r\n\r\n"
                                          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 201 "));
  CHECK_THAT(answer, Catch::Contains("Content-Length: 15\r\n"));
  CHECK(body_of(answer) == "got hello world");
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/up?x=1");
  CHECK(seen[0].header("x-tag") == "a, b");
  CHECK(seen[0].body == "hello world");
}

TEST_CASE("the test HTTP server hangs up on what is not HTTP and records nothing", "[support]") {
  HttpServer server([](const Request&) { return reply(200, "never"); });
  CHECK(round_trip(server, std::string("\x16\x03\x01\x00\x05hello", 10)).empty());
  CHECK(server.requests().empty());
}

TEST_CASE("the test HTTP server delivers each fault as announced", "[support]") {
  const std::string body = "0123456789";
  std::atomic<Delivery> delivery = Delivery::whole;
  HttpServer server([&](const Request&) {
    Response out = reply(200, body);
    out.delivery = delivery;
    out.bytes = 3;
    out.interval = std::chrono::milliseconds(1);
    return out;
  });
  const std::string get = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  CHECK(body_of(round_trip(server, get)) == body);
  CHECK(body_of(round_trip(server, "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n")).empty());
  delivery = Delivery::truncate;
  std::string cut = round_trip(server, get);
  CHECK_THAT(cut, Catch::Contains("Content-Length: 10\r\n"));
  CHECK(body_of(cut) == "0123456");
  delivery = Delivery::flip_byte;
  CHECK(body_of(round_trip(server, get)) == "012\xcc"
                                            "456789");
  delivery = Delivery::trickle;
  CHECK(body_of(round_trip(server, get)) == body);
  delivery = Delivery::hang_up;
  CHECK(round_trip(server, get).empty());
  CHECK(server.requests().size() == 6);
}

} // namespace sifkit::test
