#include <common/text.h>
#include <common/text_escape.h>
#include <registry/http.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace sifkit::registry {

namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// State one transfer's callbacks share.
struct Transfer {
  CURL* handle = nullptr;
  const BodySink* sink = nullptr;
  std::int64_t max_buffered = 0;
  HttpResponse* response = nullptr;
  std::optional<Error> sink_error;
  bool too_large = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) { // a new response (redirect hop or 100 Continue)
    t->response->headers.clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    t->response->headers.emplace_back(std::string(trim_space(line.substr(0, colon))),
                                      std::string(trim_space(line.substr(colon + 1))));
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view bytes(data, size * count);
  long status = 0;
  curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300 && status < 400) {
    return bytes.size(); // the body of a redirect is of no use
  }
  if (status >= 200 && status < 300 && t->sink != nullptr && *t->sink) {
    Result<void> r = (*t->sink)(status, bytes);
    if (!r) {
      t->sink_error = std::move(r.error());
      return 0; // aborts the transfer with CURLE_WRITE_ERROR
    }
    return bytes.size();
  }
  if (static_cast<std::int64_t>(t->response->body.size() + bytes.size()) > t->max_buffered) {
    t->too_large = true;
    return 0;
  }
  t->response->body.append(bytes);
  return bytes.size();
}

bool is_tls_error(CURLcode rc) {
  switch (rc) {
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_SHUTDOWN_FAILED:
    return true;
  default:
    return false;
  }
}

std::string scheme_of(const std::string& url) {
  return url.substr(0, std::min(url.find(':'), url.size()));
}

// The positive integer in environment variable `name`, if it holds one.
std::optional<long> positive_from_environment(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') {
    return std::nullopt;
  }
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  return *end == '\0' && errno == 0 && value > 0 ? std::optional(value) : std::nullopt;
}

} // namespace

LowSpeed default_low_speed() {
  LowSpeed rule;
  rule.bytes_per_second =
      positive_from_environment("SIFKIT_LOW_SPEED_LIMIT").value_or(rule.bytes_per_second);
  rule.seconds = positive_from_environment("SIFKIT_LOW_SPEED_TIME").value_or(rule.seconds);
  return rule;
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

HttpClient::HttpClient(HttpOptions options) : m_options(std::move(options)) {
  init_curl_once();
}

Result<HttpResponse> HttpClient::perform(const HttpRequest& request, const BodySink& sink) const {
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) {
    return fail(ErrorKind::internal, "curl_easy_init failed");
  }
  CURL* h = easy.get();
  std::string method = request.method;
  std::string url = request.url;
  const std::string origin = request.url;
  for (int hop = 0;; ++hop) {
    HttpResponse response;
    Transfer transfer{h, &sink, m_options.max_buffered_body, &response, std::nullopt, false};
    char errbuf[CURL_ERROR_SIZE] = {};

    std::unique_ptr<curl_slist, SlistDeleter> headers;
    auto add_header = [&headers](const std::string& line) {
      headers.reset(curl_slist_append(headers.release(), line.c_str()));
    };
    for (const auto& line : request.headers) {
      add_header(line);
    }
    add_header("Expect:"); // no 100-continue round trip for uploads
    if (request.range_start) {
      add_header("Range: bytes=" + std::to_string(*request.range_start) + "-");
    }
    // Only the origin the caller addressed gets the credentials, never a redirect target
    // on another scheme, host or port (e.g. a CDN holding the blob).
    if (request.authorization && same_origin(url, origin)) {
      add_header("Authorization: " + *request.authorization);
    }

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "sifkit/0.1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, m_options.connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, m_options.low_speed.bytes_per_second);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, m_options.low_speed.seconds);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    if (!m_options.unix_socket.empty()) {
      curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, m_options.unix_socket.c_str());
    }
    if (m_options.tls_verify == TlsVerify::no) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (!m_options.ca_cert.empty()) {
      struct stat st {};
      bool is_dir = ::stat(m_options.ca_cert.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      curl_easy_setopt(h, is_dir ? CURLOPT_CAPATH : CURLOPT_CAINFO, m_options.ca_cert.c_str());
    }
    if (method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    if (request.body && method != "GET" && method != "HEAD") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body->size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body->data());
    }

    CURLcode rc = curl_easy_perform(h);
    std::string what = method + " " + url;
    if (transfer.sink_error) {
      return std::unexpected(std::move(*transfer.sink_error));
    }
    if (transfer.too_large) {
      return fail(ErrorKind::corrupt_input, what + ": response body larger than " +
                                                std::to_string(m_options.max_buffered_body) +
                                                " bytes");
    }
    if (rc != CURLE_OK) {
      std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
      std::string hint = rc == CURLE_OPERATION_TIMEDOUT
                             ? " (the limit: SIFKIT_LOW_SPEED_LIMIT bytes/s for "
                               "SIFKIT_LOW_SPEED_TIME seconds)"
                             : "";
      return fail(ErrorKind::network, what + ": " + (is_tls_error(rc) ? "TLS error: " : "") +
                                          escape_control(trim_space(detail)) + hint);
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    response.effective_url = url;

    bool redirect = response.status == 301 || response.status == 302 || response.status == 303 ||
                    response.status == 307 || response.status == 308;
    auto location = response.header("Location");
    if (!redirect || !location) {
      return response;
    }
    if (hop + 1 > m_options.max_redirects) {
      return fail(ErrorKind::network,
                  what + ": more than " + std::to_string(m_options.max_redirects) + " redirects");
    }
    std::string next = resolve_url(url, *location);
    if (next.empty()) {
      return fail(ErrorKind::corrupt_input, what + ": malformed redirect location");
    }
    if (scheme_of(url) == "https" && scheme_of(next) != "https" &&
        m_options.tls_verify == TlsVerify::yes) {
      return fail(ErrorKind::network,
                  what + ": refusing a redirect from https to " + scheme_of(next));
    }
    if (response.status == 303 ||
        ((response.status == 301 || response.status == 302) && method == "POST")) {
      method = "GET";
    }
    url = std::move(next);
  }
}

