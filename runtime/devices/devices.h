#pragma once

// The public header of runtime/devices/. Devices for the container: --device requests, CDI
// specifications and GPUs.
//
// Other rooms of runtime/ and the tools include only this header of the room; the
// other headers in the folder are internal to it.
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

// Devices a user asks for: GPUs (--nv, --rocm) and CDI devices (--device, --cdi-dirs),
// before they become binds, device nodes, env and hooks in the config (CDI and GPUs,
// below).

struct DeviceOptions {
  bool nv = false;                   // --nv: the NVIDIA driver's libraries, tools, devices
  bool rocm = false;                 // --rocm: the same for AMD
  std::vector<std::string> cdi;      // --device vendor.com/class=name, in order
  std::vector<std::string> cdi_dirs; // --cdi-dirs; empty: /etc/cdi, /var/run/cdi
};

// The Container Device Interface (CDI, cdiVersion 0.3.0 to 0.8.0): spec files read from
// the CDI directories, fully-qualified device names ("vendor.com/class=name") resolved
// to the container edits they ask for, and those edits applied to a config.json.

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

// GPU driver discovery for --nv and --rocm, as SingularityCE's nvliblist.conf and
// rocmliblist.conf drive it: the driver's libraries (from `ldconfig -p`, else the usual
// library directories), its tools (from PATH), its device nodes and IPC sockets, and the
// binds that make them visible in the container.

// Where host libraries named by SIFKIT_CONTAINLIBS are bound; appended to LD_LIBRARY_PATH.
inline constexpr std::string_view k_container_libs_dir = "/.sifkit.d/libs";

enum class GpuVendor {
  nvidia, // --nv
  amd,    // --rocm
};

// What discovery looks at. probe_gpu_host() describes this machine; tests describe a
// synthetic driver tree.
struct GpuHost {
  std::string root = "/"; // prefix of every host path looked at (ldconfig's, PATH's, /dev)
  std::string ldconfig;   // the output of `ldconfig -p`; empty when it could not run
  std::string abi;        // the ldconfig tag of native libraries ("x86-64"); empty: any
  std::string path;       // PATH: where the tools are looked for
  std::vector<std::string> lib_dirs; // where libraries are looked for when ldconfig lacks them
};

// One line of `ldconfig -p`: "libcuda.so.1 (libc6,x86-64) => /usr/lib/.../libcuda.so.1".
struct LdconfigEntry {
  std::string name;  // libcuda.so.1
  std::string flags; // libc6,x86-64
  std::string path;  // /usr/lib/x86_64-linux-gnu/libcuda.so.1
};

// The entries of `ldconfig -p` output `text` (the header and malformed lines skipped).
std::vector<LdconfigEntry> parse_ldconfig(std::string_view text);

// True when ldconfig flags `flags` (e.g. "libc6,x86-64, OS ABI: Linux 3.2.0") carry the
// tag `abi`; any flags match an empty `abi`.
bool ldconfig_abi_matches(std::string_view flags, std::string_view abi);

// One host file and where it appears in the container.
struct GpuBind {
  std::string source;      // on the host (under GpuHost::root)
  std::string destination; // in the container
};

// What --nv or --rocm binds.
struct GpuFiles {
  std::vector<GpuBind> libraries; // at /.sifkit.d/libs/<name> (on LD_LIBRARY_PATH)
  std::vector<GpuBind> binaries;  // at /usr/bin/<name>
  std::vector<GpuBind> devices;   // device nodes and directories of them, at their own path
  std::vector<GpuBind> ipc;       // sockets, at their own path
};

// The library names (".so" prefixes) and tool names of `vendor`'s driver.
const std::vector<std::string>& gpu_library_names(GpuVendor vendor);
const std::vector<std::string>& gpu_binary_names(GpuVendor vendor);

// Finds `vendor`'s files on `host`: each library name's ldconfig entries of the native
// ABI (every "NAME" and "NAME.*" soname), else the files of that name in `host.lib_dirs`;
// the first executable of each tool name in PATH; /dev/nvidia* (--nv) or /dev/kfd and
// /dev/dri (--rocm); the nvidia-persistenced socket. Files that do not exist are left
// out; so is a second library with a name already taken. Never fails.
GpuFiles find_gpu_files(GpuVendor vendor, const GpuHost& host);

// This machine: `ldconfig -p` (an empty listing when it cannot run), its ABI tag, PATH
// `path` and the usual library directories.
GpuHost probe_gpu_host(const std::string& path);

// Appends read-only binds of `files` to spec["mounts"] (skipping destinations already
// mounted), and a device cgroup allow rule for each character or block device among the
// device binds to spec["linux"]["resources"]["devices"].
void add_gpu_binds(const GpuFiles& files, nlohmann::json& spec);

// "--nv" / "--rocm".
std::string_view gpu_flag(GpuVendor vendor);

} // namespace sifkit::runtime
