// Pulls from a real registry through a fault-injecting proxy: reset connections, error
// statuses, short bodies and flipped bytes either end in a pull whose blobs verify or
// in a clear error, and no blob with wrong bytes is ever stored.
#include <cache/cache.h>
#include <registry/docker_source.h>
#include <registry/pull.h>

#include <filesystem>
#include <random>

#include "registry/fault_proxy.h"
#include "registry/pull_support.h"
#include "registry/registry_fixture.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace sifkit::test {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const std::string k_repo = "faults/image";

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
  Digest config;
  std::vector<Digest> layers;

  std::vector<Digest> blobs() const {
    std::vector<Digest> all{config};
    all.insert(all.end(), layers.begin(), layers.end());
    return all;
  }
};

// Pushes a config, three layers of a few hundred KiB of random bytes and their OCI
// manifest, tagged "1".
PushedImage push_image(TestRegistry& registry) {
  PushedImage image;
  json layers = json::array();
  for (std::size_t i = 0; i < 3; ++i) {
    std::string layer = random_bytes((200 + 100 * i) * 1024, 7 + static_cast<std::uint32_t>(i));
    layers.push_back(descriptor(oci::k_media_oci_layer_gzip, layer));
    image.layers.push_back(registry.push_blob(k_repo, layer));
  }
  std::string config = json{{"architecture", "amd64"},
                            {"os", "linux"},
                            {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}}
                           .dump();
  image.config = registry.push_blob(k_repo, config);
  std::string manifest = json{
      {"schemaVersion", 2},
      {"mediaType", oci::k_media_oci_manifest},
      {"config", descriptor(oci::k_media_oci_config, config)},
      {"layers", layers}}.dump();
  image.manifest =
      registry.push_manifest(k_repo, "1", manifest, std::string(oci::k_media_oci_manifest));
  return image;
}

// Short backoff so that retries take milliseconds, but a cap high enough for the
// proxy's Retry-After of 1 s to be honoured.
registry::DockerOptions fast_retries() {
  registry::DockerOptions options;
  options.insecure = true;
  options.retry_delay = std::chrono::milliseconds(10);
  options.max_retry_delay = std::chrono::seconds(2);
  return options;
}

// Pulls `reference` (repository and tag or digest) through `proxy` into `cache`.
Result<registry::PullResult> pull_through(const FaultProxy& proxy, cache::Cache& cache,
                                          const std::string& reference) {
  auto source = registry::open_docker_source(proxy.host() + "/" + reference, fast_retries());
  if (!source) {
    return std::unexpected(source.error());
  }
  registry::PullOptions options;
  options.reference_name = "docker://" + proxy.host() + "/" + reference;
  return registry::pull_image(**source, cache, options);
}

std::string error_text(const Result<registry::PullResult>& pulled) {
  return pulled ? std::string("the pull succeeded") : pulled.error().what();
}

// The exchanges for blob or manifest `digest`, in arrival order.
std::vector<ProxiedExchange> exchanges_for(const FaultProxy& proxy, const Digest& digest) {
  std::vector<ProxiedExchange> out;
  for (const auto& e : proxy.exchanges()) {
    if (e.request.target.ends_with("/" + digest.text())) {
      out.push_back(e);
    }
  }
  return out;
}

// Every blob of `image` is stored and hashes to its name; the whole cache verifies.
void check_stored(cache::Cache& cache, const PushedImage& image) {
  for (const auto& digest : image.blobs()) {
    auto found = cache.find_blob(digest);
    REQUIRE(found);
    CHECK(found->has_value());
    CHECK(Digest::of(file_bytes(cache.blob_path(digest))) == digest);
  }
  CHECK(cache_is_clean(cache));
}

// `digest` is neither indexed nor on disk, tmp/ holds nothing, the cache verifies.
void check_absent(cache::Cache& cache, const Digest& digest) {
  auto found = cache.find_blob(digest);
  REQUIRE(found);
  CHECK_FALSE(found->has_value());
  CHECK_FALSE(fs::exists(cache.blob_path(digest)));
  CHECK(fs::is_empty(cache.layout().temp_directory()));
  CHECK(cache_is_clean(cache));
}

} // namespace

