// Compressor objects for squashfs: our libdeflate gzip against libsquashfs's inflate, the
// library's own compressors, copies for worker threads, and the on-disk gzip options.
#include <convert/sqfs_compressor.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "support/skip.h"
#include <catch2/catch.hpp>

extern "C" {
#include <sqfs/error.h>
#include <sqfs/io.h>
#include <sqfs/super.h>
}

using namespace sifkit;
using namespace sifkit::convert;

namespace {

using Bytes = std::vector<sqfs_u8>;

Bytes random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out) {
    b = static_cast<sqfs_u8>(rng());
  }
  return out;
}

// Compressible but not trivial: numbered lines of words drawn at random.
Bytes text_bytes(std::size_t size, unsigned seed) {
  static const char* const words[] = {"squashfs", "layer", "whiteout", "manifest", "digest",
                                      "block",    "inode", "fragment", "compress", "image"};
  std::mt19937 rng(seed);
  std::string text;
  for (int line = 0; text.size() < size; ++line) {
    text += std::to_string(line) + ":";
    for (int i = 0; i < 8; ++i) {
      text += ' ';
      text += words[rng() % 10];
    }
    text += '\n';
  }
  return Bytes(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(size));
}

SqfsPtr<sqfs_compressor_t> require_compressor(Result<SqfsPtr<sqfs_compressor_t>> made) {
  INFO((made ? std::string() : made.error().what()));
  REQUIRE(made.has_value());
  return std::move(*made);
}

// Compresses `input` with `compressor`, or returns it unchanged when do_block says to store
// it; fails the test on errors.
Bytes compress(sqfs_compressor_t* compressor, const Bytes& input, bool* stored = nullptr) {
  Bytes out(input.size());
  sqfs_s32 n = compressor->do_block(compressor, input.data(), static_cast<sqfs_u32>(input.size()),
                                    out.data(), static_cast<sqfs_u32>(out.size()));
  REQUIRE(n >= 0);
  if (stored != nullptr) {
    *stored = n == 0;
  }
  if (n == 0) {
    return input;
  }
  REQUIRE(static_cast<std::size_t>(n) < input.size());
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Bytes decompress(sqfs_compressor_t* decompressor, const Bytes& block, std::size_t size) {
  Bytes out(size);
  sqfs_s32 n =
      decompressor->do_block(decompressor, block.data(), static_cast<sqfs_u32>(block.size()),
                             out.data(), static_cast<sqfs_u32>(out.size()));
  REQUIRE(n == static_cast<sqfs_s32>(size));
  return out;
}

void check_round_trip(const SquashOptions& options, const Bytes& input) {
  auto compressor = require_compressor(make_compressor(options));
  auto decompressor = require_compressor(make_decompressor(options));
  bool stored = false;
  Bytes block = compress(compressor.get(), input, &stored);
  CHECK_FALSE(stored);
  CHECK(decompress(decompressor.get(), block, input.size()) == input);
}

// An in-memory sqfs_file_t, to see what write_options writes.
struct MemoryFile {
  sqfs_file_t base{};
  Bytes data;

  MemoryFile() {
    base.base.destroy = [](sqfs_object_t*) {};
    base.read_at = [](sqfs_file_t* f, sqfs_u64 offset, void* buffer, size_t size) {
      Bytes& d = reinterpret_cast<MemoryFile*>(f)->data;
      if (offset + size > d.size()) {
        return static_cast<int>(SQFS_ERROR_OUT_OF_BOUNDS);
      }
      std::memcpy(buffer, d.data() + offset, size);
      return 0;
    };
    base.write_at = [](sqfs_file_t* f, sqfs_u64 offset, const void* buffer, size_t size) {
      Bytes& d = reinterpret_cast<MemoryFile*>(f)->data;
      if (offset + size > d.size()) {
        d.resize(offset + size);
      }
      std::memcpy(d.data() + offset, buffer, size);
      return 0;
    };
    base.get_size = [](const sqfs_file_t* f) {
      return static_cast<sqfs_u64>(reinterpret_cast<const MemoryFile*>(f)->data.size());
    };
  }
};

SquashOptions gzip_at(int level) {
  SquashOptions options;
  options.level = level;
  return options;
}

} // namespace

