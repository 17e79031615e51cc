#pragma once

// Reads a layer (tar, optionally gzip/zstd/xz/bzip2-compressed: detected from the bytes)
// as an EntryReader, through libarchive: pax, GNU long names, xattrs, sparse files.
#include <common/byte_source.h>
#include <common/error.h>
#include <convert/entry.h>

#include <memory>
#include <string>

namespace sifkit::convert {

// Opens `source` as a tar stream named `name` in messages. Whiteout names (".wh.*") are
// returned as ordinary entries: interpreting them is the merger's job.
Result<std::unique_ptr<EntryReader>> open_tar_stream(ByteSource source, std::string name);
// Opens the tar file `path` (compressed or not).
Result<std::unique_ptr<EntryReader>> open_tar_file(const std::string& path);

} // namespace sifkit::convert
