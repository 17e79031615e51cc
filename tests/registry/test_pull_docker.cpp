#include <filesystem>

#include "pull_support.h"
#include "registry_fixture.h"
#include <nlohmann/json.hpp>

using namespace sifkit;
using namespace sifkit::test;
namespace fs = std::filesystem;

namespace {

// Pushes the multi-arch fixture to `registry` as `repo:tag`: every blob, every platform
// manifest by digest, then the manifest list under the tag.
void push_manifest_list(TestRegistry& registry, const std::string& repo, const std::string& tag) {
  std::string layout = image_fixture("hello-world-docker-v2-manifest-list");
  for (const auto& file : fs::directory_iterator(layout + "/blobs/sha256")) {
    registry.push_blob(repo, file_bytes(file.path().string()));
  }
  std::string list_hex = "00e1ee7c898a2c393ea2fe7680938f8dcbe55e51fbf08032cf37326a677f92ed";
  std::string list = file_bytes(layout + "/blobs/sha256/" + list_hex);
  auto parsed = nlohmann::json::parse(list); // a temporary would die before the loop
  for (const auto& entry : parsed["manifests"]) {
    std::string digest = entry["digest"];
    registry.push_manifest(repo, digest, file_bytes(layout + "/blobs/sha256/" + digest.substr(7)),
                           entry["mediaType"]);
  }
  registry.push_manifest(repo, tag, list, std::string(oci::k_media_docker_manifest_list));
}

} // namespace

TEST_CASE("pulls a multi-arch image from a registry and re-pulls without fetching", "[pull]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  push_manifest_list(*registry, "hello/world", "1");
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto reference = registry::parse_reference("docker://" + registry->host() + "/hello/world:1");
  REQUIRE(reference);
  registry::RegistryOptions options;
  options.insecure = true;
  registry::PullOptions pull_options;
  pull_options.reference_name = reference->canonical();
  pull_options.platform = *oci::Platform::parse("linux/arm64/v8");

  auto source = registry::open_source(*reference, options);
  REQUIRE(source);
  auto first = registry::pull_image(**source, cache, pull_options);
  REQUIRE(first);
  CHECK(first->manifest_digest.text() ==
        "sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338");
  CHECK(first->bytes_fetched == 1485 + 3208);

  auto again = registry::open_source(*reference, options);
  REQUIRE(again);
  auto second = registry::pull_image(**again, cache, pull_options);
  REQUIRE(second);
  CHECK(second->bytes_fetched == 0);
  auto ref = cache.find_ref({reference->canonical(), "linux/arm64/v8"});
  REQUIRE(ref);
  REQUIRE(*ref);
  CHECK((*ref)->manifest == first->manifest_digest);
  CHECK(cache_is_clean(cache));

  // The tool, end to end.
  auto tool =
      run_command("'" + sifkit::test::tool("sif-pull") + "' --cache '" + dir.file("cache2") +
                  "' --insecure --quiet --json --platform linux/amd64 docker://" +
                  registry->host() + "/hello/world:1");
  INFO(tool.err);
  REQUIRE(tool.exit_code == 0);
  auto summary = nlohmann::json::parse(tool.out);
  CHECK(summary["manifest"] ==
        "sha256:f54a58bc1aac5ea1a25d796ae155dc228b3f0e11d046ae276b39c4bf2f13d8c4");
}
