#include <common/disk_space.h>

#include <cerrno>
#include <limits>

#include <sys/statvfs.h>

namespace sifkit {

Result<std::int64_t> free_bytes(const std::string& directory) {
  struct statvfs st {};
  if (::statvfs(directory.c_str(), &st) != 0) {
    return fail_errno("statvfs " + directory, errno);
  }
  constexpr auto k_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t block = st.f_frsize > 0 ? st.f_frsize : 1;
  std::uint64_t blocks = st.f_bavail;
  return static_cast<std::int64_t>(blocks > k_max / block ? k_max : blocks * block);
}

Result<void> check_free_space(const std::string& directory, std::int64_t bytes,
                              std::string_view what) {
  SIFKIT_TRY_ASSIGN(auto free, free_bytes(directory));
  constexpr std::int64_t k_slack = 1 << 20;
  std::int64_t needed = bytes > (std::numeric_limits<std::int64_t>::max() - k_slack) / 2
                            ? std::numeric_limits<std::int64_t>::max()
                            : bytes + bytes / 32 + k_slack;
  if (needed <= free) {
    return {};
  }
  return fail(ErrorKind::capacity, std::string(what) + ": " + std::to_string(bytes) +
                                       " bytes declared, but " + directory + " has only " +
                                       std::to_string(free) + " bytes free");
}

} // namespace sifkit
