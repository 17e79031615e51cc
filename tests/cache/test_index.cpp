#include <cache/cache.h>
#include <cache/index.h>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;

TEST_CASE("references and conversions point only at stored blobs", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  Digest missing = test::digest_of("never stored");
  auto ref = cache.set_ref({"docker://example/app:1", "linux/amd64"}, missing);
  REQUIRE_FALSE(ref.has_value());
  CHECK(ref.error().kind() == ErrorKind::not_found);
  auto manifest = test::put_text(cache, "manifest");
  auto conversion = cache.record_conversion(manifest.blob.digest, "squash", missing);
  REQUIRE_FALSE(conversion.has_value());
  CHECK(conversion.error().kind() == ErrorKind::not_found);
}

TEST_CASE("a reference resolves per platform and can be replaced and removed", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto amd = test::put_text(cache, "amd64 manifest");
  auto arm = test::put_text(cache, "arm64 manifest");
  REQUIRE(cache.set_ref({"docker://example/app:1", "linux/amd64"}, amd.blob.digest));
  REQUIRE(cache.set_ref({"docker://example/app:1", "linux/arm64"}, arm.blob.digest));
  auto found = cache.find_ref({"docker://example/app:1", "linux/arm64"});
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->manifest == arm.blob.digest);
  REQUIRE(cache.set_ref({"docker://example/app:1", "linux/arm64"}, amd.blob.digest));
  CHECK(cache.find_ref({"docker://example/app:1", "linux/arm64"})->value().manifest ==
        amd.blob.digest);
  CHECK(cache.remove_refs("docker://example/app:1", std::string("linux/amd64")) == 1);
  CHECK(cache.remove_refs("docker://example/app:1", std::nullopt) == 1);
  CHECK_FALSE(cache.find_ref({"docker://example/app:1", "linux/arm64"})->has_value());
}

TEST_CASE("a second conversion of the same image is a lookup", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto source = test::put_text(cache, "manifest");
  auto result = test::put_text(cache, "oci-sif bytes");
  REQUIRE(cache.record_conversion(source.blob.digest, "squash=gzip", result.blob.digest));
  auto found = cache.find_conversion(source.blob.digest, "squash=gzip");
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->result == result.blob.digest);
  CHECK_FALSE(cache.find_conversion(source.blob.digest, "squash=zstd")->has_value());
}

TEST_CASE("dropping a blob row drops the references, conversions and edges naming it", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto manifest = test::put_text(cache, "manifest");
  auto layer = test::put_text(cache, "layer");
  auto result = test::put_text(cache, "sif");
  std::vector<Digest> children{layer.blob.digest};
  REQUIRE(cache.add_children(manifest.blob.digest, children));
  REQUIRE(cache.set_ref({"ref", ""}, manifest.blob.digest));
  REQUIRE(cache.record_conversion(manifest.blob.digest, "opts", result.blob.digest));
  {
    auto tx = cache.index().begin();
    REQUIRE(tx.has_value());
    CHECK(cache.index().delete_blob(manifest.blob.digest) == true);
    REQUIRE(tx->commit());
  }
  auto snapshot = cache.index().snapshot();
  REQUIRE(snapshot.has_value());
  CHECK(snapshot->refs.empty());
  CHECK(snapshot->conversions.empty());
  CHECK(snapshot->edges.empty());
  CHECK(snapshot->blobs.size() == 2);
}

TEST_CASE("a lease on a manifest covers everything it needs", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto index_blob = test::put_text(cache, "index");
  auto manifest = test::put_text(cache, "manifest");
  auto layer = test::put_text(cache, "layer");
  REQUIRE(cache.add_children(index_blob.blob.digest, std::vector<Digest>{manifest.blob.digest}));
  REQUIRE(cache.add_children(manifest.blob.digest, std::vector<Digest>{layer.blob.digest}));
  REQUIRE(cache.release_leases());
  {
    auto tx = cache.index().begin();
    REQUIRE(cache.index().lease_closure(index_blob.blob.digest, "someone", cache.now() + 60));
    REQUIRE(tx->commit());
  }
  auto leases = cache.index().all_leases();
  REQUIRE(leases.has_value());
  CHECK(leases->size() == 3);
}

TEST_CASE("a blob row is deleted only when no lease, root or parent holds it", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto manifest = test::put_text(cache, "manifest");
  auto layer = test::put_text(cache, "layer");
  REQUIRE(cache.add_children(manifest.blob.digest, std::vector<Digest>{layer.blob.digest}));
  Index& index = cache.index();
  auto try_delete = [&](const Digest& digest) {
    auto tx = index.begin();
    auto gone = index.delete_blob_if_unused(digest, cache.now());
    REQUIRE(gone.has_value());
    REQUIRE(tx->commit());
    return *gone;
  };
  CHECK_FALSE(try_delete(layer.blob.digest)); // leased (and needed by the manifest)
  REQUIRE(cache.release_leases());
  CHECK_FALSE(try_delete(layer.blob.digest)); // needed by the stored manifest
  CHECK(try_delete(manifest.blob.digest));    // its edges go with it
  CHECK(try_delete(layer.blob.digest));
}

TEST_CASE("closing a cache releases the leases its process held", "[cache]") {
  test::TempDir dir;
  {
    Cache cache = test::open_cache(dir.file("c"));
    test::put_text(cache, "x");
    CHECK(cache.index().all_leases()->size() == 1);
  }
  Cache cache = test::open_cache(dir.file("c"));
  CHECK(cache.index().all_leases()->empty());
}
