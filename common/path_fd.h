#pragma once

// Directories opened once and then used through their descriptor, never through a path
// that a symbolic link could redirect: for paths inside a mounted image and inside a
// directory another user may change. The descriptors are O_PATH: they name a directory
// (for fstat, openat, mkdirat, and /proc/self/fd/N as a mount source or target) without
// reading it.
#include <common/error.h>
#include <common/file.h>

#include <string>

#include <sys/stat.h>
#include <sys/types.h>

namespace sifkit {

// Opens the directory `path` (O_PATH | O_DIRECTORY | O_NOFOLLOW): its last component must
// not be a symbolic link; the components before it are resolved as usual (they are the
// caller's own path). `usage` when it is a link or not a directory, `not_found` when it
// does not exist, `io` otherwise.
Result<File> open_directory_nofollow(const std::string& path);

// Opens the directory `name` (relative, one or more components) beneath the directory
// `root` with openat2(O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_XDEV): no component may be a symbolic link, leave `root` or cross into
// another mount. `refusal` (the caller's kind: `corrupt_input` for an image, `usage` for
// a user's directory) when one does or is not a directory, `not_found` when it is missing,
// `io` otherwise. The returned File's path() is root.path() + "/" + `name`.
Result<File> open_directory_beneath(const File& root, const std::string& name, ErrorKind refusal);

// Opens the directory `path` (absolute) with openat2(O_PATH | O_DIRECTORY,
// RESOLVE_NO_SYMLINKS): no component may be a symbolic link (for canonical paths recorded
// earlier, where a link now means someone changed the path). `refusal` when one is or is
// not a directory, `not_found` when it is missing, `io` otherwise.
Result<File> open_directory_without_links(const std::string& path, ErrorKind refusal);

// Creates the directory `name` (one component) in `root` with `mode` unless something of
// that name exists (mkdirat never follows a link; open_directory_beneath then refuses
// what is not a directory). `io` with the system's reason.
Result<void> make_directory_in(const File& root, const std::string& name, mode_t mode);

// fstat of `file`; `io` with the system's reason.
Result<struct stat> stat_of(const File& file);

// `usage` unless `dir` belongs to the calling process's real uid (getuid()): a directory
// another account owns could be changed under the caller. `what` names it in the message.
Result<void> require_own_directory(const File& dir, const std::string& what);

// "/proc/self/fd/N": a path the kernel resolves to the object `fd` refers to, whatever
// happened to the path it was opened by; valid while `fd` stays open, in this process.
std::string fd_path(int fd);

} // namespace sifkit