TEST_CASE("connections reset mid-blob resume with Range and every stored blob verifies",
          "[registry]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  PushedImage image = push_image(*registry);
  const Digest twice = image.layers[0];
  FaultProxy proxy(registry->host(), [&](const ProxiedRequest& r) {
    bool layer = is_blob_target(r.target) && !r.target.ends_with(image.config.text());
    if (layer && r.nth == 1) {
      return Fault::reset_after(100000);
    }
    if (r.target.ends_with(twice.text()) && r.nth == 2) { // the resumed request fails too
      return Fault::reset_after(50000);
    }
    return Fault::pass();
  });
  TempDir dir;
  auto cache = open_test_cache(dir);

  auto pulled = pull_through(proxy, cache, k_repo + ":1");
  INFO("proxy exchanges:\n" << proxy.log());
  INFO(error_text(pulled));
  REQUIRE(pulled);
  CHECK(pulled->manifest_digest == image.manifest);
  for (const auto& layer : image.layers) {
    auto seen = exchanges_for(proxy, layer);
    REQUIRE(seen.size() == (layer == twice ? 3U : 2U));
    CHECK(seen[0].request.range.empty());
    for (std::size_t i = 1; i < seen.size(); ++i) { // resumed from what had arrived
      REQUIRE(seen[i].request.range.starts_with("bytes="));
      long from = std::stol(seen[i].request.range.substr(6));
      CHECK(from > 0);
      CHECK(from <= 100000 + (i == 2 ? 50000 : 0));
      CHECK(seen[i].upstream_status == 206);
    }
  }
  check_stored(cache, image);
}

TEST_CASE("503 and 429 answers are retried, honouring Retry-After, until the pull completes",
          "[registry]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  PushedImage image = push_image(*registry);
  FaultProxy proxy(registry->host(), [&](const ProxiedRequest& r) {
    if (r.nth == 1 &&
        (is_manifest_target(r.target) || r.target.ends_with(image.layers[0].text()))) {
      return Fault::http_status(503);
    }
    if (r.nth == 1 && r.target.ends_with(image.layers[1].text())) {
      return Fault::http_status(429, "1");
    }
    return Fault::pass();
  });
  TempDir dir;
  auto cache = open_test_cache(dir);

  auto pulled = pull_through(proxy, cache, k_repo + ":1");
  INFO("proxy exchanges:\n" << proxy.log());
  INFO(error_text(pulled));
  REQUIRE(pulled);
  check_stored(cache, image);
  auto limited = exchanges_for(proxy, image.layers[1]);
  REQUIRE(limited.size() == 2);
  CHECK(limited[1].at - limited[0].at >= std::chrono::milliseconds(950));
  CHECK(exchanges_for(proxy, image.layers[0]).size() == 2);
}

TEST_CASE("a blob that always answers 500 fails the pull as a network error naming it",
          "[registry]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  PushedImage image = push_image(*registry);
  const Digest broken = image.layers[1];
  FaultProxy proxy(registry->host(), [&](const ProxiedRequest& r) {
    return r.target.ends_with(broken.text()) ? Fault::http_status(500) : Fault::pass();
  });
  TempDir dir;
  auto cache = open_test_cache(dir);

  auto pulled = pull_through(proxy, cache, k_repo + ":1");
  INFO("proxy exchanges:\n" << proxy.log());
  REQUIRE_FALSE(pulled);
  INFO(pulled.error().what());
  CHECK(pulled.error().kind() == ErrorKind::network);
  CHECK_THAT(pulled.error().what(), Catch::Contains(broken.text()));
  CHECK_THAT(pulled.error().what(), Catch::Contains("HTTP 500"));
  CHECK(exchanges_for(proxy, broken).size() == 5); // DockerOptions::max_attempts
  check_absent(cache, broken);
  auto ref = cache.find_ref({"docker://" + proxy.host() + "/" + k_repo + ":1", ""});
  REQUIRE(ref);
  CHECK_FALSE(ref->has_value());
}

