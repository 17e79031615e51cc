#include <cache/directory.h>

#include <cerrno>

#include <dirent.h>

namespace sifkit::cache {

Result<std::vector<std::string>> list_directory(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) {
      return std::vector<std::string>();
    }
    return fail_errno("cannot read directory " + path, errno);
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") {
      names.push_back(std::move(name));
    }
  }
  int saved = errno;
  ::closedir(dir);
  if (saved != 0) {
    return fail_errno("cannot read directory " + path, saved);
  }
  return names;
}

} // namespace sifkit::cache
