// The individual limit flags (docker's and SingularityCE's --cpus, --memory, ...) as the
// OCI "linux.resources" object, and the rules on when limits can be applied at all.
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <tuple>

#include "cgroup.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

using nlohmann::json;

constexpr std::int64_t k_cpu_period_us = 100000;

// A docker size's unit suffix ("", "k", "kb", "kib", ...) as a power of 1024; -1 when it
// is none of them.
int unit_power(std::string unit) {
  for (char& c : unit) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!unit.empty() && unit.front() == ' ') {
    unit.erase(0, 1);
  }
  if (!unit.empty() && unit.back() == 'b') {
    unit.pop_back();
  }
  if (!unit.empty() && unit.back() == 'i') {
    unit.pop_back();
  }
  if (unit.empty()) {
    return 0;
  }
  static constexpr std::string_view k_units = "kmgtp";
  auto at = k_units.find(unit);
  return unit.size() == 1 && at != std::string_view::npos ? static_cast<int>(at) + 1 : -1;
}

// "0-3,5,7-8": CPU or memory node numbers and ranges, ranges in increasing order.
bool valid_cpu_list(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    auto dash = item.find('-');
    std::string_view low = item.substr(0, dash);
    std::string_view high = dash == std::string_view::npos ? low : item.substr(dash + 1);
    unsigned lo = 0, hi = 0;
    auto [lo_end, lo_error] = std::from_chars(low.data(), low.data() + low.size(), lo);
    auto [hi_end, hi_error] = std::from_chars(high.data(), high.data() + high.size(), hi);
    if (low.empty() || high.empty() || lo_error != std::errc() || hi_error != std::errc() ||
        lo_end != low.data() + low.size() || hi_end != high.data() + high.size() || lo > hi) {
      return false;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
    if (text.empty()) {
      return false; // a trailing comma
    }
  }
  return true;
}

Result<void> check_weight(std::int64_t weight, const std::string& flag) {
  if (weight < 10 || weight > 1000) {
    return fail(ErrorKind::usage,
                fmt::format("{} {} is outside 10..1000 (the block I/O weights the kernel takes)",
                            flag, weight));
  }
  return {};
}

Result<json> cpu_limits(const ResourceOptions& o, unsigned cpu_count) {
  json cpu = json::object();
  if (o.cpus) {
    // `!(in range)` so that NaN is refused too.
    if (!(*o.cpus >= 0.01 && *o.cpus <= static_cast<double>(cpu_count))) {
      return fail(
          ErrorKind::usage,
          fmt::format("--cpus {} is outside 0.01..{} (the CPUs of this host)", *o.cpus, cpu_count));
    }
    cpu["period"] = k_cpu_period_us;
    cpu["quota"] = std::llround(*o.cpus * static_cast<double>(k_cpu_period_us));
  }
  if (o.cpu_shares) {
    if (*o.cpu_shares < 2) {
      return fail(ErrorKind::usage,
                  fmt::format("--cpu-shares {} is below 2, the kernel's minimum", *o.cpu_shares));
    }
    cpu["shares"] = *o.cpu_shares;
  }
  for (const auto& [value, flag, key] : {std::tuple{&o.cpuset_cpus, "--cpuset-cpus", "cpus"},
                                         std::tuple{&o.cpuset_mems, "--cpuset-mems", "mems"}}) {
    if (!*value) {
      continue;
    }
    if (!valid_cpu_list(**value)) {
      return fail(
          ErrorKind::usage,
          fmt::format("{} '{}' is not a list of numbers and ranges like 0-3,5", flag, **value));
    }
    cpu[key] = **value;
  }
  return cpu;
}

Result<json> memory_limits(const ResourceOptions& o) {
  json memory = json::object();
  if (o.memory) {
    memory["limit"] = *o.memory;
  }
  if (o.memory_reservation) {
    if (o.memory && *o.memory_reservation > *o.memory) {
      return fail(ErrorKind::usage, "--memory-reservation must not be above --memory");
    }
    memory["reservation"] = *o.memory_reservation;
  }
  if (o.memory_swap) {
    if (*o.memory_swap != -1) {
      // As docker: the value is memory plus swap, so it needs the memory limit under it.
      if (!o.memory) {
        return fail(ErrorKind::usage,
                    "--memory-swap (memory plus swap) needs --memory too, or -1 for unlimited");
      }
      if (*o.memory_swap < *o.memory) {
        return fail(ErrorKind::usage,
                    "--memory-swap is memory plus swap: it must not be below --memory");
      }
    }
    memory["swap"] = *o.memory_swap;
  }
  if (o.oom_kill_disable) {
    memory["disableOOMKiller"] = true;
  }
  return memory;
}

Result<json> weight_device(const std::string& path, std::uint16_t weight) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail(ErrorKind::usage,
                fmt::format("--blkio-weight-device {}: {}", path, std::strerror(errno)));
  }
  if (!S_ISBLK(st.st_mode)) {
    return fail(ErrorKind::usage,
                fmt::format("--blkio-weight-device {} is not a block device (give one like "
                            "/dev/sda)",
                            path));
  }
  SIFKIT_TRY(check_weight(weight, "--blkio-weight-device"));
  return json{{"major", major(st.st_rdev)}, {"minor", minor(st.st_rdev)}, {"weight", weight}};
}

