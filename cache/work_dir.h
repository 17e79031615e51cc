#pragma once

// Work directories: private directories in the cache's tmp/ for results whose digest is
// not known while they are written (conversions, with their own temp files). Each holds
// an OFD lock on a file inside for as long as its owner lives, so the sweep can tell a
// live one from one a dead process left behind.
#include <cache/layout.h>
#include <common/error.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::cache {

class WorkDir {
public:
  // Creates `tmp/work-<stem>.XXXXXX/` (mode 0700) under `layout` and locks it. `io`.
  static Result<WorkDir> create(const Layout& layout, std::string_view stem);

  WorkDir(WorkDir&& other) noexcept;
  WorkDir& operator=(WorkDir&&) = delete;
  WorkDir(const WorkDir&) = delete;
  ~WorkDir(); // removes the directory and all in it, then drops the lock

  const std::string& path() const { return m_path; }
  // `path()/name`.
  std::string file(std::string_view name) const { return m_path + "/" + std::string(name); }

private:
  WorkDir(std::string path, int fd) : m_path(std::move(path)), m_fd(fd) {}

  std::string m_path;
  int m_fd = -1;
};

// True when `name` (no directory) is a work directory's name.
bool is_work_dir_name(std::string_view name);

// Removes the work directory `path` when no live process holds it; the bytes removed,
// or nullopt when it is in use (or gone). `io` when removing fails.
Result<std::optional<std::int64_t>> remove_if_abandoned(const std::string& path);

} // namespace sifkit::cache
