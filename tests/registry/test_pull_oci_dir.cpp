#include <cache/gc.h>

#include <filesystem>
#include <fstream>

#include "pull_support.h"

using namespace sifkit;
using namespace sifkit::test;
namespace fs = std::filesystem;

TEST_CASE("pulls a single-manifest OCI layout into the cache", "[pull]") {
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto pulled = pull_text(cache, "oci:" + image_fixture("hello-world-docker-v2-manifest"));
  REQUIRE(pulled);
  CHECK(pulled->manifest_digest.text() ==
        "sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338");
  CHECK(pulled->config.digest.text() ==
        "sha256:46331d942d6350436f64e614d75725f6de3bb5c63e266e236e04389820a234c4");
  REQUIRE(pulled->layers.size() == 1);
  CHECK(pulled->layers[0].size == 3208);
  CHECK(pulled->platform.empty());
  CHECK(pulled->bytes_fetched == 1485 + 3208);
  CHECK(pulled->bytes_reused == 0);

  auto ref = cache.find_ref(
      {"oci:" +
           fs::path(image_fixture("hello-world-docker-v2-manifest")).lexically_normal().string(),
       ""});
  REQUIRE(ref);
  REQUIRE(*ref);
  CHECK((*ref)->manifest == pulled->manifest_digest);
  CHECK(cache_is_clean(cache));
}

TEST_CASE("re-pulling an unchanged image fetches no blob", "[pull]") {
  TempDir dir;
  auto cache = open_test_cache(dir);
  std::string text = "oci:" + image_fixture("many-layers");
  auto first = pull_text(cache, text);
  REQUIRE(first);
  CHECK(first->layers.size() > 10);
  CHECK(first->bytes_fetched > 0);
  auto second = pull_text(cache, text);
  REQUIRE(second);
  CHECK(second->bytes_fetched == 0);
  CHECK(second->bytes_reused == first->bytes_fetched);
  CHECK(second->manifest_digest == first->manifest_digest);
  for (const auto& layer : second->layers) {
    CHECK(layer.reused);
  }
  CHECK(cache_is_clean(cache));
}

TEST_CASE("selects a platform from a multi-arch manifest list", "[pull]") {
  TempDir dir;
  auto cache = open_test_cache(dir);
  std::string text = "oci:" + image_fixture("hello-world-docker-v2-manifest-list");
  auto arm = pull_text(cache, text, "linux/arm64/v8");
  REQUIRE(arm);
  CHECK(arm->platform == "linux/arm64/v8");
  CHECK(arm->manifest_digest.text() ==
        "sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338");
  CHECK(arm->root_digest.text() ==
        "sha256:00e1ee7c898a2c393ea2fe7680938f8dcbe55e51fbf08032cf37326a677f92ed");
  auto amd = pull_text(cache, text, "linux/amd64");
  REQUIRE(amd);
  CHECK(amd->manifest_digest.text() ==
        "sha256:f54a58bc1aac5ea1a25d796ae155dc228b3f0e11d046ae276b39c4bf2f13d8c4");
  CHECK(amd->config.digest != arm->config.digest);

  auto canonical = registry::parse_reference(text)->canonical();
  auto ref = cache.find_ref({canonical, "linux/amd64"});
  REQUIRE(ref);
  REQUIRE(*ref);
  CHECK((*ref)->manifest == amd->manifest_digest);
  CHECK(cache_is_clean(cache));
}

TEST_CASE("everything a pull stored stays leased to its cache until the cache closes",
          "[pull][race]") {
  TempDir dir;
  std::string text = "oci:" + image_fixture("hello-world-docker-v2-manifest-list");
  std::vector<Digest> pulled_blobs;
  cache::GcPolicy clean;
  clean.drop_roots = cache::DropRoots::all;
  auto collector = cache::Cache::open(dir.file("cache"));
  REQUIRE(collector);
  auto stored = [&](const Digest& digest) {
    auto row = collector->index().find_blob(digest);
    REQUIRE(row);
    return row->has_value();
  };
  {
    auto cache = open_test_cache(dir);
    auto pulled = pull_text(cache, text, "linux/amd64");
    REQUIRE(pulled);
    REQUIRE(pulled->root_digest != pulled->manifest_digest);
    pulled_blobs = {pulled->root_digest, pulled->manifest_digest, pulled->config.digest};
    for (const auto& layer : pulled->layers) {
      pulled_blobs.push_back(layer.digest);
    }
    auto report = cache::collect_garbage(*collector, clean, cache::DryRun::no);
    REQUIRE(report);
    for (const Digest& digest : pulled_blobs) {
      INFO(digest.text());
      CHECK(stored(digest));
    }
  }
  auto report = cache::collect_garbage(*collector, clean, cache::DryRun::no);
  REQUIRE(report);
  for (const Digest& digest : pulled_blobs) {
    INFO(digest.text());
    CHECK_FALSE(stored(digest));
  }
  CHECK(cache_is_clean(*collector));
}

