// Applying CDI container edits to a config.json, field by field as the CDI reference
// library (tags.cncf.io/container-device-interface) applies them to an OCI spec.
#include <runtime/devices/devices.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace sifkit::runtime {

namespace {

using nlohmann::json;

// The node's type, major, minor and mode from the host node when the spec leaves them
// out (a FIFO has no numbers).
Result<void> fill_from_host(CdiDeviceNode& node) {
  if (node.host_path.empty()) {
    node.host_path = node.path;
  }
  if (!node.type.empty() && (node.major || node.type == "p")) {
    return {};
  }
  struct stat st {};
  if (::stat(node.host_path.c_str(), &st) != 0) {
    return fail_errno(fmt::format("CDI device node {}", node.host_path), errno);
  }
  std::string host_type = S_ISCHR(st.st_mode)    ? "c"
                          : S_ISBLK(st.st_mode)  ? "b"
                          : S_ISFIFO(st.st_mode) ? "p"
                                                 : "";
  if (host_type.empty()) {
    return fail(ErrorKind::usage,
                fmt::format("CDI device node {} is not a device on the host", node.host_path));
  }
  bool same_type = node.type == host_type || (node.type == "u" && host_type == "c");
  if (!node.type.empty() && !same_type) {
    return fail(ErrorKind::usage,
                fmt::format("CDI device node {}: the spec says type '{}', the host node is '{}'",
                            node.host_path, node.type, host_type));
  }
  if (node.type.empty()) {
    node.type = host_type;
  }
  if (!node.major && node.type != "p") {
    node.major = major(st.st_rdev);
    node.minor = minor(st.st_rdev);
  }
  if (!node.file_mode) {
    node.file_mode = st.st_mode & 07777;
  }
  return {};
}

// Replaces the element of array `list` whose `key` equals `value`, or appends `item`.
void replace_or_append(json& list, const char* key, const std::string& value, json item) {
  for (auto& existing : list) {
    if (existing.is_object() && existing.value(key, "") == value) {
      existing = std::move(item);
      return;
    }
  }
  list.push_back(std::move(item));
}

json& array_at(json& spec, const json::json_pointer& pointer) {
  json& slot = spec[pointer];
  if (!slot.is_array()) {
    slot = json::array();
  }
  return slot;
}

void add_device_entry(const CdiDeviceNode& node, json& spec) {
  json device = {{"path", node.path}, {"type", node.type}};
  if (node.type != "p") {
    device["major"] = *node.major;
    device["minor"] = node.minor.value_or(0);
  }
  if (node.file_mode) {
    device["fileMode"] = *node.file_mode;
  }
  // As the reference library: the node belongs to the container's user unless told.
  std::uint32_t uid = spec.value("/process/user/uid"_json_pointer, 0u);
  std::uint32_t gid = spec.value("/process/user/gid"_json_pointer, 0u);
  if (node.uid || uid > 0) {
    device["uid"] = node.uid.value_or(uid);
  }
  if (node.gid || gid > 0) {
    device["gid"] = node.gid.value_or(gid);
  }
  replace_or_append(array_at(spec, "/linux/devices"_json_pointer), "path", node.path, device);
}

// The runtimes bind a node from its container path in a user namespace, which is wrong
// whenever hostPath differs: the bind is made here from the host node instead.
void add_device_bind(const CdiDeviceNode& node, json& spec) {
  replace_or_append(array_at(spec, "/mounts"_json_pointer), "destination", node.path,
                    {{"destination", node.path},
                     {"type", "bind"},
                     {"source", node.host_path},
                     {"options", {"bind", "nosuid"}}});
}

Result<void> add_device_node(CdiDeviceNode node, DeviceNodeMode mode, json& spec) {
  SIFKIT_TRY(fill_from_host(node));
  if (mode == DeviceNodeMode::bind) {
    add_device_bind(node, spec);
  } else {
    add_device_entry(node, spec);
  }
  if (node.type != "p") {
    array_at(spec, "/linux/resources/devices"_json_pointer)
        .push_back({{"allow", true},
                    {"type", node.type == "b" ? "b" : "c"},
                    {"major", *node.major},
                    {"minor", node.minor.value_or(0)},
                    {"access", node.permissions.empty() ? "rwm" : node.permissions}});
  }
  return {};
}

void add_mount(const CdiMount& mount, json& spec) {
  std::vector<std::string> options = mount.options;
  std::string type = mount.type;
  bool binds = std::any_of(options.begin(), options.end(),
                           [](const std::string& o) { return o == "bind" || o == "rbind"; });
  if (type.empty()) {
    type = "bind";
  }
  if (type == "bind" && !binds) {
    options.push_back("bind");
  }
  json& mounts = array_at(spec, "/mounts"_json_pointer);
  json kept = json::array();
  for (auto& existing : mounts) {
    if (existing.value("destination", "") != mount.container_path) {
      kept.push_back(std::move(existing));
    }
  }
  mounts = std::move(kept);
  mounts.push_back({{"destination", mount.container_path},
                    {"type", type},
                    {"source", mount.host_path},
                    {"options", options}});
}

void add_env(const std::string& line, json& spec) {
  std::string prefix = line.substr(0, line.find('=') + 1);
  json& env = array_at(spec, "/process/env"_json_pointer);
  for (auto& existing : env) {
    if (existing.get<std::string>().starts_with(prefix)) {
      existing = line;
      return;
    }
  }
  env.push_back(line);
}

void add_hook(const CdiHook& hook, json& spec) {
  json entry = {{"path", hook.path}};
  if (!hook.args.empty()) {
    entry["args"] = hook.args;
  }
  if (!hook.env.empty()) {
    entry["env"] = hook.env;
  }
  if (hook.timeout) {
    entry["timeout"] = *hook.timeout;
  }
  array_at(spec, json::json_pointer("/hooks/" + hook.hook_name)).push_back(entry);
}

void add_gids(const std::vector<std::uint32_t>& gids, json& spec) {
  json& list = array_at(spec, "/process/user/additionalGids"_json_pointer);
  for (std::uint32_t gid : gids) {
    if (gid != 0 && std::find(list.begin(), list.end(), json(gid)) == list.end()) {
      list.push_back(gid);
    }
  }
}

} // namespace

Result<void> apply_cdi_edits(const CdiEdits& edits, json& spec, DeviceNodeMode mode) {
  if (!edits.unsupported.empty()) {
    return fail(ErrorKind::unsupported,
                fmt::format("the CDI edit {} is not supported", edits.unsupported.front()));
  }
  for (const CdiDeviceNode& node : edits.device_nodes) {
    SIFKIT_TRY(add_device_node(node, mode, spec));
  }
  for (const CdiMount& mount : edits.mounts) {
    add_mount(mount, spec);
  }
  for (const std::string& line : edits.env) {
    add_env(line, spec);
  }
  for (const CdiHook& hook : edits.hooks) {
    add_hook(hook, spec);
  }
  if (!edits.additional_gids.empty()) {
    add_gids(edits.additional_gids, spec);
  }
  return {};
}

} // namespace sifkit::runtime
