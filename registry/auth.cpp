#include <common/text.h>
#include <common/text_escape.h>
#include <registry/auth.h>

#include <algorithm>
#include <cctype>

#include "registry/json_member.h"
#include <nlohmann/json.hpp>

namespace sifkit::registry {

namespace {

using json = nlohmann::json;

constexpr auto k_token_margin = std::chrono::seconds(10);

} // namespace

Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header) {
  std::vector<AuthChallenge> out;
  std::size_t pos = 0;
  auto skip = [&](std::string_view chars) {
    while (pos < header.size() && chars.find(header[pos]) != std::string_view::npos) {
      ++pos;
    }
  };
  auto token = [&] {
    std::size_t start = pos;
    while (pos < header.size() &&
           std::string_view(" \t,=\"").find(header[pos]) == std::string_view::npos) {
      ++pos;
    }
    return std::string(header.substr(start, pos - start));
  };
  auto bad = [](std::string why) {
    return fail(ErrorKind::corrupt_input, "malformed WWW-Authenticate header: " + std::move(why));
  };
  while (true) {
    skip(" \t,");
    if (pos >= header.size()) {
      break;
    }
    std::string word = token();
    if (word.empty()) {
      return bad("unexpected character");
    }
    skip(" \t");
    if (pos < header.size() && header[pos] == '=') {
      if (out.empty()) {
        return bad("parameter before any scheme");
      }
      ++pos;
      skip(" \t");
      std::string value;
      if (pos < header.size() && header[pos] == '"') {
        ++pos;
        bool closed = false;
        while (pos < header.size()) {
          char c = header[pos++];
          if (c == '\\' && pos < header.size()) {
            value += header[pos++];
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            value += c;
          }
        }
        if (!closed) {
          return bad("unterminated quoted string");
        }
      } else {
        value = token();
      }
      out.back().params[ascii_lower(word)] = value;
    } else {
      out.push_back(AuthChallenge{ascii_lower(word), {}});
    }
  }
  if (out.empty()) {
    return bad("no challenge");
  }
  return out;
}

Authenticator::Authenticator(std::optional<Credentials> credentials, std::string repository,
                             const HttpClient& http, std::string registry_url)
    : m_credentials(std::move(credentials)), m_repository(std::move(repository)), m_http(http),
      m_registry_url(std::move(registry_url)) {}

Result<std::optional<std::string>> Authenticator::current() {
  std::lock_guard lock(m_mutex);
  if (m_challenge && m_challenge->scheme == "bearer" &&
      std::chrono::steady_clock::now() >= m_expires) {
    SIFKIT_TRY(fetch_token(*m_challenge));
  }
  return m_authorization;
}

Result<void> Authenticator::on_unauthorized(std::string_view challenge_header) {
  SIFKIT_TRY_ASSIGN(auto challenges, parse_www_authenticate(challenge_header));
  std::lock_guard lock(m_mutex);
  for (const auto& scheme : {"bearer", "basic"}) {
    for (const auto& c : challenges) {
      if (c.scheme == scheme) {
        return answer(c);
      }
    }
  }
  return fail(ErrorKind::auth, "registry asks for unsupported authentication \"" +
                                   escape_control(challenges.front().scheme) + "\"");
}

Result<void> Authenticator::answer(const AuthChallenge& challenge) {
  m_challenge = challenge;
  if (challenge.scheme == "bearer") {
    return fetch_token(challenge);
  }
  if (!m_credentials) {
    return fail(ErrorKind::auth, "the registry requires credentials and none were found");
  }
  m_authorization = basic_authorization(*m_credentials);
  return {};
}

Result<void> Authenticator::fetch_token(const AuthChallenge& challenge) {
  auto realm = challenge.params.find("realm");
  if (realm == challenge.params.end() ||
      !(realm->second.starts_with("https://") || realm->second.starts_with("http://"))) {
    return fail(ErrorKind::corrupt_input, "Bearer challenge without an http(s) realm");
  }
  std::string url = realm->second + (realm->second.find('?') == std::string::npos ? "?" : "&");
  if (auto service = challenge.params.find("service"); service != challenge.params.end()) {
    url += "service=" + url_escape(service->second) + "&";
  }
  url += "scope=" + url_escape("repository:" + m_repository + ":pull");
  // Credentials go no less protected to the token server than to the registry: a realm
  // on plain http named by an https registry would see them in the clear.
  bool downgrade = m_registry_url.starts_with("https://") &&
                   !realm->second.starts_with("https://") &&
                   m_http.options().tls_verify == TlsVerify::yes;
  if (downgrade && m_credentials) {
    return fail(ErrorKind::auth, "the https registry's token realm " +
                                     escape_control(realm->second) +
                                     " is plain http: refusing to send the credentials there in "
                                     "the clear (--insecure allows it)");
  }
  HttpRequest request;
  request.url = url;
  if (m_credentials) {
    request.authorization = basic_authorization(*m_credentials);
  }
  SIFKIT_TRY_ASSIGN(auto response,
                    with_context(m_http.perform(request), "requesting a registry token"));
  if (response.status == 401 || response.status == 403) {
    return fail(ErrorKind::auth,
                m_credentials ? "the token server refused the credentials"
                              : "the token server refused anonymous access; credentials needed");
  }
  if (response.status != 200) {
    return std::unexpected(http_status_error(response, "requesting a registry token"));
  }
  json doc = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  std::string token = doc.is_object() ? string_member(doc, "token") : std::string();
  if (token.empty() && doc.is_object()) {
    token = string_member(doc, "access_token");
  }
  if (token.empty()) {
    return fail(ErrorKind::corrupt_input, "the token server answered without a token");
  }
  std::int64_t expires_in = 60; // the spec's default, also its minimum
  if (doc.contains("expires_in") && doc["expires_in"].is_number_integer()) {
    expires_in = std::max<std::int64_t>(60, doc["expires_in"].get<std::int64_t>());
  }
  m_authorization = "Bearer " + token;
  m_expires = std::chrono::steady_clock::now() + std::chrono::seconds(expires_in) - k_token_margin;
  return {};
}

} // namespace sifkit::registry
