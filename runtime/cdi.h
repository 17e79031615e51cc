#pragma once

// The Container Device Interface (CDI, cdiVersion 0.3.0 to 0.8.0): spec files read from
// the CDI directories, fully-qualified device names ("vendor.com/class=name") resolved
// to the container edits they ask for, and those edits applied to a config.json.
#include <common/error.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

// Where CDI spec files are looked for when --cdi-dirs is not given (in precedence order:
// later directories win).
inline const std::vector<std::string> k_default_cdi_dirs = {"/etc/cdi", "/var/run/cdi"};

// One containerEdits.deviceNodes[] entry.
struct CdiDeviceNode {
  std::string path;      // in the container
  std::string host_path; // on the host; empty: `path`
  std::string type;      // "c", "b", "p" or "u"; empty: the host node's
  std::optional<std::int64_t> major, minor;
  std::optional<std::uint32_t> file_mode;
  std::string permissions; // cgroup access, letters of "rwm"; empty: "rwm"
  std::optional<std::uint32_t> uid, gid;
};

// One containerEdits.mounts[] entry.
struct CdiMount {
  std::string host_path;
  std::string container_path;
  std::string type; // empty: a bind mount
  std::vector<std::string> options;
};

// One containerEdits.hooks[] entry.
struct CdiHook {
  std::string hook_name; // prestart, createRuntime, createContainer, startContainer, ...
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<std::int64_t> timeout;
};

// The edits a spec or a device asks of the container.
struct CdiEdits {
  std::vector<std::string> env; // "K=V"
  std::vector<CdiDeviceNode> device_nodes;
  std::vector<CdiMount> mounts;
  std::vector<CdiHook> hooks;
  std::vector<std::uint32_t> additional_gids;
  // Edits present in the spec that sifkit does not apply ("intelRdt in FILE"); applying
  // edits with any of these fails.
  std::vector<std::string> unsupported;

  // Appends all of `other`'s edits after this one's.
  void append(const CdiEdits& other);
};

struct CdiDevice {
  std::string name; // the part after '='
  CdiEdits edits;
};

// One parsed spec file.
struct CdiSpec {
  std::string file;
  std::string version; // cdiVersion, e.g. "0.6.0"
  std::string kind;    // "vendor.com/class"
  CdiEdits edits;      // applied once when any of its devices is requested
  std::vector<CdiDevice> devices;
};

// Parses the spec in `text` read from `file` (YAML unless `file` ends in ".json").
// `corrupt_input` naming `file` for malformed JSON/YAML, a missing or mistyped field, an
// invalid kind or device name, or an edit the declared cdiVersion does not have yet;
// `unsupported` for a cdiVersion outside 0.3.0 - 0.8.0.
Result<CdiSpec> parse_cdi_spec(std::string_view text, const std::string& file);

// Every spec file (*.json, *.yaml, *.yml) of `dirs`, indexed by fully-qualified device
// name. A device defined in two directories is taken from the later one; defined twice
// in the same directory it is a conflict, reported when the device is requested.
struct CdiRegistry {
  struct Entry {
    std::size_t spec = 0;             // index into `specs`
    std::size_t device = 0;           // index into specs[spec].devices
    std::size_t dir = 0;              // index into `dirs`
    std::vector<std::string> clashes; // other files defining it in the same directory
  };
  std::vector<std::string> dirs;
  std::vector<CdiSpec> specs;
  std::map<std::string, Entry> devices;
};

// Reads the specs of `dirs` (missing directories are skipped). Errors as parse_cdi_spec
// for any spec file, `io` for an unreadable directory or file.
Result<CdiRegistry> load_cdi_registry(const std::vector<std::string>& dirs);

// True when `kind` is "vendor/class": a vendor made of letters, digits, '-', '_' and '.'
// (starting with a letter, ending with a letter or digit) and a class of the same shape.
bool valid_cdi_kind(std::string_view kind);

// True when `name` is a device name: letters, digits, '-', '_', '.' and ':', starting and
// ending with a letter or digit.
bool valid_cdi_device_name(std::string_view name);

// Splits a comma-separated list of device names and checks each is fully qualified
// ("vendor.com/class=name"). `usage` naming the first malformed name.
Result<std::vector<std::string>> parse_cdi_device_list(std::string_view list);

// The edits for the devices `names` (fully qualified; "vendor.com/class=all" means every
// device of that kind unless the kind defines a device named "all"): for each spec, its
// own edits once, then each requested device's edits, in request order. `usage` for a
// malformed name, `not_found` naming a device no spec defines and the directories
// searched, `conflict` naming both files for a device defined twice in one directory.
Result<CdiEdits> resolve_cdi_devices(const CdiRegistry& registry,
                                     const std::vector<std::string>& names);

// How device nodes reach the container.
enum class DeviceNodeMode {
  create, // linux.devices entries: the runtime makes the nodes (needs real root)
  bind,   // bind mounts of the host nodes: in a user namespace, where mknod is refused
};

// Applies `edits` to the config.json `spec` as the CDI reference library does: device
// nodes (type, major, minor and mode taken from the host node when the spec leaves them
// out) to linux.devices or, with DeviceNodeMode::bind, as binds of the host nodes, plus a
// device cgroup allow rule each, appended to linux.resources.devices; mounts appended
// (replacing a mount at the same destination);
// env into process.env (replacing the same name); hooks appended to hooks.<name>;
// additional gids merged into process.user.additionalGids. `not_found` for a host device
// node that does not exist, `usage` for a node that is no device or whose type differs
// from the spec's, `unsupported` for edits listed in `edits.unsupported`.
Result<void> apply_cdi_edits(const CdiEdits& edits, nlohmann::json& spec,
                             DeviceNodeMode mode = DeviceNodeMode::create);

} // namespace sifkit::runtime
