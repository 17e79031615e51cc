#include <cache/cache.h>
#include <cache/directory.h>

#include <filesystem>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace sifkit;
using namespace sifkit::cache;
namespace fs = std::filesystem;

namespace {

std::size_t entries(const std::string& dir) {
  return list_directory(dir)->size();
}

bool lock_is_free(Cache& cache, const Digest& digest) {
  auto lock = BlobLock::try_acquire(cache.layout(), digest);
  return lock && lock->has_value();
}

} // namespace

TEST_CASE("a put blob lands read-only under its digest, indexed and counted once", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto put = test::put_text(cache, "layer bytes", "application/vnd.oci.image.layer.v1.tar");
  CHECK(put.outcome == PutOutcome::written);
  std::string path = cache.blob_path(put.blob.digest);
  CHECK(test::file_bytes(path) == "layer bytes");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0444);
  auto row = cache.index().find_blob(put.blob.digest);
  REQUIRE(row.has_value());
  REQUIRE(row->has_value());
  CHECK((*row)->size == 11);
  CHECK((*row)->writes == 1);
  CHECK((*row)->media_type == "application/vnd.oci.image.layer.v1.tar");
  CHECK(entries(cache.layout().temp_directory()) == 0);
  CHECK(lock_is_free(cache, put.blob.digest));
}

TEST_CASE("putting a stored blob again reuses it without reading the source", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  test::put_text(cache, "same");
  bool read = false;
  ByteSource source = [&](std::span<std::byte>) -> Result<std::size_t> {
    read = true;
    return std::size_t{0};
  };
  auto again = cache.put(test::digest_of("same"), source, BlobInfo{4, ""});
  REQUIRE(again.has_value());
  CHECK(again->outcome == PutOutcome::already_stored);
  CHECK_FALSE(read);
  CHECK(cache.index().find_blob(test::digest_of("same"))->value().writes == 1);
}

TEST_CASE("bytes that do not match the digest are refused and leave nothing behind", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  Digest claimed = test::digest_of("the real thing");
  auto put = cache.put(claimed, source_from_string("an impostor"), BlobInfo{});
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(put.error().what(), Catch::Contains(test::digest_of("an impostor").text()));
  CHECK_FALSE(fs::exists(cache.blob_path(claimed)));
  CHECK_FALSE(cache.index().find_blob(claimed)->has_value());
  CHECK(entries(cache.layout().temp_directory()) == 0);
  CHECK(lock_is_free(cache, claimed));
}

