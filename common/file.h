#pragma once

#include <common/error.h>
#include <common/unique_fd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sifkit {

enum class OpenMode { read_only, read_write };

// An open file descriptor with positional I/O. Owns the descriptor; move-only.
// Not thread-safe for concurrent writes; concurrent `pread`s are fine.
class File {
public:
  File() = default;
  File(File&& other) noexcept = default;
  File& operator=(File&& other) noexcept = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Opens the existing regular file `path` (following links; never blocking on a FIFO);
  // fails with `not_found` or `io`, `usage` when it is a directory, a FIFO, a device or
  // a socket.
  static Result<File> open(const std::string& path, OpenMode mode);
  // Creates `path` exclusively (O_EXCL) with `mode` bits; fails if it exists.
  static Result<File> create_exclusive(const std::string& path, unsigned mode = 0644);
  // Adopts an already open descriptor `fd` known by `path` (for messages).
  static File adopt(int fd, std::string path);

  bool is_open() const { return m_fd.valid(); }
  int fd() const { return m_fd.get(); }
  const std::string& path() const { return m_path; }

  // Current size in bytes (fstat).
  Result<std::int64_t> size() const;
  // Reads exactly `out.size()` bytes at `offset`; a short file is `corrupt_input`.
  Result<void> pread_exact(std::span<std::byte> out, std::int64_t offset) const;
  // Writes all of `data` at `offset`, extending the file when needed.
  Result<void> pwrite_all(std::span<const std::byte> data, std::int64_t offset);
  // Truncates or extends the file to `length` bytes.
  Result<void> truncate(std::int64_t length);
  // Flushes data and metadata to stable storage.
  Result<void> sync();
  // Closes now, reporting a failed close (which may mean lost writes).
  Result<void> close();

private:
  UniqueFd m_fd;
  std::string m_path;
};

// The absolute path of `path` with every symlink, "." and ".." resolved (realpath(3));
// `not_found` when it does not exist, `io` otherwise.
Result<std::string> real_path(const std::string& path);

// Takes an OFD write lock on the file `path` (created with mode 0600 when `create`) and
// returns its close-on-exec descriptor: the lock is held while that open file description
// lives (closed with the returned owner), so children never inherit it. `conflict` when another
// holder has it, `not_found` / `io` when the file cannot be opened.
Result<UniqueFd> take_ofd_lock(const std::string& path, bool create);

// The most read_file reads when its caller names no other limit.
inline constexpr std::size_t k_read_file_default_max = std::size_t{16} << 20;

// Reads the whole regular file `path` (links followed) into memory, to its end (so /proc
// files, which announce size 0, too); meant for small files (JSON, configuration). A file
// longer than `max_bytes` is `capacity` naming it and the limit; what File::open refuses
// (directories, FIFOs, devices) fails as there.
Result<std::string> read_file(const std::string& path,
                              std::size_t max_bytes = k_read_file_default_max);

// Reads the open regular file `file` from offset 0 to its end, at most `max_bytes`:
// `usage` when it is not a regular file, `capacity` when it is longer, `io` on errors.
Result<std::string> read_open_file(const File& file, std::size_t max_bytes);

// Whether an atomic write is also made durable (fsync of the file and its directory), or
// only atomic for readers: for state that means nothing after a reboot (mount records,
// generated container files).
enum class Durability { synced, unsynced };

// Writes `data` to `path` atomically: temp file in the same directory, fsync, rename,
// fsync of the directory (no fsyncs with Durability::unsynced). On failure `path` is
// untouched and the temp file removed.
Result<void> write_file_atomic(const std::string& path, std::string_view data,
                               Durability durability = Durability::synced);

} // namespace sifkit
