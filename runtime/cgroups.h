#pragma once

// The host's cgroup layout, as the OCI runtimes see it. crun (1.8) refuses to start any
// container on a v1/v2 hybrid host where a controller is attached to the v2 hierarchy
// ("cgroups in hybrid mode not supported"); runc copes. The launcher uses this to pick a
// runtime that works, or to say what to change.
#include <common/error.h>

#include <optional>
#include <string>
#include <vector>

namespace sifkit::runtime {

enum class CgroupLayout {
  none,    // no cgroup filesystem mounted
  legacy,  // v1 hierarchies only
  unified, // cgroup v2 only
  hybrid,  // v1 hierarchies plus a v2 one (usually /sys/fs/cgroup/unified)
};

struct CgroupInfo {
  CgroupLayout layout = CgroupLayout::none;
  std::string v2_mount;                    // where cgroup2 is mounted, if it is
  std::vector<std::string> v1_mounts;      // where v1 hierarchies are mounted
  std::vector<std::string> v2_controllers; // controllers on the v2 hierarchy
};

// Reads the layout from the mount table `mountinfo` (/proc/self/mountinfo's format) and
// the v2 hierarchy's cgroup.controllers. `io` when the mount table cannot be read.
Result<CgroupInfo> detect_cgroups(const std::string& mountinfo = "/proc/self/mountinfo");

// Why crun cannot run containers on a host with layout `info`, with what to change;
// nullopt when it can.
std::optional<std::string> crun_cgroup_problem(const CgroupInfo& info);

std::string_view to_string(CgroupLayout layout);

} // namespace sifkit::runtime
