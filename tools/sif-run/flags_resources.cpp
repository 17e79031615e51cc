#include "flags_resources.h"

#include <runtime/cgroup/cgroup.h>

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace sifkit::tools {

void add_resources_flags(CLI::App& app, ResourceFlags& f) {
  auto group = "Resources";
  app.add_option("--apply-cgroups", f.apply_cgroups,
                 "Limits from SingularityCE's cgroups TOML or OCI linux.resources JSON")
      ->type_name("FILE")
      ->group(group);
  app.add_option("--cpus", f.cpus, "CPU time, in CPUs (0.01 up to the host's CPUs)")
      ->type_name("N")
      ->group(group);
  app.add_option("--cpu-shares", f.cpu_shares, "Relative CPU weight (default 1024)")
      ->type_name("N")
      ->group(group);
  app.add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs the container may run on")
      ->type_name("LIST")
      ->group(group);
  app.add_option("--cpuset-mems", f.cpuset_mems, "Memory nodes the container may use")
      ->type_name("LIST")
      ->group(group);
  app.add_option("--memory", f.memory, "Memory limit (512M, 1G, bytes, ...)")
      ->type_name("SIZE")
      ->group(group);
  app.add_option("--memory-swap", f.memory_swap, "Memory plus swap limit (-1: unlimited)")
      ->type_name("SIZE")
      ->group(group);
  app.add_option("--memory-reservation", f.memory_reservation, "Memory soft limit")
      ->type_name("SIZE")
      ->group(group);
  app.add_flag("--oom-kill-disable", f.oom_kill_disable, "Do not OOM-kill the container")
      ->group(group);
  app.add_option("--pids-limit", f.pids_limit, "Most processes at once (-1: unlimited)")
      ->type_name("N")
      ->group(group);
  app.add_option("--blkio-weight", f.blkio_weight, "Relative block I/O weight (10..1000)")
      ->type_name("N")
      ->group(group);
  app.add_option("--blkio-weight-device", f.blkio_weight_device,
                 "Block I/O weight of one device (repeatable)")
      ->allow_extra_args(false)
      ->type_name("DEVICE_PATH:WEIGHT")
      ->group(group);
}

Result<void> apply_resources_flags(const ResourceFlags& f, runtime::RunOptions& options) {
  runtime::ResourceOptions& o = options.resources;
  o.apply_cgroups = f.apply_cgroups;
  o.cpus = f.cpus;
  o.cpu_shares = f.cpu_shares;
  o.cpuset_cpus = f.cpuset_cpus;
  o.cpuset_mems = f.cpuset_mems;
  o.oom_kill_disable = f.oom_kill_disable;
  o.pids_limit = f.pids_limit;
  for (const auto& [text, into, flag] :
       {std::tuple{&f.memory, &o.memory, "--memory"},
        std::tuple{&f.memory_reservation, &o.memory_reservation, "--memory-reservation"}}) {
    if (*text) {
      SIFKIT_TRY_ASSIGN(auto size, runtime::parse_size(**text, flag));
      *into = size;
    }
  }
  if (f.memory_swap) {
    SIFKIT_TRY_ASSIGN(auto size, *f.memory_swap == "-1"
                                     ? Result<std::int64_t>(-1)
                                     : runtime::parse_size(*f.memory_swap, "--memory-swap"));
    o.memory_swap = size;
  }
  if (f.blkio_weight) {
    if (*f.blkio_weight < 10 || *f.blkio_weight > 1000) {
      return fail(ErrorKind::usage, "--blkio-weight must be in 10..1000");
    }
    o.blkio_weight = static_cast<std::uint16_t>(*f.blkio_weight);
  }
  for (const auto& text : f.blkio_weight_device) {
    SIFKIT_TRY_ASSIGN(auto parsed, runtime::parse_weight_device(text));
    o.blkio_weight_device.push_back(std::move(parsed));
  }
  // Checked now, so that a bad limit is reported before any image is opened; the spec
  // generator builds the object again from the same options.
  SIFKIT_TRY_ASSIGN(auto checked, runtime::build_resources(o, runtime::usable_cpu_count()));
  return runtime::require_cgroup_control(checked, ::geteuid());
}

} // namespace sifkit::tools
