#pragma once

// libsquashfs compressor objects for SquashOptions. gzip is our own compressor object
// around libdeflate (zlib format, as the kernel and squashfuse read it); the others are
// libsquashfs's own.
#include <common/error.h>
#include <convert/options.h>

#include <memory>

extern "C" {
#include <sqfs/compressor.h>
#include <sqfs/predef.h>
}

namespace sifkit::convert {

// Owns a libsquashfs object (anything starting with sqfs_object_t) and destroys it.
struct SqfsDestroy {
  void operator()(void* object) const noexcept { sqfs_destroy(object); }
};
template <typename T>
using SqfsPtr = std::unique_ptr<T, SqfsDestroy>;

// A compressor for `options` with `options.block_size` as its block size; it can be
// copied (sqfs_copy) for worker threads. `unsupported` when this libsquashfs lacks the
// compressor, `usage` for a bad level.
Result<SqfsPtr<sqfs_compressor_t>> make_compressor(const SquashOptions& options);
// A decompressor for the same format (for reading blocks back, e.g. fragment dedup).
Result<SqfsPtr<sqfs_compressor_t>> make_decompressor(const SquashOptions& options);
// libsquashfs's id of `compressor` (SQFS_COMP_GZIP, ...), for the super block.
SQFS_COMPRESSOR sqfs_id(Compressor compressor);

} // namespace sifkit::convert
