#pragma once

// A small HTTP client over libcurl for the registry API: one request at a time per
// call, redirects followed here (never by curl) so that an Authorization header is only
// ever sent to the origin it was meant for, TLS verified with the system CAs unless told
// otherwise. Errors never contain request headers, so credentials cannot leak into them.
#include <common/error.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sifkit::registry {

enum class TlsVerify { yes, no };

// The rule that ends a stalled or crawling transfer with a `network` error: slower than
// `bytes_per_second` for `seconds` in a row.
struct LowSpeed {
  long bytes_per_second = 1024;
  long seconds = 30;
};

// LowSpeed's defaults, or $SIFKIT_LOW_SPEED_LIMIT (bytes per second) and
// $SIFKIT_LOW_SPEED_TIME (seconds) where they hold positive integers.
LowSpeed default_low_speed();

struct HttpOptions {
  std::string ca_cert; // CA bundle file or directory of hashed CAs; empty: system
  TlsVerify tls_verify = TlsVerify::yes;
  long connect_timeout_s = 30;
  LowSpeed low_speed = default_low_speed();
  int max_redirects = 10;
  std::int64_t max_buffered_body = 8 * 1024 * 1024; // bodies kept in memory (no sink)
  std::string unix_socket; // connect to this socket instead of the URL's host (Docker API)
};

struct HttpRequest {
  std::string method = "GET"; // GET, HEAD, PUT, POST, PATCH, DELETE
  std::string url;
  std::vector<std::string> headers;         // "Name: value"; sent on every redirect hop
  std::optional<std::string> authorization; // the Authorization value; same origin only
  std::optional<std::string> body;
  std::optional<std::int64_t> range_start; // adds "Range: bytes=<n>-"
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers; // of the final response
  std::string body;          // unless a sink took it (always kept for non-2xx responses)
  std::string effective_url; // after redirects

  // The first value of header `name` (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

// Receives the body of a 2xx response (`status`) as it arrives; an error aborts the
// transfer and is returned by `perform` unchanged.
using BodySink = std::function<Result<void>(long status, std::string_view bytes)>;

class HttpClient {
public:
  explicit HttpClient(HttpOptions options = {});

  // Performs `request`, following redirects (Authorization dropped when the scheme, host
  // or port changes). Fails with `network` when the server cannot be reached, TLS fails
  // or the connection drops, `corrupt_input` when a buffered body exceeds the limit, or
  // with the sink's error. HTTP error statuses are returned, not failed. Thread-safe:
  // each call uses its own curl handle.
  Result<HttpResponse> perform(const HttpRequest& request, const BodySink& sink = {}) const;

  const HttpOptions& options() const { return m_options; }

private:
  HttpOptions m_options;
};

// True when `a` and `b` have the same scheme, host and port (curl's URL parser).
bool same_origin(const std::string& a, const std::string& b);

// Resolves `location` (absolute or relative) against `base`; empty when it cannot.
std::string resolve_url(const std::string& base, const std::string& location);

// `text` percent-encoded for a query value.
std::string url_escape(std::string_view text);

// The Error for an unexpected HTTP status of `what`: 401/403 `auth`, 404 `not_found`,
// anything else `network`; the registry's error message, if any, is appended.
Error http_status_error(const HttpResponse& response, std::string_view what);

} // namespace sifkit::registry
