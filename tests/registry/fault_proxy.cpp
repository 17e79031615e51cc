#include "registry/fault_proxy.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sifkit::test {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// An HTTP message head: the request or status line and the header lines, in order.
struct Head {
  std::string first_line;
  std::vector<std::pair<std::string, std::string>> headers; // names in lower case

  std::string get(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) {
        return value;
      }
    }
    return {};
  }
};

// Parses `text`, a head without its blank line.
Head parse_head(std::string_view text) {
  Head head;
  std::size_t eol = text.find("\r\n");
  head.first_line = std::string(text.substr(0, eol));
  while (eol != std::string_view::npos) {
    std::size_t start = eol + 2;
    eol = text.find("\r\n", start);
    std::string_view line = text.substr(start, eol == std::string_view::npos ? eol : eol - start);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    std::string_view value = line.substr(colon + 1);
    value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
    head.headers.emplace_back(lower(line.substr(0, colon)), std::string(value));
  }
  return head;
}

// `head` as text, ending with the blank line; hop-by-hop and framing headers are
// replaced by `Connection: close` and, when given, `Content-Length: length`.
std::string serialise(const Head& head, std::optional<std::size_t> length) {
  std::string out = head.first_line + "\r\n";
  for (const auto& [name, value] : head.headers) {
    bool framing = name == "transfer-encoding" || (length && name == "content-length");
    if (!framing && name != "connection" && name != "keep-alive") {
      out += name + ": " + value + "\r\n";
    }
  }
  if (length) {
    out += "content-length: " + std::to_string(*length) + "\r\n";
  }
  return out + "connection: close\r\n\r\n";
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads into `in` until it holds a whole head; its length with the blank line, or 0.
// A TLS ClientHello (the client trying https first) gets 0 at once.
std::size_t read_head(int fd, std::string& in) {
  char buf[8192];
  while (in.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0 || (in.empty() && buf[0] == 0x16)) {
      return 0;
    }
    in.append(buf, static_cast<std::size_t>(n));
  }
  return in.find("\r\n\r\n") + 4;
}

