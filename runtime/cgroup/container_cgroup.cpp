// A container's cgroup on the host. v1 spreads them over one hierarchy per controller
// and spells "unlimited" as -1 or a huge number; v2 keeps them in one directory and
// spells it "max".
#include <common/file.h>
#include <runtime/cgroup/cgroup_files.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <initializer_list>
#include <thread>
#include <type_traits>

#include "cgroup.h"
#include <fmt/format.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

// v1 prints an unlimited memory limit as the largest page-aligned number of bytes.
constexpr std::int64_t k_v1_unlimited = std::int64_t{1} << 62;

// The text of the first file named one of `names` in `dirs`, trimmed; nullopt when none
// has it.
Result<std::optional<std::string>> read_first(const std::vector<std::string>& dirs,
                                              std::initializer_list<const char*> names) {
  for (const char* name : names) {
    for (const auto& dir : dirs) {
      std::string file = dir + "/" + name;
      std::error_code ec;
      if (!std::filesystem::exists(file, ec)) {
        continue;
      }
      SIFKIT_TRY_ASSIGN(auto text, read_file(file, k_max_cgroup_file));
      auto end = text.find_last_not_of(" \n");
      return std::optional<std::string>(text.substr(0, end == std::string::npos ? 0 : end + 1));
    }
  }
  return std::optional<std::string>();
}

// The number in `text` (its last word, for "default 100"); nullopt for "max", -1 and v1's
// unlimited memory.
std::optional<std::int64_t> number(std::string_view text) {
  auto space = text.find_last_of(' ');
  if (space != std::string_view::npos) {
    text.remove_prefix(space + 1);
  }
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0 ||
      value >= k_v1_unlimited) {
    return std::nullopt;
  }
  return value;
}

// Reads one limit into `into`: a number, or the text for a string field.
template <typename T>
Result<void> read_into(const std::vector<std::string>& dirs,
                       std::initializer_list<const char*> names, std::optional<T>& into) {
  SIFKIT_TRY_ASSIGN(auto text, read_first(dirs, names));
  if (text) {
    if constexpr (std::is_same_v<T, std::string>) {
      into = *text;
    } else {
      into = number(*text);
    }
  }
  return {};
}

Result<void> read_v1(const std::vector<std::string>& dirs, CgroupLimits& out) {
  for (auto read : {read_into(dirs, {"memory.limit_in_bytes"}, out.memory_limit),
                    read_into(dirs, {"cpu.cfs_quota_us"}, out.cpu_quota),
                    read_into(dirs, {"cpu.cfs_period_us"}, out.cpu_period),
                    read_into(dirs, {"cpu.shares"}, out.cpu_shares),
                    read_into(dirs, {"pids.max"}, out.pids_limit),
                    read_into(dirs, {"cpuset.cpus"}, out.cpuset_cpus),
                    read_into(dirs, {"blkio.weight", "blkio.bfq.weight"}, out.blkio_weight)}) {
    if (!read) {
      return read;
    }
  }
  return {};
}

// v2 files for what v1 did not have; "cpu.max" is "QUOTA PERIOD" with QUOTA "max" when
// there is none.
Result<void> read_v2(const std::string& dir, CgroupLimits& out) {
  std::vector<std::string> dirs = {dir};
  CgroupLimits v2;
  std::optional<std::string> cpu_max;
  for (auto read :
       {read_into(dirs, {"memory.max"}, v2.memory_limit), read_into(dirs, {"cpu.max"}, cpu_max),
        read_into(dirs, {"cpu.weight"}, v2.cpu_shares),
        read_into(dirs, {"pids.max"}, v2.pids_limit),
        read_into(dirs, {"cpuset.cpus"}, v2.cpuset_cpus),
        read_into(dirs, {"io.weight", "io.bfq.weight"}, v2.blkio_weight)}) {
    if (!read) {
      return read;
    }
  }
  if (cpu_max) {
    auto space = cpu_max->find(' ');
    v2.cpu_quota = number(cpu_max->substr(0, space));
    if (space != std::string::npos) {
      v2.cpu_period = number(cpu_max->substr(space + 1));
    }
  }
  auto fill = [](auto& field, auto& from) {
    if (!field) {
      field = from;
    }
  };
  fill(out.memory_limit, v2.memory_limit);
  fill(out.cpu_quota, v2.cpu_quota);
  fill(out.cpu_period, v2.cpu_period);
  fill(out.cpu_shares, v2.cpu_shares);
  fill(out.pids_limit, v2.pids_limit);
  fill(out.cpuset_cpus, v2.cpuset_cpus);
  fill(out.blkio_weight, v2.blkio_weight);
  return {};
}

} // namespace

std::string container_cgroups_path(const std::string& id) {
  return "/sifkit/" + id;
}

Result<void> remove_container_cgroup(const CgroupInfo& info, const std::string& id,
                                     std::chrono::milliseconds grace) {
  // An empty or odd id would name the shared parent or something else entirely.
  if (id.empty() || id.find('/') != std::string::npos || id.starts_with('.')) {
    return {};
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (const auto& dir : existing_cgroup_dirs(info, container_cgroups_path(id))) {
    while (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      if (errno != EBUSY) {
        return fail_errno("removing the cgroup " + dir, errno);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return fail(ErrorKind::conflict,
                    fmt::format("the cgroup {} still holds processes; not removed", dir));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return {};
}

std::vector<std::string> existing_cgroup_dirs(const CgroupInfo& info, const std::string& path) {
  std::vector<std::string> mounts = info.v1_mounts;
  if (!info.v2_mount.empty()) {
    mounts.push_back(info.v2_mount);
  }
  std::vector<std::string> out;
  for (const auto& mount : mounts) {
    std::error_code ec;
    if (std::filesystem::is_directory(mount + path, ec)) {
      out.push_back(mount + path);
    }
  }
  return out;
}

Result<CgroupLimits> read_cgroup_limits(const CgroupInfo& info, const std::string& path) {
  std::vector<std::string> dirs = existing_cgroup_dirs(info, path);
  if (dirs.empty()) {
    return fail(ErrorKind::not_found,
                fmt::format("no cgroup hierarchy of this host has the cgroup {}", path));
  }
  std::string v2_dir = info.v2_mount.empty() ? "" : info.v2_mount + path;
  if (!v2_dir.empty() && dirs.back() == v2_dir) {
    dirs.pop_back();
  } else {
    v2_dir.clear();
  }
  CgroupLimits limits;
  SIFKIT_TRY(read_v1(dirs, limits));
  if (!v2_dir.empty()) {
    SIFKIT_TRY(read_v2(v2_dir, limits));
  }
  return limits;
}

} // namespace sifkit::runtime