TEST_CASE("gzip blocks from libdeflate decode with libsquashfs's gzip decompressor", "[convert]") {
  for (int level : {1, 6, 9, 12}) {
    INFO("level " << level);
    check_round_trip(gzip_at(level), text_bytes(k_default_block_size, 1));
    check_round_trip(gzip_at(level), text_bytes(1000, 2));
  }
  // 16 KiB of random bytes repeated: compressible only through back references, which
  // deflate's 32 KiB window reaches.
  Bytes unit = random_bytes(16 * 1024, 3);
  Bytes repeated;
  while (repeated.size() < k_default_block_size) {
    repeated.insert(repeated.end(), unit.begin(), unit.end());
  }
  check_round_trip(SquashOptions{}, repeated);
}

TEST_CASE("gzip stores an incompressible block uncompressed", "[convert]") {
  auto compressor = require_compressor(make_compressor(SquashOptions{}));
  Bytes input = random_bytes(k_default_block_size, 4);
  Bytes out(input.size() * 2);
  // Even with room to spare, a result that is not smaller must come back as 0.
  CHECK(compressor->do_block(compressor.get(), input.data(), static_cast<sqfs_u32>(input.size()),
                             out.data(), static_cast<sqfs_u32>(out.size())) == 0);
  CHECK(compressor->do_block(compressor.get(), input.data(), 0, out.data(), 16) == 0);
}

TEST_CASE("gzip compresses blocks that look random byte by byte but repeat or hold some text",
          "[convert]") {
  // A 3000-byte piece of random bytes repeated: its byte frequencies look uniform
  // wherever the block is sampled, and only back references shrink it.
  Bytes unit = random_bytes(3000, 6);
  Bytes repeated;
  while (repeated.size() < k_default_block_size) {
    repeated.insert(repeated.end(), unit.begin(), unit.end());
  }
  repeated.resize(k_default_block_size);
  check_round_trip(SquashOptions{}, repeated);
  // Random bytes with a tenth of text spread among them.
  Bytes mixed = random_bytes(k_default_block_size, 7);
  Bytes text = text_bytes(k_default_block_size / 10, 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    mixed[i * 10] = text[i];
  }
  check_round_trip(SquashOptions{}, mixed);
}

TEST_CASE("gzip returns 0 when the result does not fit the output buffer", "[convert]") {
  auto compressor = require_compressor(make_compressor(SquashOptions{}));
  Bytes input = text_bytes(k_default_block_size, 5);
  Bytes out(16);
  CHECK(compressor->do_block(compressor.get(), input.data(), static_cast<sqfs_u32>(input.size()),
                             out.data(), static_cast<sqfs_u32>(out.size())) == 0);
}

TEST_CASE("a copied gzip compressor works independently of the original", "[convert]") {
  auto original = require_compressor(make_compressor(gzip_at(7)));
  SqfsPtr<sqfs_compressor_t> copy(static_cast<sqfs_compressor_t*>(sqfs_copy(original.get())));
  REQUIRE(copy != nullptr);
  REQUIRE(copy.get() != original.get());

  sqfs_compressor_config_t a;
  sqfs_compressor_config_t b;
  original->get_configuration(original.get(), &a);
  copy->get_configuration(copy.get(), &b);
  CHECK(std::memcmp(&a, &b, sizeof(a)) == 0);

  Bytes input = text_bytes(k_default_block_size, 6);
  Bytes from_original = compress(original.get(), input);
  original.reset(); // the copy must not depend on the original's encoder
  CHECK(compress(copy.get(), input) == from_original);

  auto decompressor = require_compressor(make_decompressor(SquashOptions{}));
  CHECK(decompress(decompressor.get(), from_original, input.size()) == input);
}

