#include <registry/auth.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/fixtures.h"
#include "support/scoped_env.h"
#include "token_server.h"
#include <catch2/catch.hpp>

namespace sifkit::registry {

namespace {

using test::ScopedEnv;

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

} // namespace

TEST_CASE("explicit credentials split at the first colon and are never quoted", "[registry]") {
  auto c = parse_credentials("user:pa:ss");
  REQUIRE(c);
  CHECK(c->username == "user");
  CHECK(c->password == "pa:ss");
  auto bad = parse_credentials("secretwithoutcolon");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind() == ErrorKind::usage);
  CHECK_THAT(bad.error().what(), !Catch::Contains("secretwithoutcolon"));
  CHECK_FALSE(parse_credentials(":pass"));
}

TEST_CASE("WWW-Authenticate challenges are parsed with quoted and bare parameters", "[registry]") {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",)"
      R"(scope="repository:a/b:pull,push", Basic realm=plain)");
  REQUIRE(c);
  REQUIRE(c->size() == 2);
  CHECK((*c)[0].scheme == "bearer");
  CHECK((*c)[0].params.at("realm") == "https://auth.example.com/token");
  CHECK((*c)[0].params.at("service") == "registry.example.com");
  CHECK((*c)[0].params.at("scope") == "repository:a/b:pull,push");
  CHECK((*c)[1].scheme == "basic");
  CHECK((*c)[1].params.at("realm") == "plain");

  auto escaped = parse_www_authenticate(R"(Basic Realm="a \"q\" b")");
  REQUIRE(escaped);
  CHECK((*escaped)[0].params.at("realm") == R"(a "q" b)");

  for (const char* bad : {"", "realm=x", R"(Bearer realm="open)"}) {
    INFO(bad);
    auto r = parse_www_authenticate(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::corrupt_input);
  }
}

TEST_CASE("Basic authorization is base64 of user:password", "[registry]") {
  CHECK(basic_authorization({"Aladdin", "open sesame"}) == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST_CASE("credentials are read from the auths of an auth file", "[registry]") {
  test::TempDir dir;
  std::string file = dir.file("auth.json");
  // base64("alice:s3cr:et") and a username/password entry; keys in several spellings.
  write_file(file, R"({"auths": {
      "https://index.docker.io/v1/": {"auth": "YWxpY2U6czNjcjpldA=="},
      "http://reg.example.com:5000/v2/": {"username": "bob", "password": "pw"},
      "broken.example.com": {"auth": "!!!"}}})");
  CredentialLookup lookup{std::nullopt, file};

  auto hub = find_credentials("docker.io", lookup);
  REQUIRE(hub);
  REQUIRE(hub->has_value());
  CHECK((*hub)->username == "alice");
  CHECK((*hub)->password == "s3cr:et");

  auto other = find_credentials("reg.example.com:5000", lookup);
  REQUIRE(other);
  REQUIRE(other->has_value());
  CHECK((*other)->username == "bob");

  auto none = find_credentials("quay.io", lookup);
  REQUIRE(none);
  CHECK_FALSE(none->has_value());

  auto broken = find_credentials("broken.example.com", lookup);
  REQUIRE_FALSE(broken);
  CHECK(broken.error().kind() == ErrorKind::corrupt_input);

  auto explicit_wins = find_credentials("docker.io", {std::string("x:y"), file});
  REQUIRE(explicit_wins);
  CHECK((*explicit_wins)->username == "x");
}

TEST_CASE("$REGISTRY_AUTH_FILE is used when no file is given", "[registry]") {
  test::TempDir dir;
  write_file(dir.file("a.json"), R"({"auths": {"host.test": {"username": "u", "password": "p"}}})");
  ScopedEnv env("REGISTRY_AUTH_FILE", dir.file("a.json"));
  auto c = find_credentials("host.test", {});
  REQUIRE(c);
  REQUIRE(c->has_value());
  CHECK((*c)->password == "p");
}

