// libFuzzer target: any byte string parsed as a CDI spec file (byte 0 odd, as 'y': YAML;
// even, as 'j': JSON; the rest is the file) either fails with `corrupt_input` / `unsupported` or
// yields a spec that keeps cdi.h's contract: a supported cdiVersion, a valid kind, at
// least one device, valid device names, and edits whose device types, cgroup access,
// hook names and paths, timeouts and env entries are the checked ones. Resolving every
// device of the spec by name then finds each of them.
#include <runtime/devices/devices.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "memfd_input.h"

using namespace sifkit;
using namespace sifkit::runtime;

namespace {

bool is_one_of(const std::string& value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

void check_edits(const CdiEdits& edits) {
  for (const std::string& env : edits.env) {
    FUZZ_CHECK(env.find('=') != std::string::npos && env.front() != '=');
  }
  for (const CdiDeviceNode& node : edits.device_nodes) {
    FUZZ_CHECK(!node.path.empty());
    FUZZ_CHECK(node.type.empty() || is_one_of(node.type, {"b", "c", "u", "p"}));
    FUZZ_CHECK(node.permissions.find_first_not_of("rwm") == std::string::npos);
  }
  for (const CdiMount& mount : edits.mounts) {
    FUZZ_CHECK(!mount.host_path.empty() && !mount.container_path.empty());
  }
  for (const CdiHook& hook : edits.hooks) {
    FUZZ_CHECK(is_one_of(hook.hook_name, {"prestart", "createRuntime", "createContainer",
                                          "startContainer", "poststart", "poststop"}));
    FUZZ_CHECK(hook.path.starts_with("/"));
    FUZZ_CHECK(!hook.timeout || *hook.timeout > 0);
  }
}

void check_spec(const CdiSpec& spec, const std::string& file) {
  FUZZ_CHECK(spec.file == file);
  FUZZ_CHECK(valid_cdi_kind(spec.kind));
  FUZZ_CHECK(!spec.devices.empty());
  check_edits(spec.edits);
  CdiRegistry registry;
  registry.dirs = {"/fuzz"};
  registry.specs = {spec};
  std::vector<std::string> names;
  for (std::size_t i = 0; i < spec.devices.size(); ++i) {
    FUZZ_CHECK(valid_cdi_device_name(spec.devices[i].name));
    check_edits(spec.devices[i].edits);
    std::string name = spec.kind + "=" + spec.devices[i].name;
    if (registry.devices.try_emplace(name, CdiRegistry::Entry{0, i, 0, {}}).second) {
      names.push_back(name);
    }
  }
  // Every device name is one the command line accepts, and resolves.
  auto resolved = resolve_cdi_devices(registry, names);
  FUZZ_CHECK(resolved);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string file = (data[0] & 1) != 0 ? "/fuzz/spec.yaml" : "/fuzz/spec.json";
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto spec = parse_cdi_spec(text, file);
  if (!spec) {
    ErrorKind kind = spec.error().kind();
    FUZZ_CHECK(kind == ErrorKind::corrupt_input || kind == ErrorKind::unsupported);
    FUZZ_CHECK(!spec.error().what().empty());
    return 0;
  }
  check_spec(*spec, file);
  return 0;
}