TEST_CASE("every compressor this libsquashfs supports round-trips a block", "[convert]") {
  int supported = 0;
  for (Compressor c : {Compressor::gzip, Compressor::zstd, Compressor::xz, Compressor::lz4}) {
    SquashOptions options;
    options.compressor = c;
    auto made = make_compressor(options);
    if (!made && made.error().kind() == ErrorKind::unsupported) {
      SIFKIT_SKIP(program, compressor_name(c) << " is not built into this libsquashfs");
      continue;
    }
    INFO(compressor_name(c));
    ++supported;
    check_round_trip(options, text_bytes(k_default_block_size, 7));
    SqfsPtr<sqfs_compressor_t> copy(static_cast<sqfs_compressor_t*>(sqfs_copy(made->get())));
    REQUIRE(copy != nullptr);

    sqfs_compressor_config_t config;
    (*made)->get_configuration(made->get(), &config);
    CHECK(config.id == sqfs_id(c));
    CHECK(config.block_size == k_default_block_size);
  }
  CHECK(supported >= 1);
}

TEST_CASE("zstd compressors carry the requested level", "[convert]") {
  SquashOptions options;
  options.compressor = Compressor::zstd;
  options.level = 3;
  auto made = make_compressor(options);
  if (!made && made.error().kind() == ErrorKind::unsupported) {
    SIFKIT_SKIP(program, "zstd is not built into this libsquashfs");
    return;
  }
  auto compressor = require_compressor(std::move(made));
  sqfs_compressor_config_t config;
  compressor->get_configuration(compressor.get(), &config);
  CHECK(config.level == 3);
}

TEST_CASE("bad levels and block sizes make no compressor and are usage errors", "[convert]") {
  SquashOptions options = gzip_at(13);
  auto made = make_compressor(options);
  REQUIRE_FALSE(made.has_value());
  CHECK(made.error().kind() == ErrorKind::usage);

  options = SquashOptions{};
  options.block_size = 3000;
  made = make_compressor(options);
  REQUIRE_FALSE(made.has_value());
  CHECK(made.error().kind() == ErrorKind::usage);
  made = make_decompressor(options);
  REQUIRE_FALSE(made.has_value());
  CHECK(made.error().kind() == ErrorKind::usage);
}

TEST_CASE("gzip describes itself as zlib gzip with its level and a 32 KiB window", "[convert]") {
  auto compressor = require_compressor(make_compressor(SquashOptions{}));
  sqfs_compressor_config_t config;
  compressor->get_configuration(compressor.get(), &config);
  CHECK(config.id == SQFS_COMP_GZIP);
  CHECK(config.flags == 0);
  CHECK(config.block_size == k_default_block_size);
  CHECK(config.level == static_cast<sqfs_u32>(default_level(Compressor::gzip)));
  CHECK(config.opt.gzip.window_size == 15);
}

TEST_CASE("gzip writes its options after the super block as libsquashfs reads them", "[convert]") {
  auto compressor = require_compressor(make_compressor(gzip_at(6)));
  MemoryFile file;
  int written = compressor->write_options(compressor.get(), &file.base);
  REQUIRE(written == 10);
  const Bytes expected = {0x08, 0x80, 6, 0, 0, 0, 15, 0, 0, 0};
  REQUIRE(file.data.size() == sizeof(sqfs_super_t) + expected.size());
  CHECK(Bytes(file.data.begin() + sizeof(sqfs_super_t), file.data.end()) == expected);

  // libsquashfs's own gzip reader accepts the block and takes the level from it.
  auto reader = require_compressor(make_decompressor(SquashOptions{}));
  REQUIRE(reader->read_options(reader.get(), &file.base) == 0);
  sqfs_compressor_config_t config;
  reader->get_configuration(reader.get(), &config);
  CHECK(config.level == 6);
  CHECK(config.opt.gzip.window_size == 15);
}

TEST_CASE("gzip at zlib's default level 9 and above writes no options", "[convert]") {
  for (int level : {9, 10, 12}) {
    INFO("level " << level);
    auto compressor = require_compressor(make_compressor(gzip_at(level)));
    MemoryFile file;
    CHECK(compressor->write_options(compressor.get(), &file.base) == 0);
    CHECK(file.data.empty());
    sqfs_compressor_config_t config;
    compressor->get_configuration(compressor.get(), &config);
    CHECK(config.level == 9); // what libsquashfs and mksquashfs readers accept
  }
}
