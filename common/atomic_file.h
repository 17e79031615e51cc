#pragma once

#include <common/error.h>
#include <common/file.h>

#include <string>

namespace sifkit {

// A new file written under a temporary name in the target's directory and moved to its
// final name only by `commit()` (fsync, rename, fsync of the directory). Destroying an
// uncommitted AtomicFile removes the temporary: a partial file never appears under the
// final name.
class AtomicFile {
public:
  // Creates `<dir>/.<name>.tmp.XXXXXX` (mode 0644 before umask) for final path `path`.
  static Result<AtomicFile> create(const std::string& path);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  File& file() { return m_file; }
  const std::string& temp_path() const { return m_temp_path; }
  const std::string& final_path() const { return m_final_path; }

  // Syncs, renames onto the final path (replacing any old file) and syncs the directory;
  // with Durability::unsynced only renames (still atomic for readers, not crash-durable).
  Result<void> commit(Durability durability = Durability::synced);

private:
  AtomicFile(File file, std::string temp_path, std::string final_path);

  File m_file;
  std::string m_temp_path;
  std::string m_final_path;
  bool m_committed = false;
};

// Fsyncs the directory that contains `path`, making a rename or creation in it durable.
Result<void> sync_parent_directory(const std::string& path);

} // namespace sifkit
