#include "spec.h"

#include <runtime/spec/spec_parts.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sifkit::runtime {

bool detail::runtime_user_namespace(const RunOptions& options) {
  return options.user && !options.fakeroot;
}

void detail::note(const SpecInputs& inputs, const std::string& text) {
  if (inputs.note) {
    inputs.note(text);
  }
}

namespace {

// runc's defaults: kernel interfaces a container should neither read nor change.
const std::vector<std::string> k_masked_paths = {
    "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",          "/sys/firmware",
};
const std::vector<std::string> k_readonly_paths = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

// Every id a user namespace can map (0 .. 2^32-2; 2^32-1 is the invalid id).
constexpr std::uint64_t k_all_ids = 4294967295u;

// RFC 1123 host names: it also ends up in /etc/hosts, so nothing else gets through.
bool valid_hostname(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.front() == '-' || name.front() == '.') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

nlohmann::json namespaces(const RunOptions& options) {
  nlohmann::json list = nlohmann::json::array();
  for (const char* type : {"pid", "ipc", "mount"}) {
    list.push_back({{"type", type}});
  }
  if (options.net) {
    list.push_back({{"type", "network"}});
  }
  if (options.uts || options.hostname) {
    list.push_back({{"type", "uts"}});
  }
  if (detail::runtime_user_namespace(options)) {
    list.push_back({{"type", "user"}});
  }
  return list;
}

nlohmann::json linux_section(const RunOptions& options, const HostContext& host) {
  nlohmann::json linux_json = {
      {"namespaces", namespaces(options)},
      {"resources", nlohmann::json::object()},
  };
  if (detail::runtime_user_namespace(options)) {
    // Root maps every id to itself: ids and file ownership stay as they are, while the
    // container's capabilities reach only the namespaces it owns. A plain account has
    // only its own ids (a user namespace without newuidmap maps one id).
    std::uint64_t size = host.uid == 0 ? k_all_ids : 1;
    nlohmann::json uid_map = {{"containerID", host.uid}, {"hostID", host.uid}, {"size", size}};
    nlohmann::json gid_map = {{"containerID", host.gid}, {"hostID", host.gid}, {"size", size}};
    linux_json["uidMappings"] = nlohmann::json::array({uid_map});
    linux_json["gidMappings"] = nlohmann::json::array({gid_map});
  }
  if (!options.keep_privs) {
    linux_json["maskedPaths"] = k_masked_paths;
    linux_json["readonlyPaths"] = k_readonly_paths;
  }
  return linux_json;
}

nlohmann::json annotations(const oci::ImageConfig& image) {
  nlohmann::json out = nlohmann::json::object();
  const std::pair<const char*, const std::string*> fields[] = {
      {"os", &image.platform.os},           {"architecture", &image.platform.architecture},
      {"variant", &image.platform.variant}, {"author", &image.author},
      {"created", &image.created},          {"stopSignal", &image.config.stop_signal},
  };
  for (const auto& [name, value] : fields) {
    if (!value->empty()) {
      out[fmt::format("org.opencontainers.image.{}", name)] = *value;
    }
  }
  for (const auto& [key, value] : image.config.labels) {
    out[key] = value;
  }
  return out;
}

} // namespace

Result<nlohmann::json> build_spec(const SpecInputs& inputs) {
  if (!inputs.image || !inputs.options || !inputs.host) {
    return fail(ErrorKind::internal, "build_spec needs an image, options and a host context");
  }
  const RunOptions& options = *inputs.options;
  if (options.hostname && !valid_hostname(*options.hostname)) {
    return fail(ErrorKind::usage,
                fmt::format("--hostname '{}' is not a valid host name", *options.hostname));
  }
  if (options.tmpfs_size_mb <= 0) {
    return fail(ErrorKind::usage, "the tmpfs size must be positive");
  }

  SIFKIT_TRY_ASSIGN(auto user, detail::resolve_target_user(inputs));
  SIFKIT_TRY_ASSIGN(auto process, detail::build_process(inputs, user));
  SIFKIT_TRY_ASSIGN(auto mounts, detail::build_mounts(inputs, user));

  nlohmann::json spec = {
      {"ociVersion", "1.0.2"},
      {"root", {{"path", "rootfs"}, {"readonly", !options.writable_tmpfs}}},
      {"process", std::move(process)},
      {"mounts", std::move(mounts)},
      {"linux", linux_section(options, *inputs.host)},
      {"annotations", annotations(*inputs.image)},
  };
  if (options.hostname) {
    spec["hostname"] = *options.hostname;
  }
  SIFKIT_TRY(detail::add_resources(inputs, spec));
  SIFKIT_TRY(detail::add_devices(inputs, spec));
  SIFKIT_TRY(detail::add_seccomp(inputs, spec));
  return spec;
}

} // namespace sifkit::runtime
