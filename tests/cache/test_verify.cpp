#include <cache/verify.h>

#include <filesystem>
#include <fstream>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;
namespace fs = std::filesystem;

namespace {

VerifyReport verify(Cache& cache, Hashing hashing = Hashing::full, Repair repair = Repair::no) {
  auto report = verify_cache(cache, hashing, repair);
  if (!report) {
    FAIL("verify failed: " << report.error().what());
  }
  return *report;
}

// Overwrites byte `offset` of the (read-only) blob file at `path` with `byte`.
void alter(const std::string& path, std::size_t offset, char byte) {
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(byte);
}

} // namespace

TEST_CASE("verify of an intact cache finds nothing", "[cache][verify]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  test::put_text(cache, "one");
  test::put_text(cache, "two");
  VerifyReport report = verify(cache);
  CHECK(report.clean());
  CHECK(report.findings.empty());
  CHECK(report.checked_blobs == 2);
  CHECK(report.hashed_bytes == 6);
}

TEST_CASE("verify finds a blob deleted by hand, and --repair drops it and the reference "
          "naming it",
          "[cache][verify]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto manifest = test::put_text(cache, "manifest");
  REQUIRE(cache.set_ref({"docker://example/app:1", "linux/amd64"}, manifest.blob.digest));
  REQUIRE(fs::remove(cache.blob_path(manifest.blob.digest)));

  VerifyReport found = verify(cache);
  REQUIRE(found.findings.size() == 1);
  CHECK(found.findings[0].problem == Problem::missing_file);
  CHECK(found.findings[0].subject == manifest.blob.digest.text());
  CHECK_FALSE(found.clean());

  VerifyReport repaired = verify(cache, Hashing::full, Repair::yes);
  REQUIRE(repaired.findings.size() == 1);
  CHECK(repaired.findings[0].repaired);
  CHECK(repaired.findings[0].dropped ==
        std::vector<std::string>{"docker://example/app:1 [linux/amd64]"});
  CHECK(repaired.clean());
  CHECK(cache.index().all_refs()->empty());
  CHECK(verify(cache).findings.empty());
}

TEST_CASE("verify finds a blob altered by hand, and the fast mode sees only size changes",
          "[cache][verify]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto same_size = test::put_text(cache, "altered in place");
  auto truncated = test::put_text(cache, "cut short");
  alter(cache.blob_path(same_size.blob.digest), 0, 'A');
  fs::resize_file(cache.blob_path(truncated.blob.digest), 3);

  VerifyReport fast = verify(cache, Hashing::size_only);
  REQUIRE(fast.findings.size() == 1);
  CHECK(fast.findings[0].problem == Problem::size_mismatch);
  CHECK(fast.hashed_bytes == 0);

  VerifyReport full = verify(cache);
  REQUIRE(full.findings.size() == 2);
  std::vector<Problem> problems{full.findings[0].problem, full.findings[1].problem};
  std::sort(problems.begin(), problems.end());
  CHECK(problems == std::vector<Problem>{Problem::size_mismatch, Problem::digest_mismatch});

  VerifyReport repaired = verify(cache, Hashing::full, Repair::yes);
  CHECK(repaired.clean());
  CHECK_FALSE(fs::exists(cache.blob_path(same_size.blob.digest)));
  CHECK(cache.index().all_blobs()->empty());
  CHECK(verify(cache).findings.empty());
  // The next put writes the blob again.
  CHECK(test::put_text(cache, "altered in place").outcome == PutOutcome::written);
}

TEST_CASE("verify adopts a complete blob file whose writer died before indexing it",
          "[cache][verify]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  Digest digest = test::digest_of("orphan");
  REQUIRE(write_file_atomic(cache.blob_path(digest), "orphan").has_value());
  VerifyReport report = verify(cache, Hashing::size_only);
  CHECK(report.findings.empty());
  CHECK(report.adopted_files == 1);
  CHECK(cache.index().find_blob(digest)->has_value());
}

TEST_CASE("verify reports wrong and stray files in blobs/, and --repair removes them",
          "[cache][verify]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  Digest digest = test::digest_of("expected");
  std::string wrong = cache.blob_path(digest);
  std::string stray = cache.layout().blob_directory(DigestAlgorithm::sha256) + "/README";
  REQUIRE(write_file_atomic(wrong, "something else").has_value());
  REQUIRE(write_file_atomic(stray, "hello").has_value());

  VerifyReport found = verify(cache);
  REQUIRE(found.findings.size() == 2);
  CHECK_FALSE(found.clean());
  VerifyReport repaired = verify(cache, Hashing::full, Repair::yes);
  CHECK(repaired.clean());
  CHECK_FALSE(fs::exists(wrong));
  CHECK_FALSE(fs::exists(stray));
  CHECK(verify(cache).findings.empty());
}
