// SquashOptions: compressor names, level and block size checks, the cache key, workers.
#include <convert/options.h>

#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::convert;

TEST_CASE("compressor names round trip through parse_compressor", "[convert]") {
  for (Compressor c : {Compressor::gzip, Compressor::zstd, Compressor::xz, Compressor::lz4}) {
    auto parsed = parse_compressor(compressor_name(c));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == c);
  }
}

TEST_CASE("an unknown compressor name is a usage error naming the accepted values", "[convert]") {
  auto parsed = parse_compressor("lzo");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().kind() == ErrorKind::usage);
  const std::string& message = parsed.error().message();
  CHECK_THAT(message, Catch::Contains("lzo"));
  for (const char* name : {"gzip", "zstd", "xz", "lz4"}) {
    CHECK_THAT(message, Catch::Contains(name));
  }
  CHECK_FALSE(parse_compressor("GZIP").has_value());
  CHECK_FALSE(parse_compressor("").has_value());
}

TEST_CASE("default levels are each compressor's documented default", "[convert]") {
  CHECK(default_level(Compressor::gzip) == 5);
  CHECK(default_level(Compressor::zstd) == 15);
  CHECK(default_level(Compressor::xz) == 0);
  CHECK(default_level(Compressor::lz4) == 0);
}

TEST_CASE("default options are valid", "[convert]") {
  CHECK(validate(SquashOptions{}).has_value());
}

TEST_CASE("levels outside each compressor's range are usage errors", "[convert]") {
  auto check = [](Compressor compressor, int level, bool ok) {
    SquashOptions options;
    options.compressor = compressor;
    options.level = level;
    auto result = validate(options);
    INFO(compressor_name(compressor) << " level " << level);
    CHECK(result.has_value() == ok);
    if (!result) {
      CHECK(result.error().kind() == ErrorKind::usage);
    }
  };
  check(Compressor::gzip, 0, false);
  check(Compressor::gzip, 1, true);
  check(Compressor::gzip, 12, true);
  check(Compressor::gzip, 13, false);
  check(Compressor::zstd, 0, false);
  check(Compressor::zstd, 22, true);
  check(Compressor::zstd, 23, false);
  check(Compressor::xz, 0, true);
  check(Compressor::xz, 6, false);
  check(Compressor::lz4, 0, true);
  check(Compressor::lz4, -1, false);
}

TEST_CASE("block sizes must be powers of two between 4 KiB and 1 MiB", "[convert]") {
  auto valid = [](std::uint32_t block_size) {
    SquashOptions options;
    options.block_size = block_size;
    auto result = validate(options);
    if (!result) {
      CHECK(result.error().kind() == ErrorKind::usage);
    }
    return result.has_value();
  };
  CHECK(valid(4096));
  CHECK(valid(128 * 1024));
  CHECK(valid(1024 * 1024));
  CHECK_FALSE(valid(0));
  CHECK_FALSE(valid(2048));
  CHECK_FALSE(valid(2 * 1024 * 1024));
  CHECK_FALSE(valid(100000));
}

TEST_CASE("options_key is stable and ignores threads", "[convert]") {
  SquashOptions options;
  CHECK(options_key(options) == "squashfs;gzip;level=5;block=131072;writer=2");

  SquashOptions threaded = options;
  threaded.threads = 7;
  CHECK(options_key(threaded) == options_key(options));

  SquashOptions explicit_default = options;
  explicit_default.level = 5;
  CHECK(options_key(explicit_default) == options_key(options));

  SquashOptions other;
  other.compressor = Compressor::zstd;
  other.level = 19;
  other.block_size = 1024 * 1024;
  CHECK(options_key(other) == "squashfs;zstd;level=19;block=1048576;writer=2");
  other.compressor = Compressor::xz;
  other.level.reset();
  CHECK(options_key(other) == "squashfs;xz;level=0;block=1048576;writer=2");
}

TEST_CASE("worker_count uses the given threads or at least one per online CPU", "[convert]") {
  SquashOptions options;
  options.threads = 3;
  CHECK(worker_count(options) == 3);
  options.threads = 0;
  CHECK(worker_count(options) >= 1);
}
