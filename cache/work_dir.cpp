#include <cache/work_dir.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::cache {

namespace {

constexpr std::string_view k_prefix = "work-";
constexpr std::string_view k_lock_name = "/.lock";

// A write lock on the whole file, owned by the open file description: it dies with the
// process, and another open of the same file in this process does not share it.
bool try_lock(int fd) {
  struct flock range {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  return ::fcntl(fd, F_OFD_SETLK, &range) == 0;
}

std::int64_t tree_size(const std::string& path) {
  std::int64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<std::int64_t>(it->file_size(ec));
  }
  return total;
}

} // namespace

Result<WorkDir> WorkDir::create(const Layout& layout, std::string_view stem) {
  std::string pattern = layout.temp_directory() + "/" + std::string(k_prefix) + std::string(stem) + ".XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return fail_errno("cannot create a work directory in " + layout.temp_directory(), errno);
  }
  std::string path(buffer.data());
  std::string lock = path + std::string(k_lock_name);
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || !try_lock(fd)) {
    int e = errno;
    if (fd >= 0) ::close(fd);
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    return fail_errno("cannot lock work directory " + path, e);
  }
  return WorkDir(std::move(path), fd);
}

WorkDir::WorkDir(WorkDir&& other) noexcept : m_path(std::move(other.m_path)), m_fd(other.m_fd) {
  other.m_path.clear();
  other.m_fd = -1;
}

WorkDir::~WorkDir() {
  if (!m_path.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

bool is_work_dir_name(std::string_view name) { return name.starts_with(k_prefix); }

Result<std::optional<std::int64_t>> remove_if_abandoned(const std::string& path) {
  std::string lock = path + std::string(k_lock_name);
  int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno != ENOENT) {
    return fail_errno("cannot open " + lock, errno);
  }
  // No lock file: its creator died between mkdtemp and open.
  bool abandoned = fd < 0 || try_lock(fd);
  std::optional<std::int64_t> removed;
  if (abandoned) {
    std::int64_t size = tree_size(path);
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      if (fd >= 0) ::close(fd);
      return fail(ErrorKind::io, "cannot remove abandoned work directory " + path + ": " + ec.message());
    }
    removed = size;
  }
  if (fd >= 0) ::close(fd);
  return removed;
}

} // namespace sifkit::cache
