#pragma once

// One filesystem entry as a layer (tar) or a directory tree presents it, already
// checked and normalised, and the interface every entry stream implements.
#include <common/error.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sifkit::convert {

enum class EntryType : std::uint8_t {
  file,
  directory,
  symlink,
  hardlink,
  char_device,
  block_device,
  fifo,
  socket
};

struct Xattr {
  std::string name; // with its namespace prefix: "user.x", "security.capability", ...
  std::string value;
  friend bool operator==(const Xattr&, const Xattr&) = default;
};

struct Entry {
  // Normalised path relative to the root: no leading "/" or "./", no "." or ".."
  // components, no empty components, no trailing "/"; "" is the root itself.
  std::string path;
  EntryType type = EntryType::file;
  std::uint32_t mode = 0; // permission bits with suid/sgid/sticky (07777)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t mtime = 0;       // seconds since the epoch (clamped to 0..2^32-1 on write)
  std::int64_t size = 0;        // regular files: bytes of content
  std::string link_target;      // symlink: target verbatim; hardlink: normalised path
  std::uint32_t rdev_major = 0; // devices
  std::uint32_t rdev_minor = 0;
  std::vector<Xattr> xattrs; // sorted by name, no duplicates
};

// A piece of a regular file's content at `offset` (pieces come in increasing offset
// order; gaps between them, and after the last up to the entry's size, are holes).
struct DataPiece {
  std::span<const std::byte> bytes;
  std::int64_t offset = 0;
};

// A stream of entries: a layer's tar, a directory tree. `name` says which (for errors).
class EntryReader {
public:
  virtual ~EntryReader() = default;
  // The next entry, or nullopt at the end. Fails with `corrupt_input` naming the entry
  // for hostile or malformed input (escaping paths, bad names, truncated data), `io`.
  virtual Result<std::optional<Entry>> next() = 0;
  // The next piece of the current regular file's content; nullopt when it is done. The
  // bytes stay valid until the next call. Pieces not read are skipped by next().
  virtual Result<std::optional<DataPiece>> read_data() = 0;
  // What this stream reads, for messages: "layer 2 (sha256:ab12…)", "/path/rootfs".
  virtual const std::string& name() const = 0;
};

// The longest entry path normalise_entry_path accepts (Linux's PATH_MAX), so a path has at
// most k_max_entry_path / 2 components.
inline constexpr std::size_t k_max_entry_path = 4096;
inline constexpr std::size_t k_max_entry_depth = k_max_entry_path / 2;
// The longest symlink target: symlink(2) refuses longer ones (PATH_MAX with its NUL),
// and the kernel's squashfs reader reports a longer target (past a 4 KiB page) as
// corrupt.
inline constexpr std::size_t k_max_symlink_target = 4095;

// Normalises a raw entry name from an archive: strips leading "/" and "./", drops "."
// components and repeated or trailing slashes. Fails with `corrupt_input` for a ".."
// component, a NUL byte, a component longer than 255 bytes, or a path longer than 4096.
// `what` names the layer/entry in the message.
Result<std::string> normalise_entry_path(std::string_view raw, std::string_view what);

} // namespace sifkit::convert
