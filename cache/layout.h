#pragma once

// The cache directory's layout, in one place:
//
//   <root>/blobs/sha256/<hex>    finished blobs, read-only (0444), bytes match the name
//   <root>/tmp/sha256-<hex>.<pid>.<random>
//                                a blob being written (same file system as blobs/)
//   <root>/locks/sha256.lock     per-blob record locks, one byte per blob (blob_lock.h)
//   <root>/index.db              the SQLite index (plus its -wal and -shm files)

#include <common/digest.h>
#include <common/error.h>

#include <optional>
#include <string>
#include <string_view>

namespace sifkit::cache {

class Layout {
public:
  explicit Layout(std::string root) : m_root(std::move(root)) {}

  // Creates the subdirectories (mode 0700) and lock files when missing; the root must
  // exist.
  Result<void> create_directories() const;

  const std::string& root() const { return m_root; }
  std::string index_path() const { return m_root + "/index.db"; }
  std::string temp_directory() const { return m_root + "/tmp"; }
  std::string blob_directory(DigestAlgorithm algorithm) const;
  // The file whose bytes are the locks of blobs of `algorithm`.
  std::string lock_file(DigestAlgorithm algorithm) const;
  std::string blob_path(const Digest& digest) const;
  // A fresh temp file path for `digest` in tmp/, unique to this process and call.
  std::string new_temp_path(const Digest& digest) const;

private:
  std::string m_root;
};

// The digest a temp file name `name` (no directory) was made for; nullopt when the name
// is not one `new_temp_path` makes.
std::optional<Digest> digest_of_temp_name(std::string_view name);

} // namespace sifkit::cache
