// A manifest whose blobs declare more bytes than the cache's file system has free is
// refused before the first byte is written.
#include <cache/cache.h>
#include <common/disk_space.h>
#include <registry/docker_source.h>
#include <registry/pull.h>

#include <filesystem>

#include "support/fixtures.h"
#include "support/http_server.h"
#include <catch2/catch.hpp>

namespace sifkit::registry {

using test::HttpServer;
using test::reply;
using test::Request;

TEST_CASE("a manifest declaring a terabyte layer fails with capacity before fetching it",
          "[pull][hostile]") {
  constexpr std::int64_t k_declared = 1'000'000'000'000;
  test::TempDir dir;
  auto cache = cache::Cache::open(dir.file("cache"));
  REQUIRE(cache);
  auto free = free_bytes(cache->layout().temp_directory());
  REQUIRE(free);
  if (*free > k_declared) {
    SIFKIT_SKIP(host, "the cache's file system has more than 10^12 bytes free");
    return;
  }
  const std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}})";
  const Digest layer = Digest::of("a layer that never comes");
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      Digest::of(config).text() + R"(","size":)" + std::to_string(config.size()) +
      R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
      layer.text() + R"(","size":)" + std::to_string(k_declared) + "}]}";
  const std::string endless(4 << 20, '\0'); // what a blob request would get, cut short
  HttpServer server([&](const Request& r) {
    if (r.target == "/v2/") {
      return reply(200, "{}");
    }
    if (r.target.find("/manifests/") != std::string::npos) {
      return reply(200, manifest, "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n");
    }
    if (r.target.ends_with(Digest::of(config).text())) {
      return reply(200, config);
    }
    test::Response blob = reply(200, endless);
    blob.length = k_declared;
    return blob;
  });
  DockerOptions options;
  options.insecure = true;
  options.max_attempts = 2;
  options.retry_delay = std::chrono::milliseconds(5);
  auto source = open_docker_source(server.host() + "/r/x:t", options);
  REQUIRE(source);
  auto pulled = pull_image(**source, *cache, PullOptions{});
  REQUIRE_FALSE(pulled);
  CHECK(pulled.error().kind() == ErrorKind::capacity);
  CHECK_THAT(pulled.error().what(),
             Catch::Contains(std::to_string(k_declared + config.size()) + " bytes declared") &&
                 Catch::Contains("bytes free"));
  for (const auto& r : server.requests()) {
    CHECK_FALSE(r.target.ends_with(layer.text()));
  }
  std::uintmax_t partial = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(cache->layout().temp_directory())) {
    if (entry.is_regular_file()) {
      partial += entry.file_size();
    }
  }
  CHECK(partial < 1024 * 1024);
}

} // namespace sifkit::registry
