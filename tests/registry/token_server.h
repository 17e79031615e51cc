#pragma once

// A registry behind Bearer token auth for the docker:// tests: Debian's docker-registry
// (CNCF distribution) configured with `auth: token`, and an in-process token server that
// signs RS256 JWTs with a key and self-signed certificate made here with OpenSSL (the
// certificate travels in the token's `x5c` header; the registry trusts it through
// `rootcertbundle`). Implemented in test_token_server.cpp and test_token_registry.cpp (the
// test glob only compiles test_*.cpp files).
#include <common/digest.h>
#include <registry/credentials.h>
#include <registry/http.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include "support/http_server.h"
#include <sys/types.h>

namespace sifkit::test {

// One GET /token the token server saw (query values decoded).
struct TokenRequest {
  std::string service;
  std::string scope;
  std::string authorization; // the Authorization header, empty when none
};

// What the token server answers.
enum class TokenPolicy {
  grant,                // a signed token for the requested repository and actions
  grant_without_access, // a signed token that grants nothing (the registry refuses it)
  refuse,               // HTTP 401
};

// A token server on 127.0.0.1 (the test HTTP server with a handler of its own). Thread-safe.
class TokenServer {
public:
  static constexpr const char* k_service = "sifkit-test";
  static constexpr const char* k_issuer = "sifkit-test-issuer";

  // Makes the signing key and certificate, writes the certificate as PEM to `cert_path`
  // and starts listening. Fails the test when OpenSSL or the socket fails.
  explicit TokenServer(const std::string& cert_path);
  ~TokenServer();
  TokenServer(const TokenServer&) = delete;
  TokenServer& operator=(const TokenServer&) = delete;

  // "http://127.0.0.1:<port>/token".
  std::string realm() const;

  // A signed token for `repository` granting `actions` ("pull", "push"), accepted by the
  // registry for about `lifetime` from now (distribution adds 60 s of leeway to `exp`, so
  // `exp` is set that much earlier). Not counted as issued.
  std::string mint(const std::string& repository, const std::vector<std::string>& actions,
                   std::chrono::seconds lifetime) const;

  // The lifetime of the tokens served from now on (default 300 s); also their expires_in.
  void set_lifetime(std::chrono::seconds lifetime) { m_lifetime_s = lifetime.count(); }
  void set_policy(TokenPolicy policy) { m_policy = policy; }
  // From now on, tokens only for requests with Basic `credentials`; others get 401.
  void require_credentials(registry::Credentials credentials);

  int tokens_issued() const { return m_issued; }
  std::vector<TokenRequest> requests() const;
  // Every token served, in order.
  std::vector<std::string> tokens() const;

private:
  struct Keys;
  // What mint does, without Catch2 (the server thread uses it): empty on failure.
  std::string sign(const std::string& repository, const std::vector<std::string>& actions,
                   std::chrono::seconds lifetime) const;
  Response answer(const Request& request);

  std::unique_ptr<Keys> m_keys;
  std::atomic<long long> m_lifetime_s = 300;
  std::atomic<TokenPolicy> m_policy = TokenPolicy::grant;
  std::atomic<int> m_issued = 0;
  mutable std::mutex m_mutex; // guards the members below
  std::optional<std::string> m_required_authorization;
  std::vector<TokenRequest> m_requests;
  std::vector<std::string> m_tokens;
  std::unique_ptr<HttpServer> m_server; // last: stopped before the members its handler uses
};

// docker-registry on 127.0.0.1 (plain HTTP, free port) with token auth from its own
// TokenServer. Stopped when the object is destroyed.
class TokenRegistry {
public:
  // Starts the token server and the registry; nullptr with `skip_reason` set when this
  // machine has no docker-registry. Fails the test when the registry does not come up.
  static std::unique_ptr<TokenRegistry> start(std::string& skip_reason);
  ~TokenRegistry();

  std::string host() const { return "127.0.0.1:" + std::to_string(m_port); }
  std::string base_url() const { return "http://" + host(); }
  TokenServer& token_server() { return *m_tokens; }
  std::string log() const;

  // Uploads `bytes` as a blob of `repo` with a pull,push token of its own; returns its digest.
  Digest push_blob(const std::string& repo, const std::string& bytes);
  // PUTs manifest `bytes` of `media_type` under `ref` (tag or digest) of `repo`.
  Digest push_manifest(const std::string& repo, const std::string& ref, const std::string& bytes,
                       const std::string& media_type);

private:
  TokenRegistry() = default;
  registry::HttpRequest request(std::string method, std::string url, const std::string& repo) const;

  TempDir m_dir;
  std::unique_ptr<TokenServer> m_tokens;
  int m_port = 0;
  pid_t m_pid = -1;
  registry::HttpClient m_http;
};

} // namespace sifkit::test

// Starts a token-auth registry into `var`, or warns visibly and returns from the test case.
#define SIFKIT_START_TOKEN_REGISTRY(var)                                                           \
  std::string var##_skip;                                                                          \
  auto var = ::sifkit::test::TokenRegistry::start(var##_skip);                                     \
  if (!var) {                                                                                      \
    SIFKIT_SKIP(program, var##_skip);                                                              \
    return;                                                                                        \
  }
