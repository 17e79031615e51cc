#include <common/digest.h>
#include <cache/layout.h>
#include <cache/units.h>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;

TEST_CASE("a digest parses from sha256:<hex> and prints back the same text", "[cache]") {
  std::string text = "sha256:" + std::string(64, 'a');
  auto digest = Digest::parse(text);
  REQUIRE(digest.has_value());
  CHECK(digest->text() == text);
  CHECK(digest->hex() == std::string(64, 'a'));
  CHECK(digest->short_text() == "sha256:aaaaaaaaaaaa");
}

TEST_CASE("malformed digests are corrupt input that names the input", "[cache]") {
  for (std::string bad : std::vector<std::string>{
           "sha256:abc", "md5:" + std::string(32, 'a'), "sha256:" + std::string(64, 'A'),
           std::string(64, 'a'), "sha256:" + std::string(63, 'a') + "g"}) {
    INFO(bad);
    auto digest = Digest::parse(bad);
    REQUIRE_FALSE(digest.has_value());
    CHECK(digest.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(digest.error().what(), Catch::Contains(bad));
  }
}

TEST_CASE("the digest hasher gives the known sha256 of a string", "[cache]") {
  CHECK(test::digest_of("hello\n").text() ==
        "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
}

TEST_CASE("temp file names carry their blob's digest and nothing else parses as one", "[cache]") {
  Layout layout("/cache");
  Digest digest = test::digest_of("x");
  std::string path = layout.new_temp_path(digest);
  CHECK(path != layout.new_temp_path(digest));
  std::string name = path.substr(path.rfind('/') + 1);
  CHECK(digest_of_temp_name(name) == digest);
  CHECK_FALSE(digest_of_temp_name("notes.txt").has_value());
  CHECK_FALSE(digest_of_temp_name("sha256-abc.1.2").has_value());
  CHECK(layout.blob_path(digest) == "/cache/blobs/sha256/" + digest.hex());
  CHECK(layout.lock_file(DigestAlgorithm::sha256) == "/cache/locks/sha256.lock");
}

TEST_CASE("sizes and durations parse as users type them", "[cache]") {
  CHECK(parse_byte_size("1048576") == 1048576);
  CHECK(parse_byte_size("500K") == 500 * 1024);
  CHECK(parse_byte_size("10M") == 10 * 1024 * 1024);
  CHECK(parse_byte_size("1.5GiB") == 1536LL * 1024 * 1024);
  CHECK(parse_byte_size("2gb") == 2LL * 1024 * 1024 * 1024);
  CHECK(parse_duration("90") == std::chrono::seconds(90));
  CHECK(parse_duration("15m") == std::chrono::minutes(15));
  CHECK(parse_duration("30d") == std::chrono::hours(24 * 30));
  CHECK(parse_duration("2w") == std::chrono::hours(24 * 14));
  for (const char* bad : {"", "-1", "12X", "M", "1.5.3G"}) {
    INFO(bad);
    CHECK(parse_byte_size(bad).error().kind() == ErrorKind::usage);
  }
  CHECK(parse_duration("3y").error().kind() == ErrorKind::usage);
}
