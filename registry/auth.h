#pragma once

// Registry authentication: where credentials come from (an explicit user:password, an
// auth file, Docker's config.json and its credential helpers), the WWW-Authenticate
// challenge, and the Bearer token dance of the distribution spec. Nothing here puts a
// password or token into an error message.
#include <common/error.h>
#include <registry/http.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit::registry {

struct Credentials {
  std::string username;
  std::string password;
};

// Parses "user:password" (the password may contain ':'); `usage` when there is no ':'
// or the user name is empty. The error never quotes `text`.
Result<Credentials> parse_credentials(std::string_view text);

struct CredentialLookup {
  std::optional<std::string> explicit_credentials; // "user:password", wins over files
  std::string auth_file; // a config.json/auth.json; else $REGISTRY_AUTH_FILE, else
                         // $DOCKER_CONFIG/config.json, else ~/.docker/config.json
};

// The credentials for registry `domain` ("docker.io", "host:5000"), if any. Reads the
// first existing auth file: `auths` entries (base64 `auth` or `username`/`password`),
// `credHelpers`/`credsStore` through `docker-credential-<name> get`. Fails with `usage`
// for malformed explicit credentials, `corrupt_input` for a malformed file, `auth` when
// a helper fails other than with "not found".
Result<std::optional<Credentials>> find_credentials(std::string_view domain,
                                                    const CredentialLookup& lookup);

// Runs `docker-credential-<helper> get` (found on $PATH, no shell) with `server` on its
// stdin; nullopt when the helper says it has no credentials for it.
Result<std::optional<Credentials>> run_credential_helper(const std::string& helper,
                                                         const std::string& server);

// One challenge of a WWW-Authenticate header.
struct AuthChallenge {
  std::string scheme;                        // lower case: "bearer", "basic"
  std::map<std::string, std::string> params; // keys lower case: realm, service, scope
};

// Parses a WWW-Authenticate value (one or more challenges, quoted or token params);
// `corrupt_input` when malformed.
Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header);

// "Basic <base64(user:password)>".
std::string basic_authorization(const Credentials& credentials);

// Answers a registry's challenges for one repository's pull scope and remembers the
// token until it expires. Thread-safe.
class Authenticator {
public:
  Authenticator(std::optional<Credentials> credentials, std::string repository,
                const HttpClient& http);

  // The Authorization value to send now: nullopt before any challenge was seen; a
  // token about to expire is renewed first (errors as for on_unauthorized).
  Result<std::optional<std::string>> current();

  // Handles a 401 whose WWW-Authenticate is `challenge_header`: fetches a fresh token
  // (Bearer) or switches to Basic. `auth` when credentials are needed but absent, when
  // the token server refuses them, or the scheme is unknown; `network` when the token
  // server is unreachable.
  Result<void> on_unauthorized(std::string_view challenge_header);

private:
  // Both need m_mutex held.
  Result<void> answer(const AuthChallenge& challenge);
  Result<void> fetch_token(const AuthChallenge& challenge);

  std::optional<Credentials> m_credentials;
  std::string m_repository;
  const HttpClient& m_http;
  std::mutex m_mutex;
  std::optional<std::string> m_authorization;
  std::chrono::steady_clock::time_point m_expires{};
  std::optional<AuthChallenge> m_challenge;
};

} // namespace sifkit::registry
