#pragma once

// Writes a squashfs image with libsquashfs's low-level parts: file content goes through
// the multi-threaded block processor as it is read (data blocks first, as tar2sqfs
// does), and the tree's inodes, directories, id, fragment and xattr tables follow once
// every file is in.
#include <common/error.h>
#include <convert/entry.h>
#include <convert/fs_tree.h>
#include <convert/options.h>

#include <cstdint>
#include <memory>
#include <string>

namespace sifkit::convert {

struct SquashfsWriterState;

class SquashfsWriter {
public:
  // Creates (or truncates) `path` and starts an image with `options`. `unsupported` for
  // a compressor this libsquashfs lacks, `usage` for bad options, `io`.
  static Result<SquashfsWriter> create(const std::string& path, const SquashOptions& options);

  SquashfsWriter(SquashfsWriter&&) noexcept;
  SquashfsWriter& operator=(SquashfsWriter&&) noexcept;
  ~SquashfsWriter();

  // Streams the content of the current entry of `reader` (`size` bytes, holes as zeros)
  // into the image and points `inode.file` at its record. `corrupt_input` when the
  // reader's pieces disagree with `size`, the reader's errors, `io`.
  Result<void> add_file(Inode& inode, EntryReader& reader, std::int64_t size);
  // Bytes of file content taken in so far, and bytes of image on disk so far.
  std::int64_t bytes_in() const;
  std::int64_t bytes_out() const;

  // Waits for the last data blocks, writes `tree` (pruned) and the tables, pads the image
  // to 4 KiB and returns its size. Nothing may be added afterwards.
  Result<std::int64_t> finish(FsTree& tree);
  // Xattrs whose namespace squashfs cannot store, skipped by finish().
  std::int64_t xattrs_dropped() const;

private:
  explicit SquashfsWriter(std::unique_ptr<SquashfsWriterState> state);
  std::unique_ptr<SquashfsWriterState> m_state;
};

} // namespace sifkit::convert
