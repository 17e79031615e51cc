#pragma once

// Copying a finished file (an OCI-SIF in the cache) to where the user wants it, without
// ever showing a partial file there.
#include <common/error.h>
#include <common/file.h>

#include <cstdint>
#include <string>

namespace sifkit::convert {

enum class CopyMethod {
  clone, // a reflink (FICLONE): no data copied, blocks shared until written
  copy,  // copy_file_range (in-kernel; server-side on NFS), read/write as a last resort
};

struct CopyResult {
  CopyMethod method = CopyMethod::copy;
  std::int64_t bytes = 0;
};

// Copies `from` to `to` atomically (temp file next to `to`, fsync, rename; replaces an
// existing `to`). The copy is mode 0644 before umask, whatever `from`'s mode (cache blobs
// are 0444). `not_found` / `io`; on failure `to` is untouched.
Result<CopyResult> copy_file_atomic(const std::string& from, const std::string& to);

// Copies the `size` bytes of open file `from` into the empty open file `to` (a reflink
// when the file system can, else copy_file_range or read/write). `io` on failure.
Result<CopyResult> copy_file_contents(const File& from, File& to, std::int64_t size);

} // namespace sifkit::convert
