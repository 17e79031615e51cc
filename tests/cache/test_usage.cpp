#include <cache/report.h>
#include <cache/usage.h>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sifkit;
using namespace sifkit::cache;

TEST_CASE("media types are classified into index, manifest, config, layer and oci-sif", "[cache]") {
  CHECK(classify_media_type("application/vnd.oci.image.index.v1+json") == BlobKind::index);
  CHECK(classify_media_type("application/vnd.docker.distribution.manifest.list.v2+json") ==
        BlobKind::index);
  CHECK(classify_media_type("application/vnd.oci.image.manifest.v1+json") == BlobKind::manifest);
  CHECK(classify_media_type("application/vnd.oci.image.config.v1+json") == BlobKind::config);
  CHECK(classify_media_type("application/vnd.docker.container.image.v1+json") == BlobKind::config);
  CHECK(classify_media_type("application/vnd.oci.image.layer.v1.tar+gzip") == BlobKind::layer);
  CHECK(classify_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip") ==
        BlobKind::layer);
  CHECK(classify_media_type("application/vnd.sylabs.sif.layer.v1.sif") == BlobKind::oci_sif);
  CHECK(classify_media_type("") == BlobKind::other);
}

TEST_CASE("du counts a layer two images share once, as shared", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto shared =
      test::put_text(cache, std::string(1000, 's'), "application/vnd.oci.image.layer.v1.tar");
  auto own = test::put_text(cache, std::string(100, 'o'), "application/vnd.oci.image.layer.v1.tar");
  auto m1 = test::put_text(cache, "m1", "application/vnd.oci.image.manifest.v1+json");
  auto m2 = test::put_text(cache, "m2", "application/vnd.oci.image.manifest.v1+json");
  auto stray = test::put_text(cache, "stray!", "");
  REQUIRE(
      cache.add_children(m1.blob.digest, std::vector<Digest>{shared.blob.digest, own.blob.digest}));
  REQUIRE(cache.add_children(m2.blob.digest, std::vector<Digest>{shared.blob.digest}));
  REQUIRE(cache.set_ref({"one", ""}, m1.blob.digest));
  REQUIRE(cache.set_ref({"two", ""}, m2.blob.digest));

  UsageReport usage = compute_usage(*cache.index().snapshot());
  CHECK(usage.total.blobs == 5);
  CHECK(usage.total.bytes == 1000 + 100 + 2 + 2 + 6);
  CHECK(usage.total.shared_bytes == 1000);
  CHECK(usage.total.unique_bytes == 104);
  CHECK(usage.total.unreferenced_bytes == 6);
  REQUIRE(usage.kinds.size() == 3);
  CHECK(usage.kinds[0].kind == BlobKind::manifest);
  CHECK(usage.kinds[1].kind == BlobKind::layer);
  CHECK(usage.kinds[1].bytes == 1100);
  REQUIRE(usage.roots.size() == 2);
  CHECK(usage.roots[0].root.label() == "one");
  CHECK(usage.roots[0].bytes == 1102);
  CHECK(usage.roots[0].unique_bytes == 102);
  CHECK(usage.roots[1].unique_bytes == 2);

  std::string table = format_usage(usage);
  CHECK_THAT(table, Catch::StartsWith("KIND      BLOBS  SIZE"));
  CHECK_THAT(table, Catch::Contains("total"));
  auto json = usage_json(usage);
  CHECK(json["total"]["shared_bytes"] == 1000);
  CHECK(list_json(usage)["references"][1]["name"] == "two");
}

TEST_CASE("byte counts and times print in human units", "[cache]") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(5LL * 1024 * 1024 * 1024) == "5.0 GiB");
  CHECK(format_time(0) == "1970-01-01T00:00:00Z");
}
