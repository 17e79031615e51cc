#include <common/file.h>
#include <common/process.h>
#include <common/program.h>
#include <common/text.h>
#include <registry/credentials.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "registry/json_member.h"
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sifkit::registry {

namespace {

using json = nlohmann::json;

constexpr std::int64_t k_max_auth_file = 1024 * 1024;

// An auths/credHelpers key ("https://index.docker.io/v1/", "host:5000") as a domain.
std::string normalise_key(std::string_view key) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (key.starts_with(scheme)) {
      key.remove_prefix(scheme.size());
    }
  }
  key = key.substr(0, key.find('/'));
  std::string out = ascii_lower(std::string(key));
  if (out == "index.docker.io" || out == "registry-1.docker.io") {
    out = "docker.io";
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) {
    return std::nullopt;
  }
  std::size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && padding < 2; ++it) {
    ++padding;
  }
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The file to read credentials from, or empty when none exists.
Result<std::string> pick_auth_file(const CredentialLookup& lookup) {
  if (!lookup.auth_file.empty()) {
    if (::access(lookup.auth_file.c_str(), F_OK) != 0) {
      return fail(ErrorKind::not_found, "auth file " + lookup.auth_file + " does not exist");
    }
    return lookup.auth_file;
  }
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("REGISTRY_AUTH_FILE"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  }
  if (const char* env = std::getenv("DOCKER_CONFIG"); env != nullptr && *env != '\0') {
    candidates.push_back(std::string(env) + "/config.json");
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    candidates.push_back(std::string(home) + "/.docker/config.json");
  }
  for (const auto& path : candidates) {
    if (::access(path.c_str(), F_OK) == 0) {
      return path;
    }
  }
  return std::string();
}

Result<json> read_auth_file(const std::string& path) {
  SIFKIT_TRY_ASSIGN(auto text, read_file(path, static_cast<std::size_t>(k_max_auth_file)));
  // Parse errors are reported without nlohmann's message: it quotes the bytes it read,
  // which may be a secret.
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return fail(ErrorKind::corrupt_input, path + " is not a JSON object");
  }
  return doc;
}

// Looks `domain` up in a member of `doc` keyed by registry (auths, credHelpers).
const json* find_by_domain(const json& doc, const char* member, std::string_view domain) {
  auto it = doc.find(member);
  if (it == doc.end() || !it->is_object()) {
    return nullptr;
  }
  for (auto entry = it->begin(); entry != it->end(); ++entry) {
    if (normalise_key(entry.key()) == domain) {
      return &entry.value();
    }
  }
  return nullptr;
}

Result<std::optional<Credentials>> from_auths_entry(const json& entry, const std::string& path,
                                                    std::string_view domain) {
  std::string what = "auths entry for " + std::string(domain) + " in " + path;
  if (!entry.is_object()) {
    return fail(ErrorKind::corrupt_input, what + " is not an object");
  }
  if (std::string auth = string_member(entry, "auth"); !auth.empty()) {
    auto decoded = base64_decode(auth);
    if (!decoded) {
      return fail(ErrorKind::corrupt_input, what + ": \"auth\" is not valid base64");
    }
    auto creds = parse_credentials(*decoded);
    if (!creds) {
      return fail(ErrorKind::corrupt_input, what + ": \"auth\" is not base64 of user:password");
    }
    return std::optional<Credentials>(*creds);
  }
  std::string user = string_member(entry, "username");
  if (!user.empty()) {
    return std::optional<Credentials>(Credentials{user, string_member(entry, "password")});
  }
  return std::optional<Credentials>();
}

// The server name credential helpers know a registry by.
std::string helper_server(std::string_view domain) {
  return domain == "docker.io" ? "https://index.docker.io/v1/" : std::string(domain);
}

} // namespace

Result<Credentials> parse_credentials(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(ErrorKind::usage, "credentials must be given as USER:PASSWORD");
  }
  return Credentials{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

Result<std::optional<Credentials>> find_credentials(std::string_view domain,
                                                    const CredentialLookup& lookup) {
  if (lookup.explicit_credentials) {
    SIFKIT_TRY_ASSIGN(auto creds, parse_credentials(*lookup.explicit_credentials));
    return std::optional<Credentials>(creds);
  }
  SIFKIT_TRY_ASSIGN(auto path, pick_auth_file(lookup));
  if (path.empty()) {
    return std::optional<Credentials>();
  }
  SIFKIT_TRY_ASSIGN(auto doc, read_auth_file(path));
  std::string key = normalise_key(domain);
  if (const json* helper = find_by_domain(doc, "credHelpers", key);
      helper != nullptr && helper->is_string()) {
    return run_credential_helper(helper->get<std::string>(), helper_server(key));
  }
  if (const json* entry = find_by_domain(doc, "auths", key); entry != nullptr) {
    auto creds = from_auths_entry(*entry, path, key);
    if (!creds || creds->has_value()) {
      return creds;
    }
  }
  if (std::string store = string_member(doc, "credsStore"); !store.empty()) {
    return run_credential_helper(store, helper_server(key));
  }
  return std::optional<Credentials>();
}

Result<std::optional<Credentials>> run_credential_helper(const std::string& helper,
                                                         const std::string& server) {
  std::string program = "docker-credential-" + helper;
  if (helper.empty() || helper.find('/') != std::string::npos) {
    return fail(ErrorKind::usage, "invalid credential helper name \"" + helper + "\"");
  }
  auto path = find_program(program);
  if (!path) {
    return fail(ErrorKind::auth,
                "cannot run credential helper " + program + ": " + path.error().message());
  }
  // A socket pair, not a pipe, for stdin: send() with MSG_NOSIGNAL cannot raise SIGPIPE
  // when the helper exits without reading.
  SIFKIT_TRY_ASSIGN(auto in_pair, make_socket_pair(SOCK_STREAM));
  auto& [in_parent, in_child] = in_pair;
  SIFKIT_TRY_ASSIGN(auto out_pipe, make_pipe());
  SpawnOptions options;
  options.in = Redirect::to(in_child.get());
  options.out = Redirect::to(out_pipe.write.get());
  options.err = Redirect::null();
  auto child = spawn({*path, "get"}, options);
  if (!child) {
    return fail(ErrorKind::auth,
                "cannot run credential helper " + program + ": " + child.error().message());
  }
  in_child.reset();
  out_pipe.write.reset();
  ::send(in_parent.get(), server.data(), server.size(), MSG_NOSIGNAL);
  ::shutdown(in_parent.get(), SHUT_WR);

  std::string output;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(out_pipe.read.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    if (output.size() < static_cast<std::size_t>(k_max_auth_file)) {
      output.append(buf, static_cast<std::size_t>(n));
    }
  }
  auto status = child->wait();
  if (!status || !status->success()) {
    if (output.find("credentials not found") != std::string::npos) {
      return std::optional<Credentials>(); // the helper protocol's "no entry" answer
    }
    return fail(ErrorKind::auth, "credential helper " + program + " failed for " + server);
  }
  json doc = json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return fail(ErrorKind::corrupt_input,
                "credential helper " + program + " printed no JSON object");
  }
  std::string user = string_member(doc, "Username");
  if (user.empty() || user == "<token>") {
    return std::optional<Credentials>(); // identity tokens are not supported
  }
  return std::optional<Credentials>(Credentials{user, string_member(doc, "Secret")});
}

std::string basic_authorization(const Credentials& credentials) {
  return "Basic " + base64_encode(credentials.username + ":" + credentials.password);
}

} // namespace sifkit::registry
