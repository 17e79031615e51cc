#include <cache/blob_lock.h>
#include <cache/directory.h>
#include <cache/sweep.h>
#include <cache/work_dir.h>

#include <cerrno>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::cache {

Result<SweepReport> sweep(const Layout& layout) {
  SweepReport report;
  SIFKIT_TRY_ASSIGN(auto temps, list_directory(layout.temp_directory()));
  for (const std::string& name : temps) {
    auto digest = digest_of_temp_name(name);
    if (!digest && is_work_dir_name(name)) {
      SIFKIT_TRY_ASSIGN(auto removed, remove_if_abandoned(layout.temp_directory(), name));
      if (removed) {
        ++report.temp_files;
        report.temp_bytes += *removed;
      }
      continue;
    }
    if (!digest) {
      ++report.foreign_files;
      continue;
    }
    SIFKIT_TRY_ASSIGN(auto lock, BlobLock::try_acquire(layout, *digest));
    if (!lock) {
      continue; // someone is writing this blob right now
    }
    std::string path = layout.temp_directory() + "/" + name;
    struct stat st {};
    std::int64_t size = ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
    if (::unlink(path.c_str()) == 0) {
      ++report.temp_files;
      report.temp_bytes += size;
    } else if (errno != ENOENT) {
      return fail_errno("cannot remove stale temp file " + path, errno);
    }
  }

  return report;
}

} // namespace sifkit::cache
