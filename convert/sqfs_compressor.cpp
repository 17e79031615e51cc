#include <convert/deflate_compressor.h>
#include <convert/sqfs_compressor.h>

#include <fmt/format.h>

extern "C" {
#include <sqfs/error.h>
}

namespace sifkit::convert {

namespace {

// libsquashfs's compressor for `id`: `flags` 0 to compress, SQFS_COMP_FLAG_UNCOMPRESS to
// extract. `level` is set only when given (zstd); the others keep libsquashfs's settings.
Result<SqfsPtr<sqfs_compressor_t>> make_library_compressor(Compressor compressor,
                                                           std::uint32_t block_size,
                                                           std::uint16_t flags,
                                                           std::optional<int> level) {
  sqfs_compressor_config_t config;
  int ret = sqfs_compressor_config_init(&config, sqfs_id(compressor), block_size, flags);
  if (ret == 0 && level) {
    config.level = static_cast<sqfs_u32>(*level);
  }
  sqfs_compressor_t* created = nullptr;
  if (ret == 0) {
    ret = sqfs_compressor_create(&config, &created);
  }
  if (ret == SQFS_ERROR_UNSUPPORTED) {
    return fail(ErrorKind::unsupported,
                fmt::format("this libsquashfs has no {} {}", compressor_name(compressor),
                            (flags & SQFS_COMP_FLAG_UNCOMPRESS) ? "decompressor" : "compressor"));
  }
  if (ret != 0 || created == nullptr) {
    return fail(ErrorKind::internal, fmt::format("creating the {} compressor: libsquashfs error {}",
                                                 compressor_name(compressor), ret));
  }
  return SqfsPtr<sqfs_compressor_t>(created);
}

} // namespace

SQFS_COMPRESSOR sqfs_id(Compressor compressor) {
  switch (compressor) {
  case Compressor::gzip:
    return SQFS_COMP_GZIP;
  case Compressor::zstd:
    return SQFS_COMP_ZSTD;
  case Compressor::xz:
    return SQFS_COMP_XZ;
  case Compressor::lz4:
    return SQFS_COMP_LZ4;
  }
  return SQFS_COMP_GZIP;
}

Result<SqfsPtr<sqfs_compressor_t>> make_compressor(const SquashOptions& options) {
  SIFKIT_TRY(validate(options));
  int level = options.level.value_or(default_level(options.compressor));
  switch (options.compressor) {
  case Compressor::gzip: {
    sqfs_compressor_t* deflate = create_deflate_compressor(level, options.block_size);
    if (deflate == nullptr) {
      return fail(ErrorKind::internal, "creating the gzip compressor: out of memory");
    }
    return SqfsPtr<sqfs_compressor_t>(deflate);
  }
  case Compressor::zstd:
    return make_library_compressor(options.compressor, options.block_size, 0, level);
  case Compressor::xz:
  case Compressor::lz4:
    break;
  }
  return make_library_compressor(options.compressor, options.block_size, 0, std::nullopt);
}

Result<SqfsPtr<sqfs_compressor_t>> make_decompressor(const SquashOptions& options) {
  SIFKIT_TRY(validate(options));
  // gzip included: our blocks are plain zlib streams, which libsquashfs's inflate reads.
  return make_library_compressor(options.compressor, options.block_size, SQFS_COMP_FLAG_UNCOMPRESS,
                                 std::nullopt);
}

} // namespace sifkit::convert