TEST_CASE("a malformed auth file is reported without quoting its bytes", "[registry]") {
  test::TempDir dir;
  write_file(dir.file("a.json"), R"({"auths": {"h": {"auth": "topsecretvalue)");
  auto c = find_credentials("h", {std::nullopt, dir.file("a.json")});
  REQUIRE_FALSE(c);
  CHECK(c.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(c.error().what(), !Catch::Contains("topsecret"));
  auto missing = find_credentials("h", {std::nullopt, dir.file("nope.json")});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == ErrorKind::not_found);
}

TEST_CASE("credential helpers are run without a shell, with the server on stdin", "[registry]") {
  test::TempDir dir;
  // A helper that answers for one server only, the way docker-credential-* do.
  write_file(
      dir.file("docker-credential-sifkittest"),
      "#!/bin/sh\n"
      "[ \"$1\" = get ] || exit 2\n"
      "read server\n"
      "case \"$server\" in\n"
      "  helper.test|https://index.docker.io/v1/)\n"
      "    printf '{\"ServerURL\":\"%s\",\"Username\":\"hu\",\"Secret\":\"hs\"}' \"$server\" ;;\n"
      "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
      "esac\n");
  std::filesystem::permissions(dir.file("docker-credential-sifkittest"),
                               std::filesystem::perms::owner_all);
  ScopedEnv path("PATH", dir.path().string() + ":" + std::getenv("PATH"));
  write_file(dir.file("config.json"),
             R"({"credHelpers": {"helper.test": "sifkittest"}, "credsStore": "sifkittest",
                 "auths": {"plain.test": {"username": "pu", "password": "pp"}}})");
  CredentialLookup lookup{std::nullopt, dir.file("config.json")};

  auto via_helper = find_credentials("helper.test", lookup);
  REQUIRE(via_helper);
  REQUIRE(via_helper->has_value());
  CHECK((*via_helper)->username == "hu");
  CHECK((*via_helper)->password == "hs");

  auto plain = find_credentials("plain.test", lookup); // auths entry before credsStore
  REQUIRE(plain);
  CHECK((*plain)->username == "pu");

  auto store = find_credentials("docker.io", lookup); // credsStore, Hub's server name
  REQUIRE(store);
  REQUIRE(store->has_value());
  CHECK((*store)->username == "hu");

  auto unknown = find_credentials("other.test", lookup);
  REQUIRE(unknown);
  CHECK_FALSE(unknown->has_value());

  auto missing = run_credential_helper("sifkit-no-such-helper", "x");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == ErrorKind::auth);
}

TEST_CASE("an https registry's plain-http token realm gets no credentials unless insecure",
          "[registry][token][hostile]") {
  test::TempDir dir;
  test::TokenServer tokens(dir.file("token.crt"));
  const std::string challenge =
      "Bearer realm=\"" + tokens.realm() + "\",service=\"" + test::TokenServer::k_service + "\"";
  const Credentials credentials{"user", "cleartext-secret"};

  HttpClient verified;
  Authenticator refusing(credentials, "r/x", verified, "https://registry.example");
  auto refused = refusing.on_unauthorized(challenge);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind() == ErrorKind::auth);
  CHECK_THAT(refused.error().what(), Catch::Contains(tokens.realm()));
  CHECK_THAT(refused.error().what(), !Catch::Contains("cleartext-secret"));
  CHECK(tokens.requests().empty());

  Authenticator anonymous(std::nullopt, "r/x", verified, "https://registry.example");
  REQUIRE(anonymous.on_unauthorized(challenge));
  REQUIRE(tokens.requests().size() == 1);
  CHECK(tokens.requests()[0].authorization.empty());

  HttpClient insecure(HttpOptions{.tls_verify = TlsVerify::no});
  Authenticator allowed(credentials, "r/x", insecure, "https://registry.example");
  REQUIRE(allowed.on_unauthorized(challenge));
  REQUIRE(tokens.requests().size() == 2);
  CHECK(tokens.requests()[1].authorization == basic_authorization(credentials));

  Authenticator plain_registry(credentials, "r/x", verified, "http://registry.example");
  REQUIRE(plain_registry.on_unauthorized(challenge));
  CHECK(tokens.requests().size() == 3);
}

} // namespace sifkit::registry
