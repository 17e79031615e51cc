#pragma once

// Temporary files a conversion writes next to its output (same file system, so the
// result can be renamed or cloned cheaply) and removes whatever happens.
#include <common/error.h>

#include <string>

namespace sifkit::convert {

// An empty file `<dir>/.<stem>.XXXXXX` (mode 0644, as AtomicFile's) that the destructor unlinks.
// Move-only.
class ScratchFile {
public:
  // Creates the file in `dir`; `io` / `not_found` when the directory is not writable.
  static Result<ScratchFile> create(const std::string& dir, const std::string& stem);

  ScratchFile(ScratchFile&& other) noexcept : m_path(std::move(other.m_path)) {
    other.m_path.clear();
  }
  ScratchFile& operator=(ScratchFile&&) = delete;
  ScratchFile(const ScratchFile&) = delete;
  ~ScratchFile();

  const std::string& path() const { return m_path; }
  // Renames the file onto `final_path` (same file system) and syncs the directory; the
  // destructor then has nothing to remove. `io` when the rename fails.
  Result<void> commit(const std::string& final_path);

private:
  explicit ScratchFile(std::string path) : m_path(std::move(path)) {}

  std::string m_path;
};

// The directory part of `path` ("." when it has none).
std::string directory_of(const std::string& path);

} // namespace sifkit::convert
