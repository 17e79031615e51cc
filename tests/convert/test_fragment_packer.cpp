// File tails packed into fragment blocks in the reading thread: block boundaries,
// deduplication, zero tails, and the same bytes whatever the thread count.
#include <convert/squash.h>

#include <cstdint>
#include <random>

#include "convert/image_builder.h"
#include "convert/squash_scenario.h"
#include "convert/tree_snapshot.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>

namespace sifkit::test {

namespace {

constexpr std::uint32_t k_block = 4096;

// The fragment table's entry count, from the super block (little-endian u32 at 16).
std::uint32_t fragment_blocks(const std::string& image) {
  std::string bytes = file_bytes(image);
  REQUIRE(bytes.size() >= 20);
  std::uint32_t n = 0;
  for (int i = 3; i >= 0; --i)
    n = (n << 8) | static_cast<unsigned char>(bytes[16 + i]);
  return n;
}

std::string text(std::size_t size, char first) {
  std::string out(size, ' ');
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<char>(first + i % 23);
  return out;
}

// Extracts `image` and checks every file of `files` reads back with its content; skips
// (reported) where that cannot run here.
void check_read_back(const TempDir& tmp, const std::string& image, const Layer& files) {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "reading the squashfs back with owners needs root");
    return;
  }
  if (!have_program("unsquashfs")) {
    SIFKIT_SKIP(program, "unsquashfs is not installed");
    return;
  }
  unsquash(image, tmp.file("out"));
  Tree tree = snapshot_tree(tmp.file("out"));
  for (const TarEntry& e : files) {
    if (e.kind != TarKind::file)
      continue;
    INFO(e.path);
    REQUIRE(tree.count(e.path) == 1);
    CHECK(tree.at(e.path).size == static_cast<std::int64_t>(e.content.size()));
    CHECK(tree.at(e.path).sha256 == content_hash(e.content));
  }
}

} // namespace

TEST_CASE("tails that exactly fill a fragment block share it, and a repeated tail is stored once",
          "[convert]") {
  TempDir tmp;
  std::string a = text(3000, 'a');
  Layer layer = {
      tar_file("a", a),                                  // block 0, offset 0
      tar_file("b", text(k_block - 3000, 'b')),          // fills block 0 exactly
      tar_file("c", "c"),                                // block 1
      tar_file("copy-of-a", a),                          // the same bytes as a: no new room
      tar_file("d", text(1500, 'd')),                    // fits block 1 only if a was not copied
      tar_file("empty", ""),                             // no tail at all
      tar_file("zeros", std::string(k_block - 1, '\0')), // a hole, no fragment
      tar_file("two-blocks", text(k_block, 'x') + text(100, 'y')), // a tail of 100
      tar_file("zero-tail", text(k_block, 'z') + std::string(100, '\0')),
      tar_file("e", text(k_block - 1601, 'e')), // fills block 1 exactly
      tar_hardlink("link-to-b", "b"),
  };
  write_bytes(tmp.file("layer.tar"), build_tar(layer));
  convert::SquashOptions options;
  options.block_size = k_block;
  convert::SquashStats stats = squash_files({tmp.file("layer.tar")}, tmp.file("out.sqfs"), options);
  CHECK(stats.files == 10);
  // Block 0: a + b (exactly 4096). Block 1: c, d, the 100-byte tail and e (exactly
  // 4096). With a block started one byte early, or the copy of a packed again, there
  // would be three.
  CHECK(fragment_blocks(tmp.file("out.sqfs")) == 2);
  check_read_back(tmp, tmp.file("out.sqfs"), layer);
}

TEST_CASE("many small files with repeats and hardlinks give the same image with 1, 2 and 4 "
          "threads, and read back equal",
          "[convert]") {
  TempDir tmp;
  std::mt19937 rng(15);
  Layer layer;
  for (int d = 0; d < 12; ++d) {
    layer.push_back(tar_dir(fmt::format("d{}", d)));
    for (int f = 0; f < 250; ++f) {
      std::string path = fmt::format("d{}/f{:03}", d, f);
      std::size_t size = rng() % 700;
      if (f % 7 == 0) {
        layer.push_back(tar_file(path, text(size % 50, 'r'))); // repeats across directories
      } else if (f % 11 == 0) {
        layer.push_back(tar_file(path, std::string(size, '\0')));
      } else if (f % 13 == 0 && f > 0) {
        layer.push_back(tar_hardlink(path, fmt::format("d{}/f{:03}", d, f - 1)));
      } else {
        layer.push_back(tar_file(path, text(size, static_cast<char>('A' + rng() % 40))));
      }
    }
  }
  write_bytes(tmp.file("layer.tar"), build_tar(layer));
  convert::SquashOptions options;
  options.block_size = k_block;
  std::string first;
  for (unsigned threads : {1U, 2U, 4U}) {
    options.threads = threads;
    std::string out = tmp.file(fmt::format("out-{}.sqfs", threads));
    squash_files({tmp.file("layer.tar")}, out, options);
    if (first.empty())
      first = file_bytes(out);
    else
      CHECK(file_bytes(out) == first);
  }
  CHECK(fragment_blocks(tmp.file("out-1.sqfs")) > 100);
  check_read_back(tmp, tmp.file("out-1.sqfs"), layer);
}

} // namespace sifkit::test
