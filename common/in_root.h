#pragma once

// Paths below a directory descriptor, resolved by the kernel (openat2) so that no link
// leads out of the directory: for files inside an image, or inside a directory that
// another user can write.
#include <common/error.h>
#include <common/file.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sifkit {

// How a path below a directory is resolved.
enum class Resolve {
  in_root,  // links followed with the directory as "/" (RESOLVE_IN_ROOT): what a container
            // sees of its own files
  no_links, // no link followed at all, ".." never above the directory (RESOLVE_BENEATH |
            // RESOLVE_NO_SYMLINKS)
};

// openat2(2) of `path` from `dirfd` with `flags` and `resolve` (RESOLVE_* bits), tried
// again while a rename elsewhere races the lookup (EAGAIN): the descriptor, or -1 with
// errno set. Every openat2 of the project goes through here.
int openat2_retrying(int dirfd, const char* path, std::uint64_t flags, std::uint64_t resolve);

// Opens the directory `path` itself (links in `path` followed: the caller named it) as an
// O_PATH descriptor; `not_found` / `io`, `usage` when it is not a directory.
Result<File> open_directory(const std::string& path);

// Opens `relative` below the directory `dir` with open(2) `flags` (O_CLOEXEC added; magic
// links such as /proc/self/fd/N never followed), resolved as `resolve` says. A link
// refused or a path leaving the directory is `corrupt_input`; `not_found` / `io`
// otherwise. The File is named `dir.path()/relative` in messages.
Result<File> open_below(const File& dir, std::string_view relative, int flags, Resolve resolve);

// Reads the regular file `relative` below `dir` (resolved as `resolve` says, never blocking
// on a FIFO) into memory: at most `max_bytes`, else `capacity` naming it and the limit;
// `usage` for a directory, FIFO or device; failures of open_below otherwise.
Result<std::string> read_file_below(const File& dir, std::string_view relative,
                                    std::size_t max_bytes, Resolve resolve);

// Where the absolute path `path` leads inside the root directory `root`, every link
// followed as the kernel follows it with `root` as "/" (an absolute target restarts at
// `root`, ".." stops there), as an absolute path inside the root. The components from the
// first that does not exist as a directory on are kept as written, normalised
// lexically. `corrupt_input` after 40 links (a loop), `usage` for a relative `path`,
// `io` otherwise.
Result<std::string> resolve_in_root(const File& root, std::string_view path);

// The absolute host path of the open descriptor `file` (its /proc/self/fd link);
// `io` when it cannot be read.
Result<std::string> descriptor_path(const File& file);

} // namespace sifkit
