#pragma once

// Resource limits a user asks for (--apply-cgroups and the --cpus/--memory/... flags),
// before they become the config's "linux.resources" (runtime/resources.h).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sifkit::runtime {

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

} // namespace sifkit::runtime
