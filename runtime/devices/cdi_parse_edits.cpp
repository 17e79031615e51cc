// Reading a CDI spec's containerEdits: env, deviceNodes, mounts, hooks, additionalGids,
// and the edits sifkit reports as unsupported.
#include <runtime/devices/cdi_reader.h>

#include <algorithm>

namespace sifkit::runtime::cdi_detail {

namespace {

bool valid_permissions(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == 'r' || c == 'w' || c == 'm'; });
}

Result<CdiDeviceNode> read_device_node(const json& object, const Where& where) {
  CdiDeviceNode node;
  SIFKIT_TRY_ASSIGN(auto path, required_string(object, "path", where));
  node.path = path;
  Result<void> read[] = {
      optional_field(object, "hostPath", where, node.host_path, as_string),
      optional_field(object, "type", where, node.type, as_string),
      optional_field(object, "major", where, node.major, as_integer),
      optional_field(object, "minor", where, node.minor, as_integer),
      optional_field(object, "fileMode", where, node.file_mode, as_uint32),
      optional_field(object, "permissions", where, node.permissions, as_string),
      optional_field(object, "uid", where, node.uid, as_uint32),
      optional_field(object, "gid", where, node.gid, as_uint32),
  };
  for (auto& result : read) {
    if (!result) {
      return std::unexpected(result.error());
    }
  }
  if (!node.type.empty() && node.type != "c" && node.type != "b" && node.type != "p" &&
      node.type != "u") {
    return where.at("type").bad(fmt::format("'{}' is not a device type (b, c, u or p)", node.type));
  }
  if (!valid_permissions(node.permissions)) {
    return where.at("permissions")
        .bad(fmt::format("'{}' is not a cgroup access (letters of rwm)", node.permissions));
  }
  return node;
}

Result<CdiMount> read_mount(const json& object, const Where& where) {
  CdiMount mount;
  auto host = required_string(object, "hostPath", where);
  SIFKIT_TRY_ASSIGN(auto container, host ? required_string(object, "containerPath", where) : host);
  mount.host_path = *host;
  mount.container_path = container;
  SIFKIT_TRY(optional_field(object, "type", where, mount.type, as_string));
  SIFKIT_TRY(optional_field(object, "options", where, mount.options, as_strings));
  return mount;
}

const std::vector<std::string> k_hook_names = {"prestart",       "createRuntime", "createContainer",
                                               "startContainer", "poststart",     "poststop"};

Result<CdiHook> read_hook(const json& object, const Where& where) {
  CdiHook hook;
  auto name = required_string(object, "hookName", where);
  SIFKIT_TRY_ASSIGN(auto path, name ? required_string(object, "path", where) : name);
  if (std::find(k_hook_names.begin(), k_hook_names.end(), *name) == k_hook_names.end()) {
    return where.at("hookName").bad(fmt::format("'{}' is not an OCI hook", *name));
  }
  if (!path.starts_with("/")) {
    return where.at("path").bad(fmt::format("'{}' is not an absolute path", path));
  }
  hook.hook_name = *name;
  hook.path = path;
  Result<void> read[] = {
      optional_field(object, "args", where, hook.args, as_strings),
      optional_field(object, "env", where, hook.env, as_strings),
      optional_field(object, "timeout", where, hook.timeout, as_integer),
  };
  for (auto& result : read) {
    if (!result) {
      return std::unexpected(result.error());
    }
  }
  if (hook.timeout && *hook.timeout <= 0) {
    return where.at("timeout").bad("must be greater than zero");
  }
  return hook;
}

Result<void> read_env(const json& object, const Where& where, std::vector<std::string>& env) {
  SIFKIT_TRY(optional_field(object, "env", where, env, as_strings));
  for (std::size_t i = 0; i < env.size(); ++i) {
    if (env[i].find('=') == std::string::npos || env[i].front() == '=') {
      return where.at("env").index(i).bad(fmt::format("'{}' is not NAME=VALUE", env[i]));
    }
  }
  return {};
}

} // namespace

Result<CdiEdits> read_edits(const json& object, const Where& where) {
  if (!object.is_object()) {
    return where.bad("expected an object");
  }
  CdiEdits edits;
  SIFKIT_TRY(read_env(object, where, edits.env));
  Result<void> lists[] = {
      each(object, "deviceNodes", where,
           [&](const json& item, const Where& at) -> Result<void> {
             SIFKIT_TRY_ASSIGN(auto node, read_device_node(item, at));
             edits.device_nodes.push_back(node);
             return {};
           }),
      each(object, "mounts", where,
           [&](const json& item, const Where& at) -> Result<void> {
             SIFKIT_TRY_ASSIGN(auto mount, read_mount(item, at));
             edits.mounts.push_back(mount);
             return {};
           }),
      each(object, "hooks", where,
           [&](const json& item, const Where& at) -> Result<void> {
             SIFKIT_TRY_ASSIGN(auto hook, read_hook(item, at));
             edits.hooks.push_back(hook);
             return {};
           }),
      each(
          object, "additionalGids", where,
          [&](const json& item, const Where& at) -> Result<void> {
            SIFKIT_TRY_ASSIGN(auto gid, as_uint32(item, at));
            edits.additional_gids.push_back(gid);
            return {};
          },
          Items::any),
  };
  for (auto& result : lists) {
    if (!result) {
      return std::unexpected(result.error());
    }
  }
  for (const char* key : {"intelRdt", "netDevices"}) {
    if (member(object, key)) {
      edits.unsupported.push_back(fmt::format("{} (at {} in {})", key, where.path, where.file));
    }
  }
  return edits;
}

} // namespace sifkit::runtime::cdi_detail
