#pragma once

// Packs the tails of files (what follows a file's last full block: all of a small file)
// into fragment blocks in the reading thread, as libsquashfs's block processor would,
// but without a round trip to its workers per file: only whole fragment blocks go to
// the workers for compression. Identical tails are stored once; an all-zero tail is a
// hole.
#include <common/error.h>
#include <common/sha256.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

extern "C" {
#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/frag_table.h>
}

namespace sifkit::convert {

inline constexpr std::uint32_t k_no_fragment = 0xFFFFFFFF;

// Where a tail went: a fragment block and offset, or a hole (all zeros), or nowhere
// (no tail).
struct TailPlace {
  std::uint32_t fragment = k_no_fragment; // index in the fragment table
  std::uint32_t offset = k_no_fragment;   // byte offset in that fragment block
  bool hole = false;
};

class FragmentPacker {
public:
  // Packs into blocks of at most `block_size` bytes, each recorded in `table`, whose
  // entries it allocates (nothing else may append to it).
  FragmentPacker(std::uint32_t block_size, sqfs_frag_table_t* table);
  ~FragmentPacker();
  FragmentPacker(const FragmentPacker&) = delete;
  FragmentPacker& operator=(const FragmentPacker&) = delete;

  // A block writer that writes through `inner` and, for the fragment blocks this packer
  // submits, records where they landed in the fragment table. Owned by the caller
  // (sqfs_destroy); it must outlive the block processor that uses it, and `inner` it.
  sqfs_block_writer_t* make_writer(sqfs_block_writer_t* inner);
  // The processor full fragment blocks are submitted to (its block writer must be one
  // from make_writer).
  void set_processor(sqfs_block_processor_t* processor) { m_processor = processor; }

  // Places `tail` (shorter than a block; empty: no tail). Submits the fragment block
  // being filled when `tail` does not fit in it. Never between the processor's
  // begin_file and end_file. libsquashfs's errors.
  Result<TailPlace> add(std::span<const std::byte> tail);
  // Submits the fragment block being filled, if any.
  Result<void> flush();
  // Submits the last fragment block and frees what deduplication needed; nothing may be
  // added afterwards.
  Result<void> finish();

private:
  // A tail seen before: its first SHA-256 half and size, and where it went.
  struct Seen {
    std::array<std::byte, 16> digest{};
    std::uint32_t size = 0;
    std::uint32_t fragment = 0;
    std::uint32_t offset = 0;
  };
  // The slot of `digest` and `size` in m_slots: theirs, or the free one to take.
  std::size_t slot_of(const std::array<std::byte, 16>& digest, std::uint32_t size) const;
  void grow();

  std::uint32_t m_block_size;
  sqfs_frag_table_t* m_table;
  sqfs_block_processor_t* m_processor = nullptr;
  sqfs_block_writer_t* m_writer = nullptr; // from make_writer: marks our blocks
  std::vector<std::byte> m_block;          // the fragment block being filled
  std::size_t m_used = 0;
  std::uint32_t m_index = k_no_fragment; // its index in the table
  Sha256 m_sha;
  std::vector<Seen> m_seen;
  std::vector<std::uint32_t> m_slots; // open addressing, at most half full: m_seen index + 1
};

} // namespace sifkit::convert