// Reads until the peer closes (or an error or timeout ends the stream).
std::string read_to_end(int fd) {
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string decode_chunked(std::string_view body) {
  std::string out;
  while (true) {
    std::size_t eol = body.find("\r\n");
    if (eol == std::string_view::npos) {
      return out;
    }
    std::size_t size = std::strtoul(std::string(body.substr(0, eol)).c_str(), nullptr, 16);
    if (size == 0 || eol + 2 + size > body.size()) {
      return out;
    }
    out.append(body.substr(eol + 2, size));
    body.remove_prefix(eol + 2 + size + 2);
  }
}

void set_timeouts(int fd) {
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int connect_to(const std::string& host_port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port =
      htons(static_cast<std::uint16_t>(std::stoi(host_port.substr(host_port.find(':') + 1))));
  ::inet_pton(AF_INET, host_port.substr(0, host_port.find(':')).c_str(), &addr.sin_addr);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  set_timeouts(fd);
  return fd;
}

// Waits (up to 2 s) until the peer has acknowledged every byte sent, so that the reset
// lands after them rather than discarding them, then makes closing `fd` send a reset.
void reset_connection(int fd) {
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

std::string Fault::describe() const {
  switch (kind) {
  case Kind::pass:
    return "pass";
  case Kind::status:
    return "HTTP " + std::to_string(status) +
           (retry_after.empty() ? "" : " (Retry-After: " + retry_after + ")");
  case Kind::reset_after:
    return "reset after " + std::to_string(bytes) + " body bytes";
  case Kind::truncate:
    return "body cut " + std::to_string(bytes) + " bytes short";
  case Kind::flip_byte:
    return "byte " + std::to_string(bytes) + " of the body inverted";
  }
  return "?";
}

bool is_blob_target(const std::string& target) {
  return target.starts_with("/v2/") && target.find("/blobs/sha256:") != std::string::npos;
}

bool is_manifest_target(const std::string& target) {
  return target.starts_with("/v2/") && target.find("/manifests/") != std::string::npos;
}

FaultProxy::FaultProxy(std::string upstream, Rule rule)
    : m_upstream(std::move(upstream)), m_rule(std::move(rule)) {
  m_listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(m_listen_fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(m_listen_fd, 64) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  m_port = ntohs(addr.sin_port);
  m_acceptor = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  m_stop = true;
  m_acceptor.join();
  for (auto& thread : m_threads) { // no lock needed: the acceptor has stopped
    thread.join();
  }
  ::close(m_listen_fd);
}

void FaultProxy::set_rule(Rule rule) {
  std::lock_guard lock(m_mutex);
  m_rule = std::move(rule);
  m_counts.clear();
}

std::vector<ProxiedExchange> FaultProxy::exchanges() const {
  std::lock_guard lock(m_mutex);
  return m_exchanges;
}

std::string FaultProxy::log() const {
  std::string out;
  for (const auto& e : exchanges()) {
    out += e.request.method + " " + e.request.target +
           (e.request.range.empty() ? "" : " [" + e.request.range + "]") + " #" +
           std::to_string(e.request.nth) + ": " + e.fault.describe() +
           (e.upstream_status != 0 ? " (upstream " + std::to_string(e.upstream_status) + ")" : "") +
           "\n";
  }
  return out;
}

void FaultProxy::accept_loop() {
  while (!m_stop) {
    pollfd p{m_listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) {
      continue;
    }
    int client = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client >= 0) {
      std::lock_guard lock(m_mutex);
      m_threads.emplace_back([this, client] {
        handle(client);
        ::close(client);
      });
    }
  }
}

void FaultProxy::handle(int client) {
  set_timeouts(client);
  std::string in;
  std::size_t head_size = read_head(client, in);
  if (head_size == 0) {
    return;
  }
  Head request = parse_head(std::string_view(in).substr(0, head_size - 4));
  std::string length = request.get("content-length");
  std::size_t body_size = length.empty() ? 0 : std::stoul(length);
  char buf[8192];
  while (in.size() < head_size + body_size) {
    ssize_t n = ::recv(client, buf, sizeof buf, 0);
    if (n <= 0) {
      return;
    }
    in.append(buf, static_cast<std::size_t>(n));
  }

  ProxiedExchange exchange;
  exchange.at = std::chrono::steady_clock::now();
  std::string_view line = request.first_line;
  exchange.request.method = std::string(line.substr(0, line.find(' ')));
  line.remove_prefix(line.find(' ') + 1);
  exchange.request.target = std::string(line.substr(0, line.find(' ')));
  exchange.request.range = request.get("range");
  {
    std::lock_guard lock(m_mutex);
    exchange.request.nth = ++m_counts[exchange.request.method + " " + exchange.request.target];
    exchange.fault = m_rule ? m_rule(exchange.request) : Fault::pass();
  }
  const Fault& fault = exchange.fault;
  auto record = [&] {
    std::lock_guard lock(m_mutex);
    m_exchanges.push_back(exchange);
  };

  if (fault.kind == Fault::Kind::status) {
    std::string body = R"({"errors":[{"code":"UNAVAILABLE","message":"injected by the proxy"}]})";
    Head head{"HTTP/1.1 " + std::to_string(fault.status) + " Injected",
              {{"content-type", "application/json"}}};
    if (!fault.retry_after.empty()) {
      head.headers.emplace_back("retry-after", fault.retry_after);
    }
    record();
    send_all(client, serialise(head, body.size()) + body);
    return;
  }

  int upstream = connect_to(m_upstream);
  if (upstream < 0) {
    record();
    return;
  }
  bool sent =
      send_all(upstream, serialise(request, std::nullopt) + in.substr(head_size, body_size));
  std::string answer = sent ? read_to_end(upstream) : std::string();
  ::close(upstream);
  std::size_t answer_head = answer.find("\r\n\r\n");
  if (answer_head == std::string::npos) {
    record();
    return;
  }
  Head response = parse_head(std::string_view(answer).substr(0, answer_head));
  std::string body = answer.substr(answer_head + 4);
  if (lower(response.get("transfer-encoding")) == "chunked") {
    body = decode_chunked(body);
  }
  exchange.upstream_status = std::stol(response.first_line.substr(response.first_line.find(' ')));
  record();

  // A HEAD answer announces the length of a body it does not carry.
  bool head_only = exchange.request.method == "HEAD";
  std::string out = serialise(response, head_only ? std::nullopt : std::optional(body.size()));
  auto body_bytes = static_cast<std::int64_t>(body.size());
  switch (fault.kind) {
  case Fault::Kind::reset_after:
    send_all(client, out + body.substr(0, static_cast<std::size_t>(std::clamp<std::int64_t>(
                                              fault.bytes, 0, body_bytes))));
    reset_connection(client);
    return;
  case Fault::Kind::truncate:
    send_all(client, out + body.substr(0, static_cast<std::size_t>(std::max<std::int64_t>(
                                              body_bytes - fault.bytes, 0))));
    ::shutdown(client, SHUT_WR);
    return;
  case Fault::Kind::flip_byte:
    if (fault.bytes >= 0 && fault.bytes < body_bytes) {
      body[static_cast<std::size_t>(fault.bytes)] ^= static_cast<char>(0xff);
    }
    break;
  default:
    break;
  }
  send_all(client, out + body);
}

} // namespace sifkit::test
