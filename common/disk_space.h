#pragma once

// Refusing to start a write that cannot fit: a declared size (a blob's descriptor, a
// download's Content-Length) checked against the free space before the first byte.
#include <common/error.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sifkit {

// Bytes an unprivileged process may still write on the file system of `directory`
// (statvfs f_bavail × f_frsize); `io` when statvfs fails.
Result<std::int64_t> free_bytes(const std::string& directory);

// Succeeds when `bytes`, with a margin of 1/32 and 1 MiB for the file system's own
// blocks, fit in the free space of `directory`; else `capacity` naming `what`, the size
// and the free space.
Result<void> check_free_space(const std::string& directory, std::int64_t bytes,
                              std::string_view what);

} // namespace sifkit