TEST_CASE("a platform the index lacks is not_found and lists those present", "[pull]") {
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto pulled = pull_text(cache, "oci:" + image_fixture("hello-world-docker-v2-manifest-list"),
                          "windows/amd64");
  REQUIRE_FALSE(pulled);
  CHECK(pulled.error().kind() == ErrorKind::not_found);
  CHECK_THAT(pulled.error().what(), Catch::Contains("windows/amd64") &&
                                        Catch::Contains("linux/arm64/v8") &&
                                        Catch::Contains("linux/s390x"));
}

TEST_CASE("selects by tag or digest and refuses an absent tag", "[pull]") {
  TempDir dir;
  fs::copy(image_fixture("hello-world-docker-v2-manifest"), dir.file("layout"),
           fs::copy_options::recursive);
  std::string index = file_bytes(dir.file("layout/index.json"));
  auto at = index.find("\"artifactType\"");
  REQUIRE(at != std::string::npos);
  index.insert(at, "\"annotations\": {\"org.opencontainers.image.ref.name\": \"v1\"},\n");
  std::ofstream(dir.file("layout/index.json"), std::ios::trunc) << index;
  auto cache = open_test_cache(dir);

  CHECK(pull_text(cache, "oci:" + dir.file("layout") + ":v1"));
  CHECK(pull_text(cache,
                  "oci:" + dir.file("layout") +
                      "@sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338"));
  auto absent = pull_text(cache, "oci:" + dir.file("layout") + ":v2");
  REQUIRE_FALSE(absent);
  CHECK(absent.error().kind() == ErrorKind::not_found);
  CHECK_THAT(absent.error().what(), Catch::Contains("tags: v1"));
}

TEST_CASE("refuses a layout whose blob is a symlink or has the wrong bytes", "[pull]") {
  TempDir dir;
  fs::copy(image_fixture("hello-world-docker-v2-manifest"), dir.file("layout"),
           fs::copy_options::recursive);
  std::string layer = dir.file(
      "layout/blobs/sha256/7050e35b49f5e348c4809f5eff915842962cb813f32062d3bbdd35c750dd7d01");
  auto cache = open_test_cache(dir);

  SECTION("a symbolic link") {
    std::ofstream(dir.file("secret")) << std::string(3208, 's');
    fs::remove(layer);
    fs::create_symlink(dir.file("secret"), layer);
    auto pulled = pull_text(cache, "oci:" + dir.file("layout"));
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(pulled.error().what(), Catch::Contains("symbolic link"));
  }
  SECTION("wrong bytes of the right size") {
    fs::permissions(layer, fs::perms::owner_write, fs::perm_options::add);
    std::string bytes = file_bytes(layer);
    bytes[100] ^= 1;
    std::ofstream(layer, std::ios::trunc | std::ios::binary) << bytes;
    auto pulled = pull_text(cache, "oci:" + dir.file("layout"));
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::corrupt_input);
  }
  SECTION("an absent blob") {
    fs::remove(layer);
    auto pulled = pull_text(cache, "oci:" + dir.file("layout"));
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::not_found);
  }
  CHECK_FALSE(cache
                  .find_blob(*Digest::parse(
                      "sha256:7050e35b49f5e348c4809f5eff915842962cb813f32062d3bbdd35c750dd7d01"))
                  ->has_value());
  CHECK(cache_is_clean(cache));
}

TEST_CASE("an absent directory is not_found", "[pull]") {
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto pulled = pull_text(cache, "oci:" + dir.file("nothing"));
  REQUIRE_FALSE(pulled);
  CHECK(pulled.error().kind() == ErrorKind::not_found);
}

TEST_CASE("reports progress per blob with running totals", "[pull]") {
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto reference = registry::parse_reference("oci:" + image_fixture("many-layers"));
  REQUIRE(reference);
  auto source = registry::open_source(*reference, {});
  REQUIRE(source);
  std::size_t done = 0;
  std::int64_t last_total = 0;
  std::int64_t total_size = 0;
  auto progress = [&](const registry::PullEvent& e) {
    CHECK(e.total_done >= last_total); // calls are serialised and totals only grow
    last_total = e.total_done;
    total_size = e.total_size;
    done += e.kind == registry::PullEvent::Kind::blob_done ? 1 : 0;
  };
  auto pulled = registry::pull_image(**source, cache, {}, progress);
  REQUIRE(pulled);
  CHECK(done == pulled->layers.size() + 1);
  CHECK(last_total == total_size);
  CHECK(total_size == pulled->bytes_fetched);
}

TEST_CASE("a layout whose oci-layout or index.json links to /dev/zero is refused, not read",
          "[pull][hostile]") {
  TempDir dir;
  fs::copy(image_fixture("hello-world-docker-v2-manifest"), dir.file("layout"),
           fs::copy_options::recursive);
  auto cache = open_test_cache(dir);
  for (const char* name : {"oci-layout", "index.json"}) {
    INFO(name);
    std::string path = dir.file("layout/") + name;
    std::string saved = dir.file(std::string("saved-") + name);
    fs::rename(path, saved);
    fs::create_symlink("/dev/zero", path);
    auto pulled = pull_text(cache, "oci:" + dir.file("layout"));
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(pulled.error().what(), Catch::Contains(name) && Catch::Contains("symbolic link"));
    fs::remove(path);
    fs::rename(saved, path);
  }
  CHECK(pull_text(cache, "oci:" + dir.file("layout")));
}
