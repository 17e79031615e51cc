#include "registry/token_server.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

namespace sifkit::test {

namespace {

using json = nlohmann::json;

// The JSON of a base64url part of a JWT.
json decode_part(std::string part) {
  for (auto& c : part) {
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  while (part.size() % 4 != 0) {
    part += '=';
  }
  std::string out(part.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(part.data()),
                          static_cast<int>(part.size()));
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n));
  return json::parse(out.substr(0, out.rfind('}') + 1));
}

} // namespace

TEST_CASE("the token server grants the scope asked for and refuses when told to", "[registry]") {
  TempDir dir;
  TokenServer server(dir.file("token.crt"));
  CHECK(file_bytes(dir.file("token.crt")).starts_with("-----BEGIN CERTIFICATE-----"));
  registry::HttpClient http;
  std::string url = server.realm() + "?service=" + TokenServer::k_service +
                    "&scope=" + registry::url_escape("repository:a/b:pull,push");
  auto granted = http.perform(registry::HttpRequest{.url = url});
  REQUIRE(granted);
  REQUIRE(granted->status == 200);
  json answer = json::parse(granted->body);
  CHECK(answer["expires_in"] == 300);
  std::string token = answer["token"];
  CHECK(server.tokens() == std::vector<std::string>{token});
  REQUIRE(std::count(token.begin(), token.end(), '.') == 2);
  json header = decode_part(token.substr(0, token.find('.')));
  CHECK(header["alg"] == "RS256");
  CHECK(header["x5c"].size() == 1);
  json claims =
      decode_part(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
  CHECK(claims["aud"] == TokenServer::k_service);
  CHECK(claims["iss"] == TokenServer::k_issuer);
  CHECK(claims["access"][0]["name"] == "a/b");
  CHECK(claims["access"][0]["actions"] == json{"pull", "push"});
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].scope == "repository:a/b:pull,push");
  CHECK(server.requests()[0].service == TokenServer::k_service);

  server.require_credentials({"u", "p"});
  auto anonymous = http.perform(registry::HttpRequest{.url = url});
  REQUIRE(anonymous);
  CHECK(anonymous->status == 401);
  auto with_credentials = http.perform(registry::HttpRequest{
      .url = url, .authorization = registry::basic_authorization({"u", "p"})});
  REQUIRE(with_credentials);
  CHECK(with_credentials->status == 200);
  server.set_policy(TokenPolicy::refuse);
  auto refused = http.perform(registry::HttpRequest{
      .url = url, .authorization = registry::basic_authorization({"u", "p"})});
  REQUIRE(refused);
  CHECK(refused->status == 401);
  CHECK(server.tokens_issued() == 2);
}

} // namespace sifkit::test
