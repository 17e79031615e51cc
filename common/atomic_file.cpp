#include <common/atomic_file.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit {

namespace {

std::string parent_of(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

} // namespace

AtomicFile::AtomicFile(File file, std::string temp_path, std::string final_path)
    : m_file(std::move(file)), m_temp_path(std::move(temp_path)),
      m_final_path(std::move(final_path)) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : m_file(std::move(other.m_file)), m_temp_path(std::move(other.m_temp_path)),
      m_final_path(std::move(other.m_final_path)), m_committed(other.m_committed) {
  other.m_committed = true; // the moved-from object owns nothing to clean up
}

AtomicFile::~AtomicFile() {
  if (!m_committed && !m_temp_path.empty()) {
    ::unlink(m_temp_path.c_str());
  }
}

Result<AtomicFile> AtomicFile::create(const std::string& path) {
  auto name = std::filesystem::path(path).filename().string();
  std::string pattern = parent_of(path) + "/." + name + ".tmp.XXXXXX";
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) {
    return fail_errno("cannot create a temporary file next to " + path, errno);
  }
  // mkostemp creates 0600; give the result the permissions an ordinary file would get.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0644 & ~mask);
  return AtomicFile(File::adopt(fd, pattern), pattern, path);
}

Result<void> AtomicFile::commit(Durability durability) {
  if (durability == Durability::synced) {
    SIFKIT_TRY(m_file.sync());
  }
  SIFKIT_TRY(m_file.close());
  if (::rename(m_temp_path.c_str(), m_final_path.c_str()) != 0) {
    return fail_errno("cannot rename " + m_temp_path + " to " + m_final_path, errno);
  }
  m_committed = true;
  if (durability == Durability::unsynced) {
    return {};
  }
  return sync_parent_directory(m_final_path);
}

Result<void> sync_parent_directory(const std::string& path) {
  std::string dir = parent_of(path);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    return fail_errno("cannot open directory " + dir, errno);
  }
  int rc = ::fsync(fd.get());
  int saved = errno;
  if (rc != 0) {
    return fail_errno("cannot sync directory " + dir, saved);
  }
  return {};
}

} // namespace sifkit