TEST_CASE("bodies cut short never leave a partial blob: they fail, or resume to the full blob",
          "[registry]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  PushedImage image = push_image(*registry);
  const Digest cut = image.layers[0];
  TempDir dir;
  auto cache = open_test_cache(dir);

  // Every answer for the layer lacks its last 1000 bytes: resuming never gets them.
  FaultProxy proxy(registry->host(), [&](const ProxiedRequest& r) {
    return r.target.ends_with(cut.text()) ? Fault::truncate(1000) : Fault::pass();
  });
  auto failed = pull_through(proxy, cache, k_repo + ":1");
  {
    INFO("proxy exchanges:\n" << proxy.log());
    REQUIRE_FALSE(failed);
    INFO(failed.error().what());
    CHECK(failed.error().kind() == ErrorKind::network);
    CHECK_THAT(failed.error().what(), Catch::Contains(cut.text()));
    check_absent(cache, cut);
  }

  // Cut short twice, then whole: the pull resumes to the full, verified blob.
  proxy.set_rule([&](const ProxiedRequest& r) {
    return r.target.ends_with(cut.text()) && r.nth <= 2 ? Fault::truncate(1000) : Fault::pass();
  });
  auto resumed = pull_through(proxy, cache, k_repo + ":1");
  INFO("proxy exchanges:\n" << proxy.log());
  INFO(error_text(resumed));
  REQUIRE(resumed);
  auto seen = exchanges_for(proxy, cut);
  CHECK(seen.back().request.range.starts_with("bytes="));
  check_stored(cache, image);
}

TEST_CASE("a flipped byte in a blob is corrupt_input naming it, and a clean pull then succeeds",
          "[registry]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  PushedImage image = push_image(*registry);
  const Digest flipped = image.layers[2];
  FaultProxy proxy(registry->host(), [&](const ProxiedRequest& r) {
    return r.target.ends_with(flipped.text()) && r.nth == 1 ? Fault::flip_byte(12345)
                                                            : Fault::pass();
  });
  TempDir dir;
  auto cache = open_test_cache(dir);

  auto failed = pull_through(proxy, cache, k_repo + ":1");
  {
    INFO("proxy exchanges:\n" << proxy.log());
    REQUIRE_FALSE(failed);
    INFO(failed.error().what());
    CHECK(failed.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(failed.error().what(), Catch::Contains(flipped.text()));
    check_absent(cache, flipped);
  }

  // The byte flipped in the resumed part of a reset transfer is caught as well.
  const Digest resumed = image.layers[0];
  proxy.set_rule([&](const ProxiedRequest& r) {
    if (!r.target.ends_with(resumed.text())) {
      return Fault::pass();
    }
    return r.nth == 1 ? Fault::reset_after(100000) : Fault::flip_byte(10);
  });
  TempDir other_dir;
  auto other = open_test_cache(other_dir);
  auto failed_resume = pull_through(proxy, other, k_repo + ":1");
  {
    INFO("proxy exchanges:\n" << proxy.log());
    REQUIRE_FALSE(failed_resume);
    INFO(failed_resume.error().what());
    CHECK(failed_resume.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(failed_resume.error().what(), Catch::Contains(resumed.text()));
    CHECK_FALSE(exchanges_for(proxy, resumed).back().request.range.empty());
    check_absent(other, resumed);
  }

  proxy.set_rule({});
  auto clean = pull_through(proxy, cache, k_repo + ":1");
  INFO("proxy exchanges:\n" << proxy.log());
  INFO(error_text(clean));
  REQUIRE(clean);
  check_stored(cache, image);
}

TEST_CASE("a pull pinned by digest fails when the registry sends other manifest bytes",
          "[registry]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  PushedImage image = push_image(*registry);
  FaultProxy proxy(registry->host(), [](const ProxiedRequest& r) {
    return is_manifest_target(r.target) ? Fault::flip_byte(30) : Fault::pass();
  });
  TempDir dir;
  auto cache = open_test_cache(dir);

  auto pinned = pull_through(proxy, cache, k_repo + "@" + image.manifest.text());
  INFO("proxy exchanges:\n" << proxy.log());
  REQUIRE_FALSE(pinned);
  INFO(pinned.error().what());
  CHECK(pinned.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(pinned.error().what(), Catch::Contains(image.manifest.text()));
  check_absent(cache, image.manifest);
  for (const auto& blob : image.blobs()) {
    CHECK(exchanges_for(proxy, blob).empty()); // nothing was fetched for the wrong manifest
  }

  // By tag, the registry's Docker-Content-Digest gives the change away just the same.
  auto tagged = pull_through(proxy, cache, k_repo + ":1");
  REQUIRE_FALSE(tagged);
  INFO(tagged.error().what());
  CHECK(tagged.error().kind() == ErrorKind::corrupt_input);
  CHECK(fs::is_empty(cache.layout().blob_directory(DigestAlgorithm::sha256)));
}

} // namespace sifkit::test
