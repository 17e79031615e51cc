#include "support/http_server.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include <catch2/catch.hpp>
#include <http_parser.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace sifkit::test {

namespace {

// A request being parsed: http-parser's callbacks append to it.
struct Parse {
  Request request;
  std::string field;
  std::string value;
  bool in_value = false;
  bool complete = false;

  void end_header() {
    if (in_value) {
      std::transform(field.begin(), field.end(), field.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      auto [it, added] = request.headers.try_emplace(field, value);
      if (!added) { // a repeated field is one list (RFC 9110 5.3)
        it->second += ", " + value;
      }
      field.clear();
      value.clear();
      in_value = false;
    }
  }
};

Parse& state(http_parser* parser) {
  return *static_cast<Parse*>(parser->data);
}

const http_parser_settings& settings() {
  static const http_parser_settings s = [] {
    http_parser_settings out;
    http_parser_settings_init(&out);
    out.on_url = [](http_parser* p, const char* at, std::size_t n) {
      state(p).request.target.append(at, n);
      return 0;
    };
    out.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
      state(p).end_header();
      state(p).field.append(at, n);
      return 0;
    };
    out.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
      state(p).in_value = true;
      state(p).value.append(at, n);
      return 0;
    };
    out.on_headers_complete = [](http_parser* p) {
      state(p).end_header();
      state(p).request.method = http_method_str(static_cast<http_method>(p->method));
      return 0;
    };
    out.on_body = [](http_parser* p, const char* at, std::size_t n) {
      state(p).request.body.append(at, n);
      return 0;
    };
    out.on_message_complete = [](http_parser* p) {
      state(p).complete = true;
      return 0;
    };
    return out;
  }();
  return s;
}

// Reads one request from `fd`; nothing when the peer closes first or sends something
// that is not HTTP (a TLS ClientHello from a client trying https).
std::optional<Request> read_request(int fd) {
  Parse parse;
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  parser.data = &parse;
  char buf[16384];
  while (!parse.complete) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return std::nullopt;
    }
    http_parser_execute(&parser, &settings(), buf, static_cast<std::size_t>(n));
    if (HTTP_PARSER_ERRNO(&parser) != HPE_OK) {
      return std::nullopt;
    }
  }
  return std::move(parse.request);
}

std::string reason(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 206:
    return "Partial Content";
  case 401:
    return "Unauthorized";
  case 404:
    return "Not Found";
  default:
    return "Status";
  }
}

// Waits (up to 2 s) until the peer has acknowledged every byte sent, so that the reset
// lands after them rather than discarding them, then makes closing `fd` send a reset.
void arm_reset(int fd) {
  for (int i = 0; i < 400; ++i) {
    int unacknowledged = 0;
    if (::ioctl(fd, SIOCOUTQ, &unacknowledged) != 0 || unacknowledged == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
}

} // namespace

std::string Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

Response reply(int status, std::string body, std::string headers) {
  Response out;
  out.status = status;
  out.body = std::move(body);
  out.headers = std::move(headers);
  return out;
}

LoopbackSocket bind_loopback() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  return {fd, ntohs(addr.sin_port)};
}

int free_loopback_port() {
  LoopbackSocket socket = bind_loopback();
  ::close(socket.fd);
  return socket.port;
}

HttpServer::HttpServer(Handler handler, HandlerCalls calls)
    : m_handler(std::move(handler)), m_calls(calls) {
  LoopbackSocket socket = bind_loopback();
  m_port = socket.port;
  m_url = "http://" + host();
  start(socket.fd);
}

HttpServer::HttpServer(Handler handler, const std::string& unix_path)
    : m_handler(std::move(handler)) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(unix_path.size() < sizeof addr.sun_path);
  unix_path.copy(addr.sun_path, unix_path.size());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  m_url = "unix://" + unix_path;
  start(fd);
}

void HttpServer::start(int fd) {
  m_listen_fd = fd;
  REQUIRE(::listen(fd, 64) == 0);
  m_acceptor = std::thread([this] { accept_loop(); });
}

HttpServer::~HttpServer() {
  m_stop = true;
  m_acceptor.join();
  for (auto& thread : m_connections) { // no lock needed: the acceptor has stopped
    thread.join();
  }
  ::close(m_listen_fd);
}

std::vector<Request> HttpServer::requests() const {
  std::lock_guard lock(m_mutex);
  return m_requests;
}

void HttpServer::accept_loop() {
  while (!m_stop) {
    pollfd p{m_listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) {
      continue;
    }
    int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      std::lock_guard lock(m_mutex);
      m_connections.emplace_back([this, fd] {
        serve(fd);
        ::close(fd);
      });
    }
  }
}

void HttpServer::serve(int fd) {
  timeval timeout{10, 0}; // a client that never finishes its request is dropped
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::optional<Request> request = read_request(fd);
  if (request) {
    deliver(fd, *request, answer(*request));
  }
}

Response HttpServer::answer(const Request& request) {
  if (m_calls == HandlerCalls::concurrent) {
    {
      std::lock_guard lock(m_mutex);
      m_requests.push_back(request);
    }
    return m_handler(request);
  }
  std::lock_guard serial(m_handler_mutex);
  {
    std::lock_guard lock(m_mutex);
    m_requests.push_back(request);
  }
  return m_handler(request);
}

bool HttpServer::send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      m_client_hung_up = true;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void HttpServer::deliver(int fd, const Request& request, Response response) {
  if (response.delivery == Delivery::hang_up) {
    return;
  }
  std::string head =
      "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) +
      "\r\nContent-Length: " +
      std::to_string(response.length.value_or(static_cast<std::int64_t>(response.body.size()))) +
      "\r\nConnection: close\r\n" + response.headers + "\r\n";
  std::string& body = response.body;
  if (request.method == "HEAD") {
    body.clear();
  }
  auto size = static_cast<std::int64_t>(body.size());
  auto clamped = [&](std::int64_t n) {
    return static_cast<std::size_t>(std::clamp<std::int64_t>(n, 0, size));
  };
  switch (response.delivery) {
  case Delivery::reset_after:
    if (send_all(fd, head + body.substr(0, clamped(response.bytes)))) {
      arm_reset(fd);
    }
    return;
  case Delivery::truncate:
    send_all(fd, head + body.substr(0, clamped(size - response.bytes)));
    ::shutdown(fd, SHUT_WR);
    return;
  case Delivery::trickle:
    if (!send_all(fd, head)) {
      return;
    }
    for (std::size_t at = 0, step = std::max<std::size_t>(clamped(response.bytes), 1);
         at < body.size() && !m_stop; at += step) {
      if (!send_all(fd, std::string_view(body).substr(at, step))) {
        return;
      }
      std::this_thread::sleep_for(response.interval);
    }
    return;
  case Delivery::flip_byte:
    if (response.bytes >= 0 && response.bytes < size) {
      body[static_cast<std::size_t>(response.bytes)] ^= static_cast<char>(0xff);
    }
    break;
  default:
    break;
  }
  send_all(fd, head + body);
}

} // namespace sifkit::test
