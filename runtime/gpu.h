#pragma once

// GPU driver discovery for --nv and --rocm, as SingularityCE's nvliblist.conf and
// rocmliblist.conf drive it: the driver's libraries (from `ldconfig -p`, else the usual
// library directories), its tools (from PATH), its device nodes and IPC sockets, and the
// binds that make them visible in the container.
#include <common/error.h>

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

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
