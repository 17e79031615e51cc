#pragma once

// Reads a root filesystem directory on this host as an EntryReader: entries in sorted
// order, owners, modes, times, xattrs and content as lstat/read/llistxattr give them;
// hardlinked files (same device and inode) become hardlink entries to the first path.
#include <common/error.h>
#include <convert/entry.h>

#include <memory>
#include <string>

namespace sifkit::convert {

// Opens directory `root`; `not_found` / `usage` when it is not a directory.
Result<std::unique_ptr<EntryReader>> open_directory(const std::string& root);

} // namespace sifkit::convert