Result<json> block_io_limits(const ResourceOptions& o) {
  json block_io = json::object();
  if (o.blkio_weight) {
    SIFKIT_TRY(check_weight(*o.blkio_weight, "--blkio-weight"));
    block_io["weight"] = *o.blkio_weight;
  }
  for (const auto& [path, weight] : o.blkio_weight_device) {
    SIFKIT_TRY_ASSIGN(auto device, weight_device(path, weight));
    block_io["weightDevice"].push_back(std::move(device));
  }
  return block_io;
}

} // namespace

Result<std::int64_t> parse_size(const std::string& text, const std::string& flag) {
  auto bad = [&] {
    return fail(ErrorKind::usage,
                fmt::format("{} '{}' is not a size: give bytes, or a number with a unit b, k, "
                            "m, g, t or p (1k = 1024 bytes), like 512M or 1.5g",
                            flag, text));
  };
  auto digits = text.find_first_not_of("0123456789.");
  std::string number = text.substr(0, digits);
  double value = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value,
                                      std::chars_format::fixed);
  int power = unit_power(digits == std::string::npos ? "" : text.substr(digits));
  if (number.empty() || number.front() == '.' || error != std::errc() ||
      end != number.data() + number.size() || power < 0) {
    return bad();
  }
  double bytes = value * std::pow(1024.0, power);
  if (bytes < 1) {
    return fail(ErrorKind::usage, fmt::format("{} '{}' must be at least one byte", flag, text));
  }
  if (bytes >= 9.2e18) {
    return fail(ErrorKind::usage, fmt::format("{} '{}' is too large", flag, text));
  }
  return static_cast<std::int64_t>(bytes);
}

Result<std::pair<std::string, std::uint16_t>> parse_weight_device(const std::string& text) {
  auto colon = text.rfind(':');
  std::string path = colon == std::string::npos ? "" : text.substr(0, colon);
  std::string weight_text = colon == std::string::npos ? "" : text.substr(colon + 1);
  int weight = 0;
  auto [end, error] =
      std::from_chars(weight_text.data(), weight_text.data() + weight_text.size(), weight);
  if (path.empty() || weight_text.empty() || error != std::errc() ||
      end != weight_text.data() + weight_text.size()) {
    return fail(ErrorKind::usage,
                fmt::format("--blkio-weight-device '{}' is not DEVICE_PATH:WEIGHT (like "
                            "/dev/sda:200)",
                            text));
  }
  SIFKIT_TRY(check_weight(weight, "--blkio-weight-device"));
  return std::pair{path, static_cast<std::uint16_t>(weight)};
}

Result<nlohmann::json> resources_from_flags(const ResourceOptions& options, unsigned cpu_count) {
  json resources = json::object();
  SIFKIT_TRY_ASSIGN(auto cpu, cpu_limits(options, cpu_count));
  SIFKIT_TRY_ASSIGN(auto memory, memory_limits(options));
  SIFKIT_TRY_ASSIGN(auto block_io, block_io_limits(options));
  if (options.pids_limit) {
    if (*options.pids_limit == 0 || *options.pids_limit < -1) {
      return fail(ErrorKind::usage,
                  fmt::format("--pids-limit {} must be positive, or -1 for unlimited",
                              *options.pids_limit));
    }
    resources["pids"] = {{"limit", *options.pids_limit}};
  }
  for (auto& [key, part] :
       {std::pair{"cpu", &cpu}, std::pair{"memory", &memory}, std::pair{"blockIO", &block_io}}) {
    if (!part->empty()) {
      resources[key] = std::move(*part);
    }
  }
  return resources;
}

unsigned usable_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    return static_cast<unsigned>(CPU_COUNT(&set));
  }
  long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<unsigned>(online) : 1;
}

bool wants_limits(const ResourceOptions& o) {
  return o.apply_cgroups || o.cpus || o.cpu_shares || o.cpuset_cpus || o.cpuset_mems || o.memory ||
         o.memory_swap || o.memory_reservation || o.oom_kill_disable || o.pids_limit ||
         o.blkio_weight || !o.blkio_weight_device.empty();
}

Result<nlohmann::json> build_resources(const ResourceOptions& options, unsigned cpu_count) {
  ResourceOptions without_file = options;
  without_file.apply_cgroups.reset();
  if (options.apply_cgroups && wants_limits(without_file)) {
    return fail(ErrorKind::usage,
                "--apply-cgroups cannot be combined with --cpus, --cpu-shares, --cpuset-*, "
                "--memory*, --oom-kill-disable, --pids-limit or --blkio-weight*: put every limit "
                "in the file, or use only the flags");
  }
  auto resources = options.apply_cgroups ? resources_from_file(*options.apply_cgroups)
                                         : resources_from_flags(options, cpu_count);
  // An unlimited pids limit (runc and the spec: any value <= 0) is what a new cgroup has
  // anyway, and crun 1.8 writes the number itself into pids.max, which the kernel refuses.
  if (resources && resources->contains("pids") && (*resources)["pids"]["limit"] <= 0) {
    resources->erase("pids");
  }
  return resources;
}

Result<void> require_cgroup_control(const nlohmann::json& resources, std::uint32_t uid) {
  if (uid == 0 || !resources.is_object() || resources.empty()) {
    return {};
  }
  return fail(ErrorKind::unsupported,
              fmt::format("resource limits were asked for (--apply-cgroups, --cpus, --memory, "
                          "...), but as uid {} the OCI runtime runs rootless, and without a "
                          "systemd user session delegating a cgroup to it no limit can be "
                          "applied; run as root, or drop the limits",
                          uid));
}

} // namespace sifkit::runtime
