// The token server half of token_server.h: an RSA key and self-signed certificate, RS256
// JWTs in the shape distribution verifies, handed out by the test HTTP server.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "registry/token_server.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace sifkit::test {

namespace {

using json = nlohmann::json;

// distribution accepts a token this long after its `exp` (registry/auth/token: Leeway).
constexpr long long k_registry_leeway_s = 60;

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// RFC 7515 base64url without padding.
std::string base64url(std::string_view bytes) {
  std::string out = base64(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  while (!out.empty() && out.back() == '=') {
    out.pop_back();
  }
  for (auto& c : out) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out +=
          static_cast<char>(std::strtol(std::string(text.substr(i + 1, 2)).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

// The decoded value of query parameter `name` in request target `target`, or empty.
std::string query_value(const std::string& target, const std::string& name) {
  std::size_t q = target.find('?');
  std::string_view query = q == std::string::npos ? "" : std::string_view(target).substr(q + 1);
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.substr(0, pair.find('=')) == name && pair.find('=') != std::string_view::npos) {
      return percent_decode(pair.substr(pair.find('=') + 1));
    }
  }
  return {};
}

Response http_reply(int status, const std::string& body) {
  return reply(status, body, "Content-Type: application/json\r\n");
}

long long unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

// The RS256 signing key and its self-signed certificate (DER, for x5c).
struct TokenServer::Keys {
  EVP_PKEY* key = nullptr;
  std::string cert_der;
  ~Keys() { EVP_PKEY_free(key); }
};

TokenServer::TokenServer(const std::string& cert_path) : m_keys(std::make_unique<Keys>()) {
  m_keys->key = EVP_RSA_gen(2048);
  REQUIRE(m_keys->key != nullptr);
  X509* cert = X509_new();
  REQUIRE(cert != nullptr);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 2 * 86400);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sifkit test token issuer"), -1,
                             -1, 0);
  X509_set_issuer_name(cert, name);
  REQUIRE(X509_set_pubkey(cert, m_keys->key) == 1);
  REQUIRE(X509_sign(cert, m_keys->key, EVP_sha256()) > 0);
  unsigned char* der = nullptr;
  int der_size = i2d_X509(cert, &der);
  REQUIRE(der_size > 0);
  m_keys->cert_der.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(der_size));
  OPENSSL_free(der);
  FILE* pem = std::fopen(cert_path.c_str(), "w");
  REQUIRE(pem != nullptr);
  bool written = PEM_write_X509(pem, cert) == 1;
  std::fclose(pem);
  X509_free(cert);
  REQUIRE(written);

  m_server = std::make_unique<HttpServer>([this](const Request& r) { return answer(r); });
}

TokenServer::~TokenServer() = default;

std::string TokenServer::realm() const {
  return m_server->url() + "/token";
}

std::string TokenServer::mint(const std::string& repository,
                              const std::vector<std::string>& actions,
                              std::chrono::seconds lifetime) const {
  std::string token = sign(repository, actions, lifetime);
  REQUIRE(!token.empty());
  return token;
}

std::string TokenServer::sign(const std::string& repository,
                              const std::vector<std::string>& actions,
                              std::chrono::seconds lifetime) const {
  static std::atomic<int> serial = 0;
  long long now = unix_now();
  std::string der = m_keys->cert_der;
  json header = {{"alg", "RS256"},
                 {"typ", "JWT"},
                 {"x5c", {base64(reinterpret_cast<const unsigned char*>(der.data()), der.size())}}};
  json access = json::array();
  if (!actions.empty()) {
    access.push_back({{"type", "repository"}, {"name", repository}, {"actions", actions}});
  }
  json claims = {{"iss", k_issuer},
                 {"sub", "sifkit-test-subject"},
                 {"aud", k_service},
                 {"exp", now + lifetime.count() - k_registry_leeway_s},
                 {"nbf", now - 1},
                 {"iat", now},
                 {"jti", "sifkit-" + std::to_string(now) + "-" + std::to_string(++serial)},
                 {"access", access}};
  std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) {
    return {};
  }
  std::size_t size = 0;
  std::string signature;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, m_keys->key) == 1 &&
            EVP_DigestSign(ctx, nullptr, &size,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  if (ok) {
    signature.resize(size);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                        reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
    signature.resize(size);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    return {};
  }
  return signing_input + "." + base64url(signature);
}

void TokenServer::require_credentials(registry::Credentials credentials) {
  std::lock_guard lock(m_mutex);
  m_required_authorization = registry::basic_authorization(credentials);
}

std::vector<TokenRequest> TokenServer::requests() const {
  std::lock_guard lock(m_mutex);
  return m_requests;
}

std::vector<std::string> TokenServer::tokens() const {
  std::lock_guard lock(m_mutex);
  return m_tokens;
}

Response TokenServer::answer(const Request& request) {
  const std::string& target = request.target;
  std::string authorization = request.header("authorization");
  TokenRequest seen{query_value(target, "service"), query_value(target, "scope"), authorization};
  std::optional<std::string> required;
  {
    std::lock_guard lock(m_mutex);
    m_requests.push_back(seen);
    required = m_required_authorization;
  }
  if (!target.starts_with("/token?") || m_policy == TokenPolicy::refuse ||
      (required && authorization != *required)) {
    return http_reply(401, R"({"details":"access denied"})");
  }
  // "repository:NAME:ACTION[,ACTION]": grant what was asked.
  std::string repository;
  std::vector<std::string> actions;
  if (seen.scope.starts_with("repository:") && m_policy == TokenPolicy::grant) {
    std::string rest = seen.scope.substr(11);
    repository = rest.substr(0, rest.rfind(':'));
    std::string list = rest.substr(rest.rfind(':') + 1);
    for (std::size_t pos = 0; pos <= list.size();) {
      std::size_t comma = std::min(list.find(',', pos), list.size());
      actions.push_back(list.substr(pos, comma - pos));
      pos = comma + 1;
    }
  }
  long long lifetime = m_lifetime_s;
  std::string token = sign(repository, actions, std::chrono::seconds(lifetime));
  if (token.empty()) {
    return http_reply(500, R"({"details":"signing failed"})");
  }
  {
    std::lock_guard lock(m_mutex);
    m_tokens.push_back(token);
  }
  ++m_issued;
  return http_reply(
      200, json{{"token", token}, {"expires_in", lifetime}, {"issued_at", "2024-01-01T00:00:00Z"}}
               .dump());
}

} // namespace sifkit::test
