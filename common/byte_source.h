#pragma once

#include <common/error.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string>

namespace sifkit {

// A pull stream: fills up to `buf.size()` bytes of `buf` and returns how many it wrote;
// 0 means end of stream.
using ByteSource = std::function<Result<std::size_t>(std::span<std::byte> buf)>;

// A source that yields the bytes of `data` (which it owns).
ByteSource source_from_string(std::string data);

// A source that reads the file `path` from its start; fails if it cannot be opened.
Result<ByteSource> source_from_path(const std::string& path);

// A source over `length` bytes of the open descriptor `fd` from `offset` (pread; the
// descriptor must outlive the source). Reaching EOF early is `corrupt_input`.
ByteSource source_from_fd_range(int fd, std::int64_t offset, std::int64_t length,
                                std::string name);

} // namespace sifkit
