#pragma once

// squashfs "gzip" blocks (the zlib format, as the kernel, squashfuse and libsquashfs read
// them) encoded with libdeflate, behind libsquashfs's sqfs_compressor_t interface so that
// its block processor can use it like one of its own compressors.
#include <cstdint>

extern "C" {
#include <sqfs/compressor.h>
#include <sqfs/predef.h>
}

namespace sifkit::convert {

inline constexpr int k_deflate_min_level = 1;
inline constexpr int k_deflate_max_level = 12;
// The level zlib readers assume when an image records no compressor options.
inline constexpr int k_zlib_default_level = 9;

// A compressor (never a decompressor) at libdeflate `level` (1-12) for blocks of
// `block_size`; release it with sqfs_destroy. nullptr when `level` is out of range or
// memory runs out. sqfs_copy gives an independent instance (one per worker thread).
sqfs_compressor_t* create_deflate_compressor(int level, std::uint32_t block_size);

} // namespace sifkit::convert
