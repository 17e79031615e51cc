#include "registry/fault_proxy.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace sifkit::test {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(
      a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

// Headers that describe one connection or its framing: the proxy's own answer sets them.
bool hop_by_hop(std::string_view name) {
  for (std::string_view framing :
       {"connection", "keep-alive", "content-length", "transfer-encoding", "expect"}) {
    if (iequals(name, framing)) {
      return true;
    }
  }
  return false;
}

registry::HttpOptions upstream_options() {
  registry::HttpOptions options;
  options.max_buffered_body = std::int64_t{1} << 30;
  return options;
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
    : m_upstream(std::move(upstream)), m_http(upstream_options()), m_rule(std::move(rule)),
      m_server(std::make_unique<HttpServer>([this](const Request& r) { return relay(r); },
                                            HandlerCalls::concurrent)) {}

FaultProxy::~FaultProxy() {
  m_server.reset();
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

Response FaultProxy::relay(const Request& request) {
  ProxiedExchange exchange;
  exchange.at = std::chrono::steady_clock::now();
  exchange.request = {request.method, request.target, request.header("range"), 0};
  {
    std::lock_guard lock(m_mutex);
    exchange.request.nth = ++m_counts[request.method + " " + request.target];
    exchange.fault = m_rule ? m_rule(exchange.request) : Fault::pass();
  }
  const Fault& fault = exchange.fault;
  auto record = [&] {
    std::lock_guard lock(m_mutex);
    m_exchanges.push_back(exchange);
  };

  if (fault.kind == Fault::Kind::status) {
    record();
    return reply(
        fault.status, R"({"errors":[{"code":"UNAVAILABLE","message":"injected by the proxy"}]})",
        "Content-Type: application/json\r\n" +
            (fault.retry_after.empty() ? "" : "Retry-After: " + fault.retry_after + "\r\n"));
  }

  registry::HttpRequest upstream{.method = request.method,
                                 .url = "http://" + m_upstream + request.target};
  for (const auto& [name, value] : request.headers) {
    if (!hop_by_hop(name)) {
      upstream.headers.push_back(name + ": " + value);
    }
  }
  if (!request.body.empty()) {
    upstream.body = request.body;
  }
  auto answer = m_http.perform(upstream);
  if (!answer) {
    record();
    return Response{.delivery = Delivery::hang_up};
  }
  exchange.upstream_status = answer->status;
  record();

  Response out = reply(static_cast<int>(answer->status), std::move(answer->body));
  for (const auto& [name, value] : answer->headers) {
    if (!hop_by_hop(name)) {
      out.headers += name + ": " + value + "\r\n";
    }
  }
  // A HEAD answer announces the length of a body it does not carry.
  auto length = answer->header("content-length");
  if (request.method == "HEAD" && length) {
    out.length = std::stoll(*length);
  }
  switch (fault.kind) {
  case Fault::Kind::reset_after:
    out.delivery = Delivery::reset_after;
    break;
  case Fault::Kind::truncate:
    out.delivery = Delivery::truncate;
    break;
  case Fault::Kind::flip_byte:
    out.delivery = Delivery::flip_byte;
    break;
  default:
    break;
  }
  out.bytes = fault.bytes;
  return out;
}

} // namespace sifkit::test
