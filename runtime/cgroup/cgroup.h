#pragma once

// The public header of runtime/cgroup/. cgroups: the host layout, a container's own cgroup, and the
// resource limits it gets.
//
// Other rooms of runtime/ and the tools include only this header of the room; the
// other headers in the folder are internal to it.
#include <common/error.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

// The host's cgroup layout, as the OCI runtimes see it. crun (1.8) refuses to start any
// container on a v1/v2 hybrid host where a controller is attached to the v2 hierarchy
// ("cgroups in hybrid mode not supported"); runc copes. The launcher uses this to pick a
// runtime that works, or to say what to change.

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

// The cgroup of one container on the host: its name, its directories in each hierarchy,
// their removal once the container is gone, and the limits the kernel holds for it, read
// back from v1 files (memory.limit_in_bytes, cpu.cfs_quota_us, ...) in whichever
// hierarchy carries them, else v2 files (memory.max, cpu.max, ...).

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

// Resource limits a user asks for (--apply-cgroups and the --cpus/--memory/... flags),
// before they become the config's "linux.resources" (below).

struct ResourceOptions {
  std::optional<std::string> apply_cgroups;       // --apply-cgroups FILE: TOML or JSON
  std::optional<double> cpus;                     // --cpus: CPU time, in CPUs
  std::optional<std::uint64_t> cpu_shares;        // --cpu-shares
  std::optional<std::string> cpuset_cpus;         // --cpuset-cpus "0-1,3"
  std::optional<std::string> cpuset_mems;         // --cpuset-mems
  std::optional<std::int64_t> memory;             // --memory, bytes
  std::optional<std::int64_t> memory_swap;        // --memory-swap, bytes (-1: unlimited)
  std::optional<std::int64_t> memory_reservation; // --memory-reservation, bytes
  bool oom_kill_disable = false;                  // --oom-kill-disable
  std::optional<std::int64_t> pids_limit;         // --pids-limit
  std::optional<std::uint16_t> blkio_weight;      // --blkio-weight 10..1000
  // --blkio-weight-device DEVICE:WEIGHT, in order.
  std::vector<std::pair<std::string, std::uint16_t>> blkio_weight_device;
};

// Resource limits as the OCI config's "linux.resources" object: from a --apply-cgroups
// file (SingularityCE's cgroups TOML, or the JSON of the OCI object itself) or from the
// --cpus/--memory/... flags. The same object serves cgroup v1 and v2: the runtimes
// translate it. The cgroup the limits land in: the container cgroup section above.

// Parses a docker-style size ("512M", "1g", "1.5GiB", "1024k", "4096"; binary units) in
// bytes. `usage` naming `flag` for anything else, or for zero or a negative size.
Result<std::int64_t> parse_size(const std::string& text, const std::string& flag);

// Parses --blkio-weight-device text "DEVICE_PATH:WEIGHT". `usage` when malformed or the
// weight is outside 10..1000 (the path is checked when the limits are built).
Result<std::pair<std::string, std::uint16_t>> parse_weight_device(const std::string& text);

// The "linux.resources" object in the file at `path`: JSON when its first non-space
// character is '{', else SingularityCE's TOML. `usage` naming the file and the key for a
// syntax error, an unknown key or a value of the wrong type or range, and when the file
// cannot be read.
Result<nlohmann::json> resources_from_file(const std::string& path);

// The same for `text`, with `name` used in messages.
Result<nlohmann::json> resources_from_text(const std::string& text, const std::string& name);

// The "linux.resources" object for the individual flags in `options` on a host with
// `cpu_count` CPUs. `usage` for a value out of range (--cpus outside 0.01..cpu_count, a
// weight outside 10..1000, --memory-swap below --memory, ...), or a --blkio-weight-device
// path that is not a block device.
Result<nlohmann::json> resources_from_flags(const ResourceOptions& options, unsigned cpu_count);

// The "linux.resources" object `options` asks for: the file's or the flags' (an empty
// object when neither), without an unlimited (<= 0) pids limit, which every runtime
// takes as the default. `usage` when both are given, as for the two functions above.
Result<nlohmann::json> build_resources(const ResourceOptions& options, unsigned cpu_count);

// Refuses limits the runtime could not apply: a caller with user id `uid` other than 0
// runs the runtime rootless, and without a systemd session delegating cgroups to it
// nothing applies them. `unsupported` when `resources` holds any limit and `uid` != 0.
Result<void> require_cgroup_control(const nlohmann::json& resources, std::uint32_t uid);

// The CPUs this process may run on (its affinity mask, as Go's runtime.NumCPU that
// SingularityCE uses to bound --cpus).
unsigned usable_cpu_count();

// True when `options` asks for any limit (a file or a flag).
bool wants_limits(const ResourceOptions& options);

} // namespace sifkit::runtime
