#pragma once

// Where registry credentials come from: an explicit user:password, an auth file,
// Docker's config.json and its credential helpers. No error quotes a password, a token
// or the bytes of an auth file.
#include <common/error.h>

#include <optional>
#include <string>
#include <string_view>

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

// "Basic <base64(user:password)>".
std::string basic_authorization(const Credentials& credentials);

} // namespace sifkit::registry
