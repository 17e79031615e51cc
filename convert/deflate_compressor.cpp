#include <convert/deflate_compressor.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include <libdeflate.h>

extern "C" {
#include <sqfs/error.h>
#include <sqfs/io.h>
#include <sqfs/super.h>
}

namespace sifkit::convert {

namespace {

// libsquashfs calls through `base`, so it must be the first member of a standard-layout
// struct: a pointer to the object is a pointer to its base.
struct DeflateCompressor {
  sqfs_compressor_t base;
  libdeflate_compressor* encoder;
  int level;
  std::uint32_t block_size;
};

// gzip options as squashfs stores them (the layout every reader decodes).
constexpr std::size_t k_options_size = 8;
constexpr std::uint16_t k_default_window = 15;   // 32 KiB, all deflate streams fit it
constexpr std::uint16_t k_uncompressed = 0x8000; // metadata block header: stored as is

DeflateCompressor* self(sqfs_compressor_t* compressor) {
  return reinterpret_cast<DeflateCompressor*>(compressor);
}
const DeflateCompressor* self(const sqfs_compressor_t* compressor) {
  return reinterpret_cast<const DeflateCompressor*>(compressor);
}

// The level the image records. Readers only need it to be a valid zlib level (libsquashfs
// and mksquashfs reject options above 9), and libdeflate's 10-12 decode like any deflate.
std::uint32_t recorded_level(const DeflateCompressor* deflate) {
  return static_cast<std::uint32_t>(std::min(deflate->level, k_zlib_default_level));
}

void put_le(std::uint8_t* out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out[i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
}

void destroy(sqfs_object_t* object) {
  auto* deflate = reinterpret_cast<DeflateCompressor*>(object);
  libdeflate_free_compressor(deflate->encoder);
  delete deflate;
}

sqfs_object_t* copy(const sqfs_object_t* object) {
  const auto* deflate = reinterpret_cast<const DeflateCompressor*>(object);
  // A fresh encoder: libdeflate's state is scratch space that threads must not share.
  return reinterpret_cast<sqfs_object_t*>(
      create_deflate_compressor(deflate->level, deflate->block_size));
}

void get_configuration(const sqfs_compressor_t* compressor, sqfs_compressor_config_t* config) {
  const DeflateCompressor* deflate = self(compressor);
  std::memset(config, 0, sizeof(*config));
  config->id = SQFS_COMP_GZIP;
  config->block_size = deflate->block_size;
  config->level = recorded_level(deflate);
  config->opt.gzip.window_size = k_default_window;
}

int write_options(sqfs_compressor_t* compressor, sqfs_file_t* file) {
  std::uint32_t level = recorded_level(self(compressor));
  if (level == static_cast<std::uint32_t>(k_zlib_default_level)) {
    return 0; // what readers assume without options; the super block then has no flag
  }
  // One uncompressed metadata block right after the super block: u16 header, then
  // u32 level, u16 window, u16 strategies (none), all little-endian.
  std::uint8_t block[2 + k_options_size];
  put_le(block, k_uncompressed | k_options_size, 2);
  put_le(block + 2, level, 4);
  put_le(block + 6, k_default_window, 2);
  put_le(block + 8, 0, 2);
  int ret = file->write_at(file, sizeof(sqfs_super_t), block, sizeof(block));
  return ret != 0 ? ret : static_cast<int>(sizeof(block));
}

int read_options(sqfs_compressor_t*, sqfs_file_t*) {
  return 0; // a compressor only; decoding deflate needs none of the options
}

// Blocks of (nearly) random bytes, such as files that are already compressed, do not
// shrink, and libdeflate only finds that out after a full pass over them. They are told
// apart at a fraction of that cost, in integer arithmetic (every machine decides alike):
//  * a sample of the block (64 pieces of 256 bytes spread over it) has byte frequencies
//    close to uniform: a collision probability sum(p²) under 1.1/256, a Rényi entropy
//    above ~7.86 bits a byte (random bytes give ~1.016/256; a tenth of text among them
//    already ~1.14/256), so Huffman codes cannot shrink it;
//  * and no back reference is there to find: of the 8-byte strings at a content-defined
//    sixty-fourth of the positions (the same strings are picked wherever they recur), fewer
//    than 8 occur twice (a repeated piece of random bytes shows thousands).
constexpr sqfs_u32 k_min_probed_size = 4096; // smaller blocks are simply tried

bool uniform_bytes(const sqfs_u8* in, sqfs_u32 size) {
  constexpr sqfs_u32 k_pieces = 64;
  constexpr sqfs_u32 k_piece_size = 256;
  std::uint32_t counts[256] = {};
  sqfs_u32 stride = size / k_pieces;
  sqfs_u32 piece = std::min(k_piece_size, stride);
  for (sqfs_u32 i = 0; i < k_pieces; ++i) {
    const sqfs_u8* at = in + static_cast<std::size_t>(i) * stride;
    for (sqfs_u32 j = 0; j < piece; ++j) {
      ++counts[at[j]];
    }
  }
  std::uint64_t n = std::uint64_t{k_pieces} * piece;
  std::uint64_t sum_squares = 0;
  for (std::uint32_t c : counts) {
    sum_squares += std::uint64_t{c} * c;
  }
  return 2560 * sum_squares < 11 * n * n; // 256 * sum_squares / n² < 1.1
}

bool has_repeats(const sqfs_u8* in, sqfs_u32 size) {
  constexpr std::size_t k_slots = 8192; // open addressing, at most size/64 entries
  constexpr int k_enough = 8;
  constexpr std::uint64_t k_mix = 0x9E3779B97F4A7C15u;
  std::vector<std::uint64_t> seen(k_slots, 0);
  int repeats = 0;
  for (sqfs_u32 i = 0; i + 8 <= size; ++i) {
    std::uint64_t word = 0;
    std::memcpy(&word, in + i, sizeof(word));
    std::uint64_t hash = (word + 1) * k_mix; // + 1: no string has the empty slot's hash
    if ((hash >> 58) != 0) {
      continue; // not one of the sampled strings
    }
    for (std::size_t slot = hash % k_slots;; slot = (slot + 1) % k_slots) {
      if (seen[slot] == 0) {
        seen[slot] = hash;
        break;
      }
      if (seen[slot] == hash) {
        if (++repeats >= k_enough) {
          return true;
        }
        break;
      }
    }
  }
  return false;
}

bool looks_incompressible(const sqfs_u8* in, sqfs_u32 size) {
  return size >= k_min_probed_size && uniform_bytes(in, size) && !has_repeats(in, size);
}

sqfs_s32 do_block(sqfs_compressor_t* compressor, const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out,
                  sqfs_u32 outsize) {
  if (size >= 0x7FFFFFFF) {
    return SQFS_ERROR_ARG_INVALID;
  }
  if (size == 0) {
    return 0;
  }
  // Capping the output below `size` makes libdeflate give up (return 0) as soon as the
  // result would not save a byte: the block is then stored uncompressed.
  std::size_t avail = std::min<std::size_t>(outsize, size - 1);
  if (looks_incompressible(in, size)) {
    return 0;
  }
  std::size_t written = libdeflate_zlib_compress(self(compressor)->encoder, in, size, out, avail);
  return static_cast<sqfs_s32>(written);
}

} // namespace

sqfs_compressor_t* create_deflate_compressor(int level, std::uint32_t block_size) {
  if (level < k_deflate_min_level || level > k_deflate_max_level) {
    return nullptr;
  }
  auto* deflate = new (std::nothrow) DeflateCompressor{};
  if (deflate == nullptr) {
    return nullptr;
  }
  deflate->encoder = libdeflate_alloc_compressor(level);
  if (deflate->encoder == nullptr) {
    delete deflate;
    return nullptr;
  }
  deflate->level = level;
  deflate->block_size = block_size;
  deflate->base.base.destroy = destroy;
  deflate->base.base.copy = copy;
  deflate->base.get_configuration = get_configuration;
  deflate->base.write_options = write_options;
  deflate->base.read_options = read_options;
  deflate->base.do_block = do_block;
  return &deflate->base;
}

} // namespace sifkit::convert
