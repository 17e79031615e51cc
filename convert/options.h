#pragma once

// The options of a conversion to squashfs: compressor, level, block size, threads.
#include <common/error.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::convert {

enum class Compressor { gzip, zstd, xz, lz4 };

inline constexpr std::uint32_t k_default_block_size = 128 * 1024; // as tar2sqfs, mksquashfs
inline constexpr std::uint32_t k_min_block_size = 4 * 1024;
inline constexpr std::uint32_t k_max_block_size = 1024 * 1024;

// How large the merged tree of a conversion may grow. A hostile layer can imply
// thousands of directories with each entry ("a/a/a/.../f"), so the tree is capped in
// proportion to what the layers hold: `base_nodes` entries, plus one per
// `input_bytes_per_node` bytes of entry headers read (512 per entry, plus its name, link
// target and xattrs), and never more than `max_nodes`. Past it: `capacity`.
struct TreeLimits {
  std::int64_t base_nodes = 1'000'000;
  std::int64_t input_bytes_per_node = 256;
  std::int64_t max_nodes = 50'000'000;
};

struct SquashOptions {
  Compressor compressor = Compressor::gzip; // what SingularityCE writes
  std::optional<int> level;                 // empty: the compressor's default (default_level)
  std::uint32_t block_size = k_default_block_size;
  unsigned threads = 0;   // compression workers; 0: one per online CPU
  TreeLimits tree_limits; // not part of the output's shape: options_key leaves it out
};

// "gzip", "zstd", "xz", "lz4".
std::string_view compressor_name(Compressor compressor);
// The inverse of compressor_name; `usage` naming the accepted values otherwise.
Result<Compressor> parse_compressor(std::string_view name);
// The level used when none is given (gzip: 5 — the lowest libdeflate level still smaller
// than zlib's 9: on debian:bookworm's 128 KiB blocks 0.6% smaller and ~9x faster; zstd 15
// as tar2sqfs; xz and lz4: their only setting, 0).
int default_level(Compressor compressor);
// Checks level range per compressor (gzip 1-12, zstd 1-22, xz/lz4 none but 0) and block
// size (power of two between 4 KiB and 1 MiB); `usage` with the reason otherwise.
Result<void> validate(const SquashOptions& options);
// Canonical text of the options that shape the output (not `threads`), e.g.
// "squashfs;gzip;level=5;block=131072;writer=2" — the cache's conversion key.
std::string options_key(const SquashOptions& options);
// Worker count to use: `options.threads`, or the online CPUs when 0 (at least 1).
unsigned worker_count(const SquashOptions& options);

} // namespace sifkit::convert
