#include "mountinfo.h"

#include <common/file.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// Linux 6.8 and later; Debian 12's headers predate them.
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif
#ifndef SYS_statmount
#define SYS_statmount 457
#endif

namespace sifkit {

namespace {

// mountinfo writes space, tab, newline and backslash in paths as \ooo.
std::string decode_octal(const std::string& text) {
  auto digit = [&](std::size_t at) { return text[at] >= '0' && text[at] <= '7'; };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && digit(i + 1) && digit(i + 2) && digit(i + 3)) {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                      (text[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// statmount(2)'s request and the fixed part of its answer, as <linux/mount.h> of Linux
// 6.8 has them; the strings follow the fixed part (512 bytes).
struct MountIdRequest {
  std::uint32_t size = sizeof(MountIdRequest);
  std::uint32_t spare = 0;
  std::uint64_t mnt_id = 0;
  std::uint64_t param = 0;
};
constexpr std::uint64_t statmount_mount_point = 0x10;
constexpr std::size_t statmount_fixed_size = 512;
constexpr std::size_t statmount_mask_offset = 8;
constexpr std::size_t statmount_mount_point_offset = 108;

Result<std::optional<std::string>> unique_mount_point_of(std::uint64_t id) {
  MountIdRequest request;
  request.mnt_id = id;
  request.param = statmount_mount_point;
  std::vector<char> buffer(statmount_fixed_size + 8192);
  for (;;) {
    if (::syscall(SYS_statmount, &request, buffer.data(), buffer.size(), 0) == 0) {
      break;
    }
    if (errno == ENOENT) {
      return std::optional<std::string>();
    }
    if (errno != EOVERFLOW || buffer.size() > (1U << 20)) {
      return fail_errno("asking the kernel where mount " + std::to_string(id) + " is", errno);
    }
    buffer.resize(buffer.size() * 4);
  }
  std::uint64_t mask = 0;
  std::uint32_t offset = 0;
  std::memcpy(&mask, buffer.data() + statmount_mask_offset, sizeof mask);
  std::memcpy(&offset, buffer.data() + statmount_mount_point_offset, sizeof offset);
  std::size_t strings = buffer.size() - statmount_fixed_size;
  if ((mask & statmount_mount_point) == 0 || offset >= strings) {
    return fail(ErrorKind::io, "the kernel did not say where mount " + std::to_string(id) + " is");
  }
  const char* point = buffer.data() + statmount_fixed_size + offset;
  return std::optional<std::string>(std::string(point, ::strnlen(point, strings - offset)));
}

bool is_at_or_below(const std::string& mount, const std::string& path) {
  if (mount.size() < path.size() || mount.compare(0, path.size(), path) != 0) {
    return false;
  }
  return mount.size() == path.size() || path == "/" || mount[path.size()] == '/';
}

// The first mount point at or below `path`, if any.
Result<std::optional<std::string>> first_mount_at_or_below(const std::string& path) {
  auto points = mount_points();
  if (!points) {
    return std::unexpected(points.error());
  }
  for (auto& point : *points) {
    if (is_at_or_below(point, path)) {
      return std::optional(std::move(point));
    }
  }
  return std::optional<std::string>();
}

} // namespace

Result<std::vector<MountTableEntry>> read_mount_table(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    return std::unexpected(std::move(text.error()).with_context("reading the mount table"));
  }
  std::vector<MountTableEntry> entries;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    // id parent major:minor root mount-point options [optional fields...] - fstype ...
    std::istringstream fields(line);
    std::string id, parent, device, root, point, options, field;
    if (!(fields >> id >> parent >> device >> root >> point >> options)) {
      continue;
    }
    while (fields >> field && field != "-") {
    }
    std::string type;
    if (field == "-" && fields >> type) {
      entries.push_back(MountTableEntry{std::strtoull(id.c_str(), nullptr, 10), decode_octal(point),
                                        type, options});
    }
  }
  return entries;
}

Result<std::vector<std::string>> mount_points() {
  auto table = read_mount_table();
  if (!table) {
    return std::unexpected(table.error());
  }
  std::vector<std::string> points;
  for (auto& entry : *table) {
    points.push_back(std::move(entry.mount_point));
  }
  return points;
}

Result<MountId> mount_id_of(int fd) {
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID_UNIQUE, &sx) != 0) {
    return fail_errno("reading the mount id", errno);
  }
  if ((sx.stx_mask & STATX_MNT_ID_UNIQUE) != 0) {
    return MountId{sx.stx_mnt_id, true};
  }
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) != 0) {
    return fail_errno("reading the mount id", errno);
  }
  if ((sx.stx_mask & STATX_MNT_ID) == 0) {
    return fail(ErrorKind::unsupported, "the kernel reports no mount id (Linux 5.8 or later)");
  }
  return MountId{sx.stx_mnt_id, false};
}

Result<std::optional<std::string>> mount_point_of(const MountId& id) {
  if (id.unique) {
    return unique_mount_point_of(id.value);
  }
  auto table = read_mount_table();
  if (!table) {
    return std::unexpected(table.error());
  }
  for (auto& mount : *table) {
    if (mount.id == id.value) {
      return std::optional(std::move(mount.mount_point));
    }
  }
  return std::optional<std::string>();
}

Result<MountId> mount_id_at(const std::string& path) {
  int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    return fail_errno("opening " + path, errno);
  }
  File handle = File::adopt(fd, path);
  return with_context(mount_id_of(fd), path);
}

Result<bool> has_mount_at_or_below(const std::string& path) {
  auto found = first_mount_at_or_below(path);
  if (!found) {
    return std::unexpected(found.error());
  }
  return found->has_value();
}

Result<void> remove_tree_unless_mounted(const std::string& path) {
  auto found = first_mount_at_or_below(path);
  if (!found) {
    return std::unexpected(found.error());
  }
  if (*found) {
    return fail(ErrorKind::conflict, "not removing " + path + ": " + **found + " is still mounted");
  }
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) {
    return fail(ErrorKind::io, "removing " + path + ": " + error.message());
  }
  return {};
}

} // namespace sifkit
