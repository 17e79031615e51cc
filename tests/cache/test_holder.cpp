#include <cache/holder.h>
#include <cache/index.h>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;

TEST_CASE("each cache of a process holds its leases under a name of its own", "[cache]") {
  test::TempDir dir;
  Cache first = test::open_cache(dir.file("c"));
  Cache second = test::open_cache(dir.file("c"));
  CHECK(first.holder() != second.holder());
  for (const Cache* cache : {&first, &second}) {
    CHECK(cache->holder().starts_with(current_holder() + "/"));
    CHECK(holder_state(cache->holder()) == HolderState::alive);
  }
}

TEST_CASE("a cache's leases are seen as dead once its process has exited", "[cache]") {
  test::TempDir dir;
  std::string root = dir.file("c");
  test::open_cache(root); // create it before forking
  pid_t child = test::spawn([&] {
    Cache cache = test::open_cache(root);
    test::put_text(cache, "leased by a process that exits");
    ::_exit(0); // no destructor: the lease stays behind, as after a crash
    return 0;
  });
  REQUIRE(test::wait_child(child) == 0);
  Cache cache = test::open_cache(root);
  auto leases = cache.index().all_leases();
  REQUIRE(leases);
  REQUIRE(leases->size() == 1);
  CHECK(holder_state(leases->front().holder) == HolderState::dead);
  CHECK(holder_state(cache.holder()) == HolderState::alive);
}
