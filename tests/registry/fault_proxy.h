#pragma once

// A fault-injecting HTTP/1.1 proxy for the registry tests: the test HTTP server whose
// handler relays each request to an upstream registry (plain HTTP, through the project's
// HTTP client), reads the whole answer, then sends it back changed by the fault a rule
// picks for that request: an error status, a connection reset mid-body, a body cut
// short, or one flipped byte. Range headers pass through, so the upstream answers
// resumed requests itself. Requests are relayed concurrently; meant for tests, not speed.
#include <registry/http.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/http_server.h"

namespace sifkit::test {

// What the rule sees of a request.
struct ProxiedRequest {
  std::string method;
  std::string target; // "/v2/<repo>/blobs/sha256:<hex>"
  std::string range;  // the Range header, empty when none
  int nth = 0;        // 1 for the first request with this method and target, 2 for the next...
};

// What the proxy does to one answer.
struct Fault {
  enum class Kind { pass, status, reset_after, truncate, flip_byte };
  Kind kind = Kind::pass;
  int status = 0;          // `status`: the HTTP status to answer with instead
  std::string retry_after; // `status`: the Retry-After value, empty for none
  std::int64_t bytes = 0;  // `reset_after`: body bytes sent before the reset;
                           // `truncate`: body bytes left out at the end (announced all the same);
                           // `flip_byte`: offset of the byte to invert

  static Fault pass() { return {}; }
  static Fault http_status(int status, std::string retry_after = {}) {
    return {Kind::status, status, std::move(retry_after), 0};
  }
  static Fault reset_after(std::int64_t sent) { return {Kind::reset_after, 0, {}, sent}; }
  static Fault truncate(std::int64_t missing) { return {Kind::truncate, 0, {}, missing}; }
  static Fault flip_byte(std::int64_t offset) { return {Kind::flip_byte, 0, {}, offset}; }

  // "pass", "HTTP 429 (Retry-After: 1)", "reset after 1000 body bytes", ...
  std::string describe() const;
};

// One relayed request, for assertions and INFO output.
struct ProxiedExchange {
  ProxiedRequest request;
  Fault fault;
  long upstream_status = 0; // 0 when the upstream was not asked (status faults)
  std::chrono::steady_clock::time_point at;
};

class FaultProxy {
public:
  using Rule = std::function<Fault(const ProxiedRequest& request)>;

  // Starts relaying to `upstream` ("127.0.0.1:<port>"); every request passes until a
  // rule is set. Fails the test when it cannot listen.
  explicit FaultProxy(std::string upstream, Rule rule = {});
  ~FaultProxy(); // stops accepting and waits for open connections

  std::string host() const { return m_server->host(); }
  // Replaces the rule and restarts the per-target request counts.
  void set_rule(Rule rule);
  // Every request relayed so far, in arrival order.
  std::vector<ProxiedExchange> exchanges() const;
  // One line per exchange: "GET /v2/... [bytes=10-] #2: reset after 1000 body bytes".
  std::string log() const;

private:
  Response relay(const Request& request);

  std::string m_upstream;
  registry::HttpClient m_http;
  mutable std::mutex m_mutex; // guards the members below
  Rule m_rule;
  std::vector<ProxiedExchange> m_exchanges;
  std::map<std::string, int> m_counts;  // "method target" → requests seen
  std::unique_ptr<HttpServer> m_server; // last: stopped before the members its handler uses
};

// True when `target` is a blob GET path (".../blobs/sha256:...").
bool is_blob_target(const std::string& target);
// True when `target` is a manifest path (".../manifests/<ref>").
bool is_manifest_target(const std::string& target);

} // namespace sifkit::test
