// The Bearer token flow against a real registry (distribution with `auth: token`) and a
// token server of our own: the scope asked for, a token that expires mid-pull, and
// refusals that must end in `auth` errors quoting neither passwords nor tokens.
#include <cache/cache.h>
#include <registry/docker_source.h>
#include <registry/pull.h>

#include <chrono>
#include <random>
#include <thread>

#include "registry/pull_support.h"
#include "registry/token_server.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace sifkit::test {

namespace {

using json = nlohmann::json;

const std::string k_repo = "token/image";
const std::string k_user = "token-user";
const std::string k_password = "S3cret-t0ken-pa55";

std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) {
    c = static_cast<char>(rng());
  }
  return out;
}

json descriptor(std::string_view media_type, const std::string& bytes) {
  return {{"mediaType", media_type}, {"digest", Digest::of(bytes).text()}, {"size", bytes.size()}};
}

struct PushedImage {
  Digest manifest;
  std::vector<Digest> blobs; // config first, then the layers
  std::int64_t blob_bytes = 0;
};

// Pushes a config, four layers of random bytes and their OCI manifest, tagged "1".
PushedImage push_image(TokenRegistry& registry) {
  PushedImage image;
  std::string config = json{{"architecture", "amd64"},
                            {"os", "linux"},
                            {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}}
                           .dump();
  image.blobs.push_back(registry.push_blob(k_repo, config));
  image.blob_bytes += static_cast<std::int64_t>(config.size());
  json layers = json::array();
  for (std::uint32_t i = 0; i < 4; ++i) {
    std::string layer = random_bytes((64 + 32 * i) * 1024, 11 + i);
    layers.push_back(descriptor(oci::k_media_oci_layer_gzip, layer));
    image.blobs.push_back(registry.push_blob(k_repo, layer));
    image.blob_bytes += static_cast<std::int64_t>(layer.size());
  }
  std::string manifest = json{
      {"schemaVersion", 2},
      {"mediaType", oci::k_media_oci_manifest},
      {"config", descriptor(oci::k_media_oci_config, config)},
      {"layers", layers}}.dump();
  image.manifest =
      registry.push_manifest(k_repo, "1", manifest, std::string(oci::k_media_oci_manifest));
  return image;
}

Result<registry::PullResult> pull(TokenRegistry& registry, cache::Cache& cache,
                                  std::optional<std::string> credentials = std::nullopt,
                                  const registry::PullProgress& progress = {}) {
  registry::DockerOptions options;
  options.insecure = true;
  options.credentials = std::move(credentials);
  options.retry_delay = std::chrono::milliseconds(10);
  auto source = registry::open_docker_source(registry.host() + "/" + k_repo + ":1", options);
  if (!source) {
    return std::unexpected(source.error());
  }
  registry::PullOptions pull_options;
  pull_options.reference_name = "docker://" + registry.host() + "/" + k_repo + ":1";
  return registry::pull_image(**source, cache, pull_options, progress);
}

// Every blob of `image` is in `cache` and the cache verifies.
void check_pulled(cache::Cache& cache, const PushedImage& image,
                  const registry::PullResult& pulled) {
  CHECK(pulled.manifest_digest == image.manifest);
  CHECK(pulled.bytes_fetched == image.blob_bytes);
  for (const auto& digest : image.blobs) {
    auto blob = cache.find_blob(digest);
    REQUIRE(blob);
    CHECK(blob->has_value());
  }
  CHECK(cache_is_clean(cache));
}

// True when `text` contains none of the tokens `server` served, nor `secret`.
bool reveals_nothing(const std::string& text, const TokenServer& server,
                     const std::string& secret) {
  if (!secret.empty() && text.find(secret) != std::string::npos) {
    return false;
  }
  for (const auto& token : server.tokens()) {
    if (text.find(token) != std::string::npos ||
        text.find(token.substr(token.rfind('.') + 1)) != std::string::npos) {
      return false;
    }
  }
  return true;
}

} // namespace

TEST_CASE("pulls through a token-auth registry with a token for the pull scope of its service",
          "[registry]") {
  SIFKIT_START_TOKEN_REGISTRY(registry);
  PushedImage image = push_image(*registry);
  TempDir dir;
  auto cache = open_test_cache(dir);

  auto pulled = pull(*registry, cache);
  INFO(registry->log());
  REQUIRE(pulled);
  check_pulled(cache, image, *pulled);
  auto requests = registry->token_server().requests();
  REQUIRE(!requests.empty());
  for (const auto& request : requests) {
    CHECK(request.service == TokenServer::k_service);
    CHECK(request.scope == "repository:" + k_repo + ":pull");
    CHECK(request.authorization.empty()); // anonymous: no credentials were given
  }
  // One token serves the whole pull while it is valid.
  CHECK(registry->token_server().tokens_issued() == 1);
}

