#include "scratch_file.h"

#include <common/atomic_file.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::convert {

Result<ScratchFile> ScratchFile::create(const std::string& dir, const std::string& stem) {
  std::string pattern = dir + "/." + stem + ".XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  UniqueFd fd(::mkstemp(buffer.data()));
  if (!fd) {
    return fail_errno("cannot create a temporary file in " + dir, errno);
  }
  // The file may become the output itself (commit), readable like any new file.
  ::fchmod(fd.get(), 0644);
  return ScratchFile(std::string(buffer.data()));
}

Result<void> ScratchFile::commit(const std::string& final_path) {
  if (::rename(m_path.c_str(), final_path.c_str()) != 0) {
    return fail_errno("cannot rename " + m_path + " to " + final_path, errno);
  }
  m_path.clear();
  return sync_parent_directory(final_path);
}

ScratchFile::~ScratchFile() {
  if (!m_path.empty()) {
    ::unlink(m_path.c_str());
  }
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace sifkit::convert
