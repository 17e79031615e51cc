#pragma once

// The conversion flags sif-squash and sif-pull share (--compressor, --level,
// --block-size, --threads, --keep-layers), turned into convert::ConvertOptions.
#include <common/error.h>
#include <convert/oci_convert.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace sifkit::tools {

struct ConvertFlags {
  std::string compressor = "gzip";
  std::optional<int> level;
  std::optional<std::string> block_size; // "131072", "128K", "1M"
  unsigned threads = 0;
  bool keep_layers = false;
};

// Declares the flags on `app`, storing into `flags` (which must outlive parsing).
void add_convert_flags(CLI::App& app, ConvertFlags& flags);

// The options `flags` ask for; `usage` naming the flag for a bad compressor, level or
// block size.
Result<convert::ConvertOptions> convert_options(const ConvertFlags& flags);

// Parses a byte size: digits with an optional K, M or G suffix (powers of 1024, an
// optional "i" or "iB"/"B" after it); `usage` otherwise.
Result<std::uint64_t> parse_byte_size(std::string_view text);

} // namespace sifkit::tools
