#include <convert/options.h>

#include <fmt/format.h>
#include <unistd.h>

namespace sifkit::convert {

namespace {

struct LevelRange {
  int min;
  int max;
};

// The levels each compressor accepts; xz and lz4 have no level setting here, only 0.
LevelRange level_range(Compressor compressor) {
  switch (compressor) {
  case Compressor::gzip:
    return {1, 12}; // libdeflate's range; 10-12 are its slow exhaustive searches
  case Compressor::zstd:
    return {1, 22};
  case Compressor::xz:
  case Compressor::lz4:
    break;
  }
  return {0, 0};
}

constexpr Compressor k_all[] = {Compressor::gzip, Compressor::zstd, Compressor::xz,
                                Compressor::lz4};

} // namespace

std::string_view compressor_name(Compressor compressor) {
  switch (compressor) {
  case Compressor::gzip:
    return "gzip";
  case Compressor::zstd:
    return "zstd";
  case Compressor::xz:
    return "xz";
  case Compressor::lz4:
    return "lz4";
  }
  return "unknown";
}

Result<Compressor> parse_compressor(std::string_view name) {
  for (Compressor compressor : k_all) {
    if (compressor_name(compressor) == name) {
      return compressor;
    }
  }
  return fail(ErrorKind::usage,
              fmt::format("unknown compressor \"{}\" (expected gzip, zstd, xz or lz4)", name));
}

int default_level(Compressor compressor) {
  switch (compressor) {
  case Compressor::gzip:
    return 5; // measured: smaller than zlib -9 on a Debian image, ~9x faster (options.h)
  case Compressor::zstd:
    return 15;
  case Compressor::xz:
  case Compressor::lz4:
    break;
  }
  return 0;
}

Result<void> validate(const SquashOptions& options) {
  if (options.level) {
    LevelRange range = level_range(options.compressor);
    int level = *options.level;
    if (range.max == 0 && level != 0) {
      return fail(ErrorKind::usage, fmt::format("{} has no compression level (got {})",
                                                compressor_name(options.compressor), level));
    }
    if (level < range.min || level > range.max) {
      return fail(ErrorKind::usage,
                  fmt::format("{} level {} is out of range ({}-{})",
                              compressor_name(options.compressor), level, range.min, range.max));
    }
  }
  std::uint32_t block = options.block_size;
  bool power_of_two = block != 0 && (block & (block - 1)) == 0;
  if (!power_of_two || block < k_min_block_size || block > k_max_block_size) {
    return fail(ErrorKind::usage,
                fmt::format("block size {} is not a power of two between {} and {}", block,
                            k_min_block_size, k_max_block_size));
  }
  return {};
}

// Raised whenever the writer's bytes for the same input and options change (2: blocks that
// do not compress are stored without trying), so a cache never serves a conversion the
// current writer would not make.
constexpr int k_writer_revision = 2;

std::string options_key(const SquashOptions& options) {
  // The effective level, so that an explicit default and no level share one cache entry.
  int level = options.level.value_or(default_level(options.compressor));
  return fmt::format("squashfs;{};level={};block={};writer={}", compressor_name(options.compressor),
                     level, options.block_size, k_writer_revision);
}

unsigned worker_count(const SquashOptions& options) {
  if (options.threads != 0) {
    return options.threads;
  }
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<unsigned>(online) : 1;
}

} // namespace sifkit::convert
