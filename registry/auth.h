#pragma once

// Registry authentication: the WWW-Authenticate challenge and the Bearer token dance of
// the distribution spec (credentials.h finds the credentials). Nothing here puts a
// password or token into an error message.
#include <common/error.h>
#include <registry/credentials.h>
#include <registry/http.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit::registry {

// One challenge of a WWW-Authenticate header.
struct AuthChallenge {
  std::string scheme;                        // lower case: "bearer", "basic"
  std::map<std::string, std::string> params; // keys lower case: realm, service, scope
};

// Parses a WWW-Authenticate value (one or more challenges, quoted or token params);
// `corrupt_input` when malformed.
Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header);

// Answers a registry's challenges for one repository's pull scope and remembers the
// token until it expires. Thread-safe.
class Authenticator {
public:
  // For the registry at `registry_url` ("https://host[:port]"): its token realm gets the
  // credentials only over a scheme as secure as the registry's (an https registry's
  // realm over plain http only when `http` skips TLS verification, i.e. --insecure).
  Authenticator(std::optional<Credentials> credentials, std::string repository,
                const HttpClient& http, std::string registry_url);

  // The Authorization value to send now: nullopt before any challenge was seen; a
  // token about to expire is renewed first (errors as for on_unauthorized).
  Result<std::optional<std::string>> current();

  // Handles a 401 whose WWW-Authenticate is `challenge_header`: fetches a fresh token
  // (Bearer) or switches to Basic. `auth` when credentials are needed but absent, when
  // the token server refuses them, when the realm would get them over plain http from an
  // https registry, or the scheme is unknown; `network` when the token server is
  // unreachable.
  Result<void> on_unauthorized(std::string_view challenge_header);

private:
  // Both need m_mutex held.
  Result<void> answer(const AuthChallenge& challenge);
  Result<void> fetch_token(const AuthChallenge& challenge);

  std::optional<Credentials> m_credentials;
  std::string m_repository;
  const HttpClient& m_http;
  std::string m_registry_url;
  std::mutex m_mutex;
  std::optional<std::string> m_authorization;
  std::chrono::steady_clock::time_point m_expires{};
  std::optional<AuthChallenge> m_challenge;
};

} // namespace sifkit::registry