bool same_origin(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& url) -> std::optional<std::array<std::string, 3>> {
    std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
      return std::nullopt;
    }
    std::array<std::string, 3> out;
    const CURLUPart which[3] = {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT};
    for (int i = 0; i < 3; ++i) {
      char* part = nullptr;
      if (curl_url_get(u.get(), which[i], &part, i == 2 ? CURLU_DEFAULT_PORT : 0) != CURLUE_OK) {
        return std::nullopt;
      }
      out[i] = part;
      curl_free(part);
      if (i < 2) {
        std::transform(out[i].begin(), out[i].end(), out[i].begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      }
    }
    return out;
  };
  auto pa = parts(a);
  auto pb = parts(b);
  return pa && pb && *pa == *pb;
}

std::string resolve_url(const std::string& base, const std::string& location) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, location.c_str(), 0) != CURLUE_OK) {
    return {};
  }
  char* full = nullptr;
  if (curl_url_get(u.get(), CURLUPART_URL, &full, 0) != CURLUE_OK) {
    return {};
  }
  std::string out(full);
  curl_free(full);
  return out;
}

std::string url_escape(std::string_view text) {
  init_curl_once();
  char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

Error http_status_error(const HttpResponse& response, std::string_view what) {
  ErrorKind kind = ErrorKind::network;
  if (response.status == 401 || response.status == 403) {
    kind = ErrorKind::auth;
  } else if (response.status == 404) {
    kind = ErrorKind::not_found;
  }
  std::string message = std::string(what) + ": HTTP " + std::to_string(response.status);
  // The distribution API explains itself as {"errors":[{"code":..,"message":..}]}.
  auto doc = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array() &&
      !doc["errors"].empty() && doc["errors"][0].is_object()) {
    const auto& e = doc["errors"][0];
    if (e.contains("code") && e["code"].is_string()) {
      message += " " + escape_control(e["code"].get<std::string>().substr(0, 100));
    }
    if (e.contains("message") && e["message"].is_string()) {
      message += ": " + escape_control(e["message"].get<std::string>().substr(0, 200));
    }
  }
  return Error(kind, std::move(message));
}

} // namespace sifkit::registry
