#include "convert_flags.h"

#include <charconv>
#include <limits>

namespace sifkit::tools {

void add_convert_flags(CLI::App& app, ConvertFlags& flags) {
  app.add_option("--compressor", flags.compressor, "Squashfs compressor (default: gzip)")
      ->type_name("gzip|zstd|xz|lz4");
  app.add_option("--level", flags.level, "Compression level (default: the compressor's)")
      ->type_name("N");
  app.add_option("--block-size", flags.block_size, "Squashfs block size, 4K-1M (default: 128K)")
      ->type_name("SIZE");
  app.add_option("--threads", flags.threads, "Compression threads (default: one per CPU)")
      ->type_name("N");
  app.add_flag("--keep-layers", flags.keep_layers,
               "One squashfs per layer with overlayfs whiteouts, instead of one merged");
}

Result<std::uint64_t> parse_byte_size(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  std::string_view unit(end, text.data() + text.size() - end);
  std::uint64_t scale = 1;
  if (!unit.empty()) {
    char first = unit.front();
    scale = first == 'K' || first == 'k'   ? 1ULL << 10
            : first == 'M' || first == 'm' ? 1ULL << 20
            : first == 'G' || first == 'g' ? 1ULL << 30
                                           : 0;
    unit.remove_prefix(1);
  }
  bool unit_ok = scale != 0 && (unit.empty() || unit == "B" || unit == "i" || unit == "iB");
  if (ec != std::errc() || end == text.data() || !unit_ok ||
      value > std::numeric_limits<std::uint64_t>::max() / scale) {
    return fail(ErrorKind::usage,
                "\"" + std::string(text) + "\" is not a size (examples: 131072, 128K, 1M)");
  }
  return value * scale;
}

Result<convert::ConvertOptions> convert_options(const ConvertFlags& flags) {
  convert::ConvertOptions options;
  SIFKIT_TRY_ASSIGN(auto compressor,
                    with_context(convert::parse_compressor(flags.compressor), "--compressor"));
  options.squash.compressor = compressor;
  options.squash.level = flags.level;
  options.squash.threads = flags.threads;
  if (flags.block_size) {
    SIFKIT_TRY_ASSIGN(auto size, with_context(parse_byte_size(*flags.block_size), "--block-size"));
    if (size > std::numeric_limits<std::uint32_t>::max()) {
      return fail(ErrorKind::usage, "--block-size: " + *flags.block_size + " is too large");
    }
    options.squash.block_size = static_cast<std::uint32_t>(size);
  }
  SIFKIT_TRY(convert::validate(options.squash));
  options.layers = flags.keep_layers ? convert::LayerMode::keep_layers : convert::LayerMode::squash;
  return options;
}

} // namespace sifkit::tools