TEST_CASE("a blob longer or shorter than its announced size is corrupt input", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  Digest digest = test::digest_of("twelve bytes");
  auto longer = cache.put(digest, source_from_string("twelve bytes"), BlobInfo{5, ""});
  REQUIRE_FALSE(longer.has_value());
  CHECK(longer.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(longer.error().what(), Catch::Contains("longer than the 5 bytes"));
  auto shorter = cache.put(digest, source_from_string("twelve bytes"), BlobInfo{20, ""});
  REQUIRE_FALSE(shorter.has_value());
  CHECK_THAT(shorter.error().what(), Catch::Contains("ended after 12 of the 20 bytes"));
  CHECK_FALSE(fs::exists(cache.blob_path(digest)));
  CHECK(entries(cache.layout().temp_directory()) == 0);
}

TEST_CASE("an abandoned or destroyed writer removes its temp file and frees the blob", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  Digest digest = test::digest_of("streamed");
  {
    auto slot = cache.begin_blob(digest, BlobInfo{});
    REQUIRE(slot.has_value());
    auto& writer = std::get<BlobWriter>(*slot);
    REQUIRE(writer.write(std::string_view("stre")).has_value());
    CHECK(entries(cache.layout().temp_directory()) == 1);
    CHECK_FALSE(fs::exists(cache.blob_path(digest)));
    CHECK_FALSE(lock_is_free(cache, digest));
  }
  CHECK(entries(cache.layout().temp_directory()) == 0);
  CHECK(lock_is_free(cache, digest));
  auto slot = cache.begin_blob(digest, BlobInfo{});
  REQUIRE(slot.has_value());
  auto& writer = std::get<BlobWriter>(*slot);
  REQUIRE(writer.write(std::string_view("streamed")).has_value());
  auto committed = writer.commit();
  REQUIRE(committed.has_value());
  CHECK(committed->writes == 1);
  CHECK(test::file_bytes(cache.blob_path(digest)) == "streamed");
}

TEST_CASE("a complete blob file without a row is adopted instead of written again", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  Digest digest = test::digest_of("left by a writer that died");
  // What a writer killed between rename and indexing leaves.
  REQUIRE(write_file_atomic(cache.blob_path(digest), "left by a writer that died").has_value());
  bool read = false;
  ByteSource source = [&](std::span<std::byte>) -> Result<std::size_t> {
    read = true;
    return std::size_t{0};
  };
  auto put = cache.put(digest, source, BlobInfo{});
  REQUIRE(put.has_value());
  CHECK(put->outcome == PutOutcome::already_stored);
  CHECK_FALSE(read);
  CHECK(cache.index().find_blob(digest)->value().writes == 0);
}

TEST_CASE("a wrong file under a digest name is replaced by the right bytes", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  Digest digest = test::digest_of("right");
  REQUIRE(write_file_atomic(cache.blob_path(digest), "wrong").has_value());
  auto put = test::put_text(cache, "right");
  CHECK(put.outcome == PutOutcome::written);
  CHECK(test::file_bytes(cache.blob_path(digest)) == "right");
}

TEST_CASE("a blob deleted by hand is written again on the next put", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  auto first = test::put_text(cache, "fragile");
  REQUIRE(fs::remove(cache.blob_path(first.blob.digest)));
  CHECK_FALSE(cache.find_blob(first.blob.digest)->has_value());
  auto second = test::put_text(cache, "fragile");
  CHECK(second.outcome == PutOutcome::written);
  CHECK(second.blob.writes == 2);
  CHECK(test::file_bytes(cache.blob_path(first.blob.digest)) == "fragile");
}

TEST_CASE("put_file stores a file under the digest of its content", "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  REQUIRE(write_file_atomic(dir.file("image.sif"), "SIF bytes").has_value());
  auto put = cache.put_file(dir.file("image.sif"), "application/vnd.sylabs.sif.layer.v1.sif");
  REQUIRE(put.has_value());
  CHECK(put->blob.digest == test::digest_of("SIF bytes"));
  auto file = cache.open_blob(put->blob.digest);
  REQUIRE(file.has_value());
  CHECK(file->size() == 9);
  CHECK(cache.open_blob(test::digest_of("absent")).error().kind() == ErrorKind::not_found);
}

TEST_CASE("put_file moving a work file renames it into the cache under its digest, and leaves "
          "it when the blob is already stored",
          "[cache]") {
  test::TempDir dir;
  Cache cache = test::open_cache(dir.file("c"));
  std::string work = cache.layout().temp_directory() + "/image.sif";
  REQUIRE(write_file_atomic(work, "SIF bytes").has_value());
  struct stat before {};
  REQUIRE(::stat(work.c_str(), &before) == 0);
  auto put = cache.put_file(work, "application/vnd.sylabs.sif.layer.v1.sif", FileHandoff::move);
  REQUIRE(put.has_value());
  CHECK(put->outcome == PutOutcome::written);
  CHECK(put->blob.digest == test::digest_of("SIF bytes"));
  CHECK(put->blob.size == 9);
  std::string path = cache.blob_path(put->blob.digest);
  struct stat after {};
  REQUIRE(::stat(path.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino); // renamed, not copied
  CHECK((after.st_mode & 0777) == 0444);
  CHECK_FALSE(fs::exists(work));
  CHECK(lock_is_free(cache, put->blob.digest));
  // Nothing of the writer's own temp file is left behind.
  CHECK(entries(cache.layout().temp_directory()) == 0);

  REQUIRE(write_file_atomic(work, "SIF bytes").has_value());
  auto again = cache.put_file(work, "application/vnd.sylabs.sif.layer.v1.sif", FileHandoff::move);
  REQUIRE(again.has_value());
  CHECK(again->outcome == PutOutcome::already_stored);
  CHECK(fs::exists(work));
  auto verified = test::file_bytes(path);
  CHECK(verified == "SIF bytes");
}
