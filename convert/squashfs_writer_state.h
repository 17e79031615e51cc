#pragma once

// The libsquashfs objects of one SquashfsWriter, shared by its two source files.
#include <common/error.h>
#include <convert/fragment_packer.h>
#include <convert/options.h>
#include <convert/sqfs_compressor.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>
#include <sqfs/xattr_writer.h>
}

namespace sifkit::convert {

inline constexpr std::size_t k_device_block = 4096; // images are padded to this, as tar2sqfs
inline constexpr std::uint32_t k_no_xattr = 0xFFFFFFFF;

// An error for libsquashfs's `code` while `doing` something.
std::unexpected<Error> sqfs_fail(int code, std::string_view doing);

// Declared in this order so that the block processor (whose workers use the compressor,
// block writers and fragment table) is destroyed before them.
struct SquashfsWriterState {
  std::string path;
  SquashOptions options;
  sqfs_super_t super{};
  SqfsPtr<sqfs_file_t> file;
  SqfsPtr<sqfs_compressor_t> cmp;
  SqfsPtr<sqfs_block_writer_t> block_writer;
  SqfsPtr<sqfs_frag_table_t> frag_table;
  std::unique_ptr<FragmentPacker> fragments;
  SqfsPtr<sqfs_block_writer_t> fragment_writer; // block_writer, recording fragment blocks
  SqfsPtr<sqfs_block_processor_t> processor;
  SqfsPtr<sqfs_id_table_t> id_table;
  SqfsPtr<sqfs_xattr_writer_t> xattr_writer;
  SqfsPtr<sqfs_meta_writer_t> inode_meta;
  SqfsPtr<sqfs_meta_writer_t> dir_meta;
  SqfsPtr<sqfs_dir_writer_t> dir_writer;
  std::vector<std::byte> zeros;
  std::vector<std::byte> tail; // the current file's bytes after its last full block
  std::int64_t bytes_in = 0;
  std::int64_t xattrs_dropped = 0;
  bool finished = false;
  bool file_open = false; // between begin_file and end_file
};

} // namespace sifkit::convert
