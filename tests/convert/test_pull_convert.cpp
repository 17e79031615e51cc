// convert/pull_convert: an image converted while its layers download gives the OCI-SIF
// a conversion from the cache gives, and a layer that does not match its digest fails it
// without leaving anything of the layer or the conversion in the cache.
#include <convert/pull_convert.h>

#include <filesystem>
#include <string>

#include "convert/image_builder.h"
#include "registry/pull_support.h"
#include "registry/registry_fixture.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sifkit;
using namespace sifkit::test;

namespace fs = std::filesystem;

namespace {

// Pushes the OCI layout `image` as `repo:1`: every blob, then its manifest under the tag.
// Returns the manifest's digest.
Digest push_image(TestRegistry& registry, const std::string& repo, const OciImage& image) {
  for (const auto& file : fs::directory_iterator(image.dir + "/blobs/sha256")) {
    registry.push_blob(repo, file_bytes(file.path().string()));
  }
  auto index = nlohmann::json::parse(file_bytes(image.dir + "/index.json"));
  std::string digest = index["manifests"][0]["digest"];
  return registry.push_manifest(repo, "1",
                                file_bytes(image.dir + "/blobs/sha256/" + digest.substr(7)),
                                std::string(oci::k_media_oci_manifest));
}

// Three layers: a base one of several MiB (it streams in over many reads), a file
// replaced and a file deleted above it.
std::vector<Layer> three_layers() {
  std::string big;
  for (int i = 0; big.size() < (6 << 20); ++i) {
    big += "row " + std::to_string(i * 7919 % 100003) + " of the base layer\n";
  }
  Layer base{tar_dir("etc"), tar_file("etc/os-release", "base\n"), tar_file("usr/big", big),
             tar_file("etc/gone", "deleted above\n")};
  Layer middle{tar_file("etc/os-release", "middle\n"), tar_whiteout("etc", "gone")};
  Layer top{tar_file("hello.txt", "hello\n")};
  return {base, middle, top};
}

convert::ReferenceOptions reference_options(const std::string& cache_dir) {
  convert::ReferenceOptions options;
  options.cache_dir = cache_dir;
  options.registry.insecure = true;
  return options;
}

} // namespace

TEST_CASE("an image converted while its layers download gives the OCI-SIF a conversion of "
          "the cached layers gives",
          "[convert][pull]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  TempDir dir;
  OciImage image = write_oci_image(dir.file("layout"), three_layers());
  Digest manifest = push_image(*registry, "streamed/image", image);
  std::string text = "docker://" + registry->host() + "/streamed/image:1";

  auto streaming = reference_options(dir.file("streamed-cache"));
  auto opened = convert::open_reference(text, streaming);
  REQUIRE(opened);
  int pulled_calls = 0;
  bool progress_before_pulled = false;
  auto on_pulled = [&](const registry::PullResult&) { ++pulled_calls; };
  auto progress = [&](const convert::SquashProgress&) {
    progress_before_pulled = progress_before_pulled || pulled_calls == 0;
  };
  auto streamed = convert::pull_and_convert(*opened, streaming, {}, on_pulled, progress);
  INFO((streamed ? "" : streamed.error().what()));
  REQUIRE(streamed);
  CHECK(pulled_calls == 1);
  CHECK_FALSE(progress_before_pulled);
  CHECK(streamed->pulled.manifest_digest == manifest);
  CHECK(streamed->pulled.bytes_fetched > (6 << 20) / 100);
  CHECK_FALSE(streamed->converted.reused);
  // The pull left what a plain pull leaves: every layer stored and verified.
  for (const auto& layer : streamed->pulled.layers) {
    auto found = opened->cache.find_blob(layer.digest);
    REQUIRE(found);
    CHECK(found->has_value());
  }
  CHECK(cache_is_clean(opened->cache));

  // The same image pulled first, then converted from the cache.
  convert::ReferenceSifOptions cached;
  cached.source = reference_options(dir.file("cached-cache"));
  auto from_cache = convert::reference_sif(text, cached);
  REQUIRE(from_cache);
  CHECK(from_cache->sif == streamed->converted.sif);
  CHECK(file_bytes(from_cache->path) == file_bytes(streamed->converted.path));

  // With every layer cached, the same call converts from the cache alone.
  auto again_opened = convert::open_reference(text, cached.source);
  REQUIRE(again_opened);
  auto again = convert::pull_and_convert(*again_opened, cached.source, {}, {}, {});
  REQUIRE(again);
  CHECK(again->pulled.bytes_fetched == 0);
  CHECK(again->converted.sif == streamed->converted.sif);
}

TEST_CASE("a layer whose bytes do not match its digest fails the conversion that streams it "
          "and leaves nothing of it in the cache",
          "[convert][pull][hostile]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  TempDir dir;
  OciImage image = write_oci_image(dir.file("layout"), three_layers());
  push_image(*registry, "tampered/image", image);
  // The base layer's last byte (the gzip trailer's) changed: same size, same tar, another
  // digest.
  std::string base = file_bytes(image.layer_blobs.front());
  Digest base_digest =
      *Digest::parse("sha256:" + fs::path(image.layer_blobs.front()).filename().string());
  base.back() = static_cast<char>(base.back() ^ 0x01);
  registry->tamper_blob(base_digest, base);
  std::string text = "docker://" + registry->host() + "/tampered/image:1";

  auto options = reference_options(dir.file("cache"));
  auto opened = convert::open_reference(text, options);
  REQUIRE(opened);
  auto converted = convert::pull_and_convert(*opened, options, {}, {}, {});
  REQUIRE_FALSE(converted);
  CHECK(converted.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(converted.error().what(), Catch::Contains(base_digest.text()));
  auto found = opened->cache.find_blob(base_digest);
  REQUIRE(found);
  CHECK_FALSE(found->has_value());
  CHECK(cache_is_clean(opened->cache));
  // Nothing but (swept) work files in tmp/: no blob file under a temporary name.
  for (const auto& entry : fs::directory_iterator(dir.file("cache/tmp"))) {
    CHECK_FALSE(entry.path().filename().string().starts_with("sha256-"));
  }
}
