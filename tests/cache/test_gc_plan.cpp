#include <cache/gc_plan.h>

#include <algorithm>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;

namespace {

// A snapshot built by hand: blobs named by a word, sizes in bytes, last use in seconds.
struct Builder {
  IndexSnapshot snapshot;

  Digest blob(const std::string& name, std::int64_t size, std::int64_t last_used = 0) {
    Digest digest = test::digest_of(name);
    snapshot.blobs.push_back(BlobRecord{digest, size, "", 0, last_used, 1});
    return digest;
  }
  void edge(const Digest& parent, const Digest& child) {
    snapshot.edges.push_back(Edge{parent, child});
  }
  void ref(const std::string& name, const Digest& manifest) {
    snapshot.refs.push_back(RefRecord{{name, ""}, manifest, 0});
  }
  void lease(const Digest& digest, std::int64_t expires_at) {
    snapshot.leases.push_back(LeaseRecord{digest, "someone", expires_at});
  }
};

std::vector<Digest> removed(const GcPlan& plan) {
  std::vector<Digest> digests;
  for (const BlobRecord& blob : plan.removals) {
    digests.push_back(blob.digest);
  }
  return digests;
}

bool contains(const std::vector<Digest>& digests, const Digest& digest) {
  return std::find(digests.begin(), digests.end(), digest) != digests.end();
}

std::vector<std::string> dropped(const GcPlan& plan) {
  std::vector<std::string> labels;
  for (const Root& root : plan.dropped_roots) {
    labels.push_back(root.label());
  }
  return labels;
}

} // namespace

TEST_CASE("gc keeps what references and conversions need and removes the rest", "[cache]") {
  Builder b;
  Digest manifest = b.blob("manifest", 10);
  Digest config = b.blob("config", 20);
  Digest layer = b.blob("layer", 300);
  Digest stray = b.blob("stray", 4000);
  Digest source = b.blob("source manifest", 5);
  Digest source_layer = b.blob("source layer", 50);
  Digest sif = b.blob("sif", 600);
  b.edge(manifest, config);
  b.edge(manifest, layer);
  b.edge(source, source_layer);
  b.ref("app", manifest);
  b.snapshot.conversions.push_back(ConversionRecord{source, "squash", sif, 0});

  GcPlan plan = plan_gc(b.snapshot, GcPolicy{}, 1000);
  CHECK(removed(plan) == std::vector<Digest>{stray});
  CHECK(plan.removal_bytes == 4000);
  CHECK(plan.kept_blobs == 6);
  CHECK(plan.kept_bytes == 10 + 20 + 300 + 5 + 50 + 600);
  CHECK(plan.dropped_roots.empty());
}

TEST_CASE("gc keeps leased blobs and what they need until the lease expires", "[cache]") {
  Builder b;
  Digest manifest = b.blob("manifest", 10);
  Digest layer = b.blob("layer", 300);
  b.edge(manifest, layer);
  b.lease(manifest, 2000);
  CHECK(plan_gc(b.snapshot, GcPolicy{}, 1000).removals.empty());
  CHECK(plan_gc(b.snapshot, GcPolicy{}, 2000).removals.size() == 2);
}

TEST_CASE("gc removes an image's manifest before the blobs it needs", "[cache]") {
  Builder b;
  Digest layer = b.blob("layer", 1);
  Digest config = b.blob("config", 1);
  Digest manifest = b.blob("manifest", 1);
  Digest index = b.blob("index", 1);
  b.edge(index, manifest);
  b.edge(manifest, config);
  b.edge(manifest, layer);
  auto order = removed(plan_gc(b.snapshot, GcPolicy{}, 0));
  REQUIRE(order.size() == 4);
  auto at = [&](const Digest& d) {
    return std::find(order.begin(), order.end(), d) - order.begin();
  };
  CHECK(at(index) < at(manifest));
  CHECK(at(manifest) < at(config));
  CHECK(at(manifest) < at(layer));
}

TEST_CASE("a byte limit (--keep-bytes) evicts the least recently used images first", "[cache]") {
  Builder b;
  Digest old_image = b.blob("old", 100, 10);
  Digest mid_image = b.blob("mid", 100, 20);
  Digest new_image = b.blob("new", 100, 30);
  Digest shared = b.blob("shared layer", 1000, 30);
  for (const Digest& image : {old_image, mid_image, new_image}) {
    b.edge(image, shared);
  }
  b.ref("old", old_image);
  b.ref("mid", mid_image);
  b.ref("new", new_image);

  GcPolicy policy;
  policy.keep_bytes = 1250; // all is 1300: dropping "old" frees 100 (the shared layer stays)
  GcPlan plan = plan_gc(b.snapshot, policy, 100);
  CHECK(dropped(plan) == std::vector<std::string>{"old"});
  CHECK(removed(plan) == std::vector<Digest>{old_image});

  policy.keep_bytes = 1100;
  plan = plan_gc(b.snapshot, policy, 100);
  CHECK(dropped(plan) == std::vector<std::string>{"old", "mid"});
  CHECK(plan.kept_bytes == 1100);

  policy.keep_bytes = 0;
  plan = plan_gc(b.snapshot, policy, 100);
  CHECK(dropped(plan).size() == 3);
  CHECK(contains(removed(plan), shared));
}

TEST_CASE("an age limit (--older-than) drops only images unused for longer", "[cache]") {
  Builder b;
  Digest old_image = b.blob("old", 100, 10);
  Digest new_image = b.blob("new", 100, 990);
  b.ref("old", old_image);
  b.ref("new", new_image);
  GcPolicy policy;
  policy.older_than = std::chrono::seconds(100);
  GcPlan plan = plan_gc(b.snapshot, policy, 1000);
  CHECK(dropped(plan) == std::vector<std::string>{"old"});
  CHECK(removed(plan) == std::vector<Digest>{old_image});
}

TEST_CASE("an image whose manifest is leased is never evicted", "[cache]") {
  Builder b;
  Digest image = b.blob("in use", 100, 10);
  b.ref("in use", image);
  b.lease(image, 5000);
  GcPolicy policy;
  policy.keep_bytes = 0;
  policy.drop_roots = DropRoots::all;
  GcPlan plan = plan_gc(b.snapshot, policy, 1000);
  CHECK(plan.dropped_roots.empty());
  CHECK(plan.removals.empty());
}
