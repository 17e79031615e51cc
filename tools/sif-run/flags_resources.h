#pragma once

// sif-run's resources flags: registered on the parser, then turned into the library's
// options (runtime/spec/spec.h).
#include <common/error.h>
#include <runtime/spec/spec.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sifkit::tools {

// The flags' texts; sizes and device weights are parsed by apply_resources_flags.
struct ResourceFlags {
  std::optional<std::string> apply_cgroups;
  std::optional<double> cpus;
  std::optional<std::uint64_t> cpu_shares;
  std::optional<std::string> cpuset_cpus, cpuset_mems;
  std::optional<std::string> memory, memory_swap, memory_reservation;
  bool oom_kill_disable = false;
  std::optional<std::int64_t> pids_limit;
  std::optional<std::int64_t> blkio_weight;
  std::vector<std::string> blkio_weight_device;
};

// Registers the flags on `app` (in their own help group).
void add_resources_flags(CLI::App& app, ResourceFlags& flags);

// The library's view of `flags`. `usage` for malformed values.
Result<void> apply_resources_flags(const ResourceFlags& flags, runtime::RunOptions& options);

} // namespace sifkit::tools
