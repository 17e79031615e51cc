#pragma once

// Work directories: private directories in the cache's tmp/ for results whose digest is
// not known while they are written (conversions, with their own temp files). Each holds
// an OFD lock on a file inside for as long as its owner lives, taken before the directory
// is visible (common/lock_file.h), so the sweep can tell a live one from one a dead
// process left behind.
#include <cache/layout.h>
#include <common/error.h>
#include <common/lock_file.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::cache {

class WorkDir {
public:
  // Creates `tmp/work-<stem>.<random>/` (mode 0700) under `layout`, locked before it is
  // visible. `io`.
  static Result<WorkDir> create(const Layout& layout, std::string_view stem);

  WorkDir(WorkDir&& other) noexcept;
  WorkDir& operator=(WorkDir&&) = delete;
  WorkDir(const WorkDir&) = delete;
  ~WorkDir(); // removes the directory and all in it (lock file last), then drops the lock

  const std::string& path() const { return m_path; }
  // `path()/name`.
  std::string file(std::string_view name) const { return m_path + "/" + std::string(name); }

private:
  WorkDir(std::string parent, std::string name, OfdLock lock)
      : m_parent(std::move(parent)), m_path(m_parent + "/" + name), m_name(std::move(name)),
        m_lock(std::move(lock)) {}

  std::string m_parent;
  std::string m_path;
  std::string m_name;
  OfdLock m_lock;
};

// True when `name` (no directory) is a work directory's name, or the name of one being
// created or removed (staged_name).
bool is_work_dir_name(std::string_view name);

// Removes the work directory `temp_dir`/`name` when no live process holds it (its lock is
// free; or it has no lock and is older than k_sweep_min_age): the bytes removed, or
// nullopt when it is in use (or gone). `io` when removing fails.
Result<std::optional<std::int64_t>> remove_if_abandoned(const std::string& temp_dir,
                                                        const std::string& name);

} // namespace sifkit::cache
