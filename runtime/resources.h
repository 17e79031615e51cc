#pragma once

// Resource limits as the OCI config's "linux.resources" object: from a --apply-cgroups
// file (SingularityCE's cgroups TOML, or the JSON of the OCI object itself) or from the
// --cpus/--memory/... flags. The same object serves cgroup v1 and v2: the runtimes
// translate it. The cgroup the limits land in: runtime/container_cgroup.h.
#include <common/error.h>
#include <runtime/resource_options.h>

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

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
