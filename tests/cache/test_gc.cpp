#include <cache/gc.h>
#include <cache/verify.h>

#include <filesystem>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;
namespace fs = std::filesystem;

namespace {

// Stores a one-layer image (manifest -> layer of `layer_bytes`) and points `name` at it.
Digest store_image(Cache& cache, const std::string& name, std::size_t layer_bytes) {
  auto layer = test::put_text(cache, std::string(layer_bytes, name[0]) + name,
                              "application/vnd.oci.image.layer.v1.tar+gzip");
  auto manifest =
      test::put_text(cache, "manifest of " + name, "application/vnd.oci.image.manifest.v1+json");
  REQUIRE(cache.add_children(manifest.blob.digest, std::vector<Digest>{layer.blob.digest}));
  REQUIRE(cache.set_ref({name, ""}, manifest.blob.digest));
  return manifest.blob.digest;
}

GcReport collect(Cache& cache, GcPolicy policy = {}, DryRun dry_run = DryRun::no) {
  auto report = collect_garbage(cache, policy, dry_run);
  if (!report) {
    FAIL("gc failed: " << report.error().what());
  }
  return *report;
}

bool stored(Cache& cache, const Digest& digest) {
  auto row = cache.index().find_blob(digest);
  REQUIRE(row.has_value());
  return row->has_value() && fs::exists(cache.blob_path(digest));
}

void require_clean(Cache& cache) {
  auto report = verify_cache(cache, Hashing::full, Repair::no);
  REQUIRE(report.has_value());
  CHECK(report->findings.empty());
}

} // namespace

TEST_CASE("gc keeps referenced blobs and removes unreferenced ones", "[cache][gc]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  Digest manifest = store_image(cache, "app", 100);
  auto stray = test::put_text(cache, "nobody needs this");
  auto source = test::put_text(cache, "converted manifest");
  auto sif = test::put_text(cache, "converted sif");
  REQUIRE(cache.record_conversion(source.blob.digest, "squash", sif.blob.digest));
  REQUIRE(cache.release_leases());

  GcReport report = collect(cache);
  CHECK(report.removed_blobs == 1);
  CHECK(report.removed_bytes == 17);
  CHECK_FALSE(stored(cache, stray.blob.digest));
  CHECK(stored(cache, manifest));
  CHECK(stored(cache, source.blob.digest));
  CHECK(stored(cache, sif.blob.digest));
  CHECK(cache.index().all_blobs()->size() == 4);
  require_clean(cache);
}

TEST_CASE("gc --dry-run reports the plan and changes nothing", "[cache][gc]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto stray = test::put_text(cache, "stray");
  REQUIRE(cache.release_leases());
  GcReport report = collect(cache, {}, DryRun::yes);
  CHECK(report.plan.removals.size() == 1);
  CHECK(report.removed_blobs == 0);
  CHECK(stored(cache, stray.blob.digest));
}

TEST_CASE("gc --keep-bytes evicts the least recently used image first", "[cache][gc]") {
  test::TempDir dir;
  std::int64_t clock = 1000;
  auto options = test::test_options();
  options.clock = [&] { return clock; };
  Cache cache = test::open_cache(dir.file("c"), options);
  Digest a = store_image(cache, "a", 1000);
  clock = 2000;
  Digest b = store_image(cache, "b", 1000);
  clock = 3000;
  Digest c = store_image(cache, "c", 1000);
  clock = 4000;
  REQUIRE(cache.find_ref({"b", ""})->has_value()); // b is now the most recently used
  REQUIRE(cache.release_leases());

  GcPolicy policy;
  policy.keep_bytes = 2200; // room for two images (about 1030 bytes each)
  GcReport first = collect(cache, policy);
  CHECK(first.dropped_roots == 1);
  CHECK_FALSE(stored(cache, a));
  CHECK(stored(cache, b));
  CHECK(stored(cache, c));

  policy.keep_bytes = 1100;
  GcReport second = collect(cache, policy);
  CHECK(second.dropped_roots == 1);
  CHECK(stored(cache, b));
  CHECK_FALSE(stored(cache, c));
  CHECK(cache.index().all_refs()->size() == 1);
  require_clean(cache);
}

TEST_CASE("gc --older-than drops images unused for longer and keeps recent ones", "[cache][gc]") {
  test::TempDir dir;
  std::int64_t clock = 1000;
  auto options = test::test_options();
  options.clock = [&] { return clock; };
  Cache cache = test::open_cache(dir.file("c"), options);
  Digest old_image = store_image(cache, "old", 10);
  clock = 1000 + 86400 * 40;
  Digest new_image = store_image(cache, "new", 10);
  REQUIRE(cache.release_leases());
  GcPolicy policy;
  policy.older_than = std::chrono::hours(24 * 30);
  GcReport report = collect(cache, policy);
  CHECK(report.dropped_roots == 1);
  CHECK_FALSE(stored(cache, old_image));
  CHECK(stored(cache, new_image));
}