TEST_CASE("a token that expires mid-pull is replaced and the pull completes", "[registry]") {
  SIFKIT_START_TOKEN_REGISTRY(registry);
  PushedImage image = push_image(*registry);
  TempDir dir;
  auto cache = open_test_cache(dir);
  TokenServer& tokens = registry->token_server();
  tokens.set_lifetime(std::chrono::seconds(2));

  // The manifest is fetched with the short-lived token; the first blob waits until the
  // registry no longer accepts it (progress calls are serialised, so every blob waits).
  // Progress may come from worker threads, where Catch2 must not be called.
  bool paused = false;
  int issued_before_pause = 0;
  auto progress = [&](const registry::PullEvent& event) {
    if (event.kind == registry::PullEvent::Kind::blob_started && !paused) {
      paused = true;
      issued_before_pause = tokens.tokens_issued();
      std::this_thread::sleep_for(std::chrono::seconds(3));
      tokens.set_lifetime(std::chrono::seconds(300));
    }
  };
  auto pulled = pull(*registry, cache, std::nullopt, progress);
  INFO(registry->log());
  REQUIRE(pulled);
  CHECK(paused);
  CHECK(issued_before_pause == 1);
  check_pulled(cache, image, *pulled);
  CHECK(tokens.tokens_issued() >= 2);
  for (const auto& request : tokens.requests()) {
    CHECK(request.scope == "repository:" + k_repo + ":pull");
  }
}

TEST_CASE("a token server that wants credentials gets them as Basic and refuses wrong ones",
          "[registry]") {
  SIFKIT_START_TOKEN_REGISTRY(registry);
  PushedImage image = push_image(*registry);
  TokenServer& tokens = registry->token_server();
  tokens.require_credentials({k_user, k_password});
  TempDir dir;
  auto cache = open_test_cache(dir);

  SECTION("anonymous") {
    auto pulled = pull(*registry, cache);
    REQUIRE(!pulled);
    CHECK(pulled.error().kind() == ErrorKind::auth);
    CHECK_THAT(pulled.error().what(), Catch::Contains("credentials needed"));
  }
  SECTION("wrong password") {
    auto pulled = pull(*registry, cache, k_user + ":wrong-" + k_password);
    REQUIRE(!pulled);
    CHECK(pulled.error().kind() == ErrorKind::auth);
    std::string text = pulled.error().what();
    CHECK_THAT(text, Catch::Contains("token server refused the credentials"));
    CHECK(reveals_nothing(text, tokens, k_password));
    CHECK(text.find(k_user + ":") == std::string::npos);
    CHECK(tokens.tokens_issued() == 0);
  }
  SECTION("right password") {
    auto pulled = pull(*registry, cache, k_user + ":" + k_password);
    INFO(registry->log());
    REQUIRE(pulled);
    check_pulled(cache, image, *pulled);
    REQUIRE(!tokens.requests().empty());
    CHECK(tokens.requests().front().authorization ==
          registry::basic_authorization({k_user, k_password}));
  }
}

TEST_CASE("a token the registry does not accept ends in an auth error that does not quote it",
          "[registry]") {
  SIFKIT_START_TOKEN_REGISTRY(registry);
  push_image(*registry);
  TokenServer& tokens = registry->token_server();
  tokens.set_policy(TokenPolicy::grant_without_access);
  TempDir dir;
  auto cache = open_test_cache(dir);

  auto pulled = pull(*registry, cache, k_user + ":" + k_password);
  REQUIRE(!pulled);
  CHECK(pulled.error().kind() == ErrorKind::auth);
  std::string text = pulled.error().what();
  CHECK_THAT(text, Catch::Contains("refused"));
  CHECK(tokens.tokens_issued() >= 1);
  CHECK(reveals_nothing(text, tokens, k_password));
}

TEST_CASE("sif-pull against a refusing token server exits with the auth code and no secrets",
          "[registry]") {
  SIFKIT_START_TOKEN_REGISTRY(registry);
  push_image(*registry);
  TokenServer& tokens = registry->token_server();
  tokens.require_credentials({k_user, k_password});
  TempDir dir;
  std::string command = "'" + tool("sif-pull") + "' --cache '" + dir.file("cache") +
                        "' --insecure --quiet --json docker://" + registry->host() + "/" + k_repo +
                        ":1";

  auto refused = run_command(command + " --creds '" + k_user + ":wrong-" + k_password + "'");
  INFO(refused.err);
  CHECK(refused.exit_code == 9); // docs/exit-codes.md: auth
  CHECK_THAT(refused.err, Catch::Contains("refused"));
  CHECK(reveals_nothing(refused.out + refused.err, tokens, k_password));

  tokens.set_policy(TokenPolicy::grant_without_access);
  auto rejected = run_command(command + " --creds '" + k_user + ":" + k_password + "'");
  INFO(rejected.err);
  CHECK(rejected.exit_code == 9);
  CHECK(tokens.tokens_issued() >= 1);
  CHECK(reveals_nothing(rejected.out + rejected.err, tokens, k_password));

  tokens.set_policy(TokenPolicy::grant);
  auto granted = run_command(command + " --creds '" + k_user + ":" + k_password + "'");
  INFO(granted.err);
  REQUIRE(granted.exit_code == 0);
  CHECK(json::parse(granted.out)["manifest"].is_string());
  CHECK(reveals_nothing(granted.out + granted.err, tokens, k_password));
}

} // namespace sifkit::test
