#pragma once

// The cgroup of one container on the host: its name, its directories in each hierarchy,
// their removal once the container is gone, and the limits the kernel holds for it, read
// back from v1 files (memory.limit_in_bytes, cpu.cfs_quota_us, ...) in whichever
// hierarchy carries them, else v2 files (memory.max, cpu.max, ...).
#include <common/error.h>
#include <runtime/cgroups.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sifkit::runtime {

// The cgroupfs path of container `id`: "/sifkit/<id>" under every hierarchy.
std::string container_cgroups_path(const std::string& id);

// One cgroup's limits; nullopt where the controller is not there or the limit is "max".
struct CgroupLimits {
  std::optional<std::int64_t> memory_limit; // bytes
  std::optional<std::int64_t> cpu_quota;    // microseconds per period
  std::optional<std::int64_t> cpu_period;   // microseconds
  std::optional<std::int64_t> cpu_shares;   // v1 cpu.shares; v2 cpu.weight (1..10000)
  std::optional<std::int64_t> pids_limit;
  std::optional<std::string> cpuset_cpus;   // as the kernel prints it ("0-1")
  std::optional<std::int64_t> blkio_weight; // v1 blkio.weight or blkio.bfq.weight; v2 io.weight
};

// Reads the limits of cgroup `path` (like "/sifkit/<id>") in the hierarchies of `info`.
// `not_found` when no hierarchy has the cgroup, `io` when a file of it cannot be read.
Result<CgroupLimits> read_cgroup_limits(const CgroupInfo& info, const std::string& path);

// The directories of cgroup `path` that exist in the hierarchies of `info` (v1 mounts
// first, then the v2 one): empty once the cgroup is gone everywhere.
std::vector<std::string> existing_cgroup_dirs(const CgroupInfo& info, const std::string& path);

// Removes the directories of container `id`'s cgroup (container_cgroups_path) from every
// hierarchy, for a container that is gone: a runtime that fails to start one (crun 1.8
// when it cannot write a limit) or is killed leaves them behind. Only that container's
// own directories, never the shared parent. Waits up to `grace` for processes that are
// still dying. `conflict` when one still holds processes after that, `io` for other
// failures; nothing to do is success.
Result<void> remove_container_cgroup(const CgroupInfo& info, const std::string& id,
                                     std::chrono::milliseconds grace = {});

} // namespace sifkit::runtime