TEST_CASE("gc spares a blob another live process leased, and frees it once that process "
          "is gone",
          "[cache][gc]") {
  test::TempDir dir;
  std::string root = dir.file("c");
  test::open_cache(root); // create it before forking
  test::Signal stored_it;
  test::Signal finish;
  pid_t user = test::spawn([&] {
    Cache cache = test::open_cache(root);
    test::put_text(cache, "in use by a running process");
    stored_it.notify();
    finish.wait();
    ::_exit(0); // no destructor: the lease stays behind, as after a crash
    return 0;
  });
  REQUIRE(stored_it.wait());
  Cache cache = test::open_cache(root);
  Digest digest = test::digest_of("in use by a running process");
  GcReport during = collect(cache);
  CHECK(during.removed_blobs == 0);
  CHECK(stored(cache, digest));

  finish.notify();
  CHECK(test::wait_child(user) == 0);
  CHECK_FALSE(cache.index().all_leases()->empty()); // the dead process's lease remains
  GcReport after = collect(cache);
  CHECK(after.released_leases >= 1);
  CHECK(after.removed_blobs == 1);
  CHECK_FALSE(stored(cache, digest));
}

TEST_CASE("closing one cache of a process leaves the leases of its other caches to gc",
          "[cache][gc][race]") {
  test::TempDir dir;
  std::string root = dir.file("c");
  Cache puller = test::open_cache(root);
  auto manifest = test::put_text(puller, "a manifest whose children are not recorded yet",
                                 "application/vnd.oci.image.manifest.v1+json");
  Digest layer = test::digest_of("a layer a worker's cache stored");
  {
    Cache worker = test::open_cache(root);
    test::put_text(worker, "a layer a worker's cache stored");
  } // drops the worker's own leases, and only those

  Cache collector = test::open_cache(root);
  GcPolicy clean;
  clean.drop_roots = DropRoots::all;
  GcReport report = collect(collector, clean);
  CHECK(report.removed_blobs == 1);
  CHECK_FALSE(stored(collector, layer));
  CHECK(stored(collector, manifest.blob.digest));
  auto recorded = puller.add_children(manifest.blob.digest, std::vector<Digest>{});
  INFO((recorded ? "" : recorded.error().what()));
  CHECK(recorded.has_value());
}

TEST_CASE("gc never collects a blob while another process is writing it", "[cache][gc]") {
  test::TempDir dir;
  std::string root = dir.file("c");
  test::open_cache(root);
  Digest digest = test::digest_of("written slowly");
  test::Signal half_written;
  test::Signal go_on;
  test::Signal committed;
  test::Signal finish;
  pid_t writer = test::spawn([&] {
    Cache cache = test::open_cache(root);
    auto slot = cache.begin_blob(digest, BlobInfo{14, ""});
    auto& w = std::get<BlobWriter>(*slot);
    REQUIRE(w.write(std::string_view("written ")));
    half_written.notify();
    go_on.wait();
    REQUIRE(w.write(std::string_view("slowly")));
    REQUIRE(w.commit());
    committed.notify();
    finish.wait();
    return 0;
  });
  REQUIRE(half_written.wait());
  {
    Cache cache = test::open_cache(root); // opening sweeps: the live temp file must stay
    collect(cache);
    auto temps = fs::directory_iterator(cache.layout().temp_directory());
    CHECK(std::distance(temps, fs::directory_iterator()) == 1);
  }
  go_on.notify();
  REQUIRE(committed.wait());
  Cache cache = test::open_cache(root);
  collect(cache);
  CHECK(stored(cache, digest)); // leased by its live writer
  finish.notify();
  CHECK(test::wait_child(writer) == 0); // exits normally, releasing its lease
  collect(cache);
  CHECK_FALSE(stored(cache, digest));
}

TEST_CASE("gc skips a stored blob whose lock another process holds", "[cache][gc]") {
  test::TempDir dir;
  std::string root = dir.file("c");
  Cache cache = test::open_cache(root);
  auto blob = test::put_text(cache, "locked by someone");
  REQUIRE(cache.release_leases());
  test::Signal locked;
  test::Signal release;
  pid_t holder = test::spawn([&] {
    auto lock = BlobLock::acquire(Layout(root), blob.blob.digest, LockTiming{}, {});
    locked.notify();
    release.wait();
    return lock ? 0 : 1;
  });
  REQUIRE(locked.wait());
  GcReport report = collect(cache);
  CHECK(report.skipped_in_use == 1);
  CHECK(stored(cache, blob.blob.digest));
  release.notify();
  CHECK(test::wait_child(holder) == 0);
  CHECK(collect(cache).removed_blobs == 1);
}

TEST_CASE("a process that puts a blob while gc runs in a loop always finds it stored",
          "[cache][gc]") {
  test::TempDir dir;
  std::string root = dir.file("c");
  test::open_cache(root);
  const std::string content(64 * 1024, 'r');
  pid_t putter = test::spawn([&] {
    Cache cache = test::open_cache(root);
    // Until gc has taken the blob between puts often enough, or for 5 s at most.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int rewrites = 0;
    for (int i = 0; rewrites < 20 && std::chrono::steady_clock::now() < deadline; ++i) {
      auto put = cache.put(test::digest_of(content), source_from_string(content), BlobInfo{});
      if (!put || test::file_bytes(cache.blob_path(put->blob.digest)) != content) {
        return 1; // gc took a blob this process had just been given
      }
      rewrites += i > 0 && put->outcome == PutOutcome::written ? 1 : 0;
      if (!cache.release_leases()) {
        return 2;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500)); // a window for gc
    }
    return 0;
  });
  Cache cache = test::open_cache(root);
  std::int64_t removed = 0;
  int status = 0;
  for (;;) {
    removed += collect(cache).removed_blobs;
    if (::waitpid(putter, &status, WNOHANG) == putter) {
      break;
    }
  }
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  INFO("gc removed the blob " << removed << " time(s) between puts");
  CHECK(removed > 0);
  require_clean(cache);
}
