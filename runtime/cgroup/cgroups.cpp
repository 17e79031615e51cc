#include <common/file.h>
#include <common/mountinfo.h>
#include <runtime/cgroup/cgroup_files.h>

#include <sstream>

#include "cgroup.h"
#include <fmt/format.h>

namespace sifkit::runtime {

namespace {

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    out.push_back(word);
  }
  return out;
}

} // namespace

std::string_view to_string(CgroupLayout layout) {
  switch (layout) {
  case CgroupLayout::none:
    return "none";
  case CgroupLayout::legacy:
    return "legacy (v1)";
  case CgroupLayout::unified:
    return "unified (v2)";
  case CgroupLayout::hybrid:
    return "hybrid (v1 + v2)";
  }
  return "unknown";
}

Result<CgroupInfo> detect_cgroups(const std::string& mountinfo) {
  SIFKIT_TRY_ASSIGN(auto table, read_mount_table(mountinfo));
  CgroupInfo info;
  for (auto& entry : table) {
    if (entry.fs_type == "cgroup2") {
      info.v2_mount = std::move(entry.mount_point);
    } else if (entry.fs_type == "cgroup") {
      info.v1_mounts.push_back(std::move(entry.mount_point));
    }
  }
  if (!info.v2_mount.empty()) {
    if (auto controllers = read_file(info.v2_mount + "/cgroup.controllers", k_max_cgroup_file);
        controllers) {
      info.v2_controllers = words(*controllers);
    }
  }
  if (info.v1_mounts.empty()) {
    info.layout = info.v2_mount.empty() ? CgroupLayout::none : CgroupLayout::unified;
  } else {
    info.layout = info.v2_mount.empty() ? CgroupLayout::legacy : CgroupLayout::hybrid;
  }
  return info;
}

std::optional<std::string> crun_cgroup_problem(const CgroupInfo& info) {
  if (info.layout != CgroupLayout::hybrid || info.v2_controllers.empty()) {
    return std::nullopt;
  }
  std::string mounts;
  std::string names;
  for (const auto& controller : info.v2_controllers) {
    names += (names.empty() ? "" : ", ") + controller;
    mounts += fmt::format("\n  mkdir -p /sys/fs/cgroup/{0} && mount -t cgroup -o {0} cgroup "
                          "/sys/fs/cgroup/{0}",
                          controller);
  }
  return fmt::format(
      "crun cannot run containers on this host: its cgroups are hybrid (v1 hierarchies plus "
      "cgroup v2 at {}) and the v2 hierarchy holds controllers ({}), which crun refuses. "
      "Mount them as v1 hierarchies (as root):{}\nor boot with one cgroup version "
      "(systemd.unified_cgroup_hierarchy=1), or use --runtime runc",
      info.v2_mount, names, mounts);
}

} // namespace sifkit::runtime
