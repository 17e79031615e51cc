#pragma once

// Inflating gzip streams (a layer's tar.gz) with ISA-L's igzip, several times faster than
// zlib: the tar reader hands libarchive the inflated bytes, and libarchive parses the tar.
#include <common/byte_source.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace sifkit::convert {

// True when `head` starts like a gzip member (magic 1f 8b, method 8: deflate).
bool looks_like_gzip(std::span<const std::byte> head);

// The inflated bytes of the gzip stream `compressed`: one member or several in a row, as
// gzip -d reads them, each member's CRC-32 and length checked. Bytes after the last
// member that do not start another one end the stream (libarchive reads them so too).
// `corrupt_input` naming `name` for a damaged header or deflate data, a wrong checksum
// or a stream that ends inside a member; `compressed`'s own errors unchanged.
ByteSource inflate_gzip(ByteSource compressed, std::string name);

// `rest` with the bytes of `head` in front of it.
ByteSource prepend_bytes(std::vector<std::byte> head, ByteSource rest);

} // namespace sifkit::convert
