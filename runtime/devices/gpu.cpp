// GPU driver discovery (--nv, --rocm) and the binds it produces.
#include <common/process.h>
#include <common/text.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "devices.h"
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace sifkit::runtime {

namespace {

// The driver files SingularityCE's nvliblist.conf and rocmliblist.conf name: user-space
// driver libraries only, never CUDA/ROCm toolkits, which belong in the image.
const std::vector<std::string> k_nvidia_libraries = {
    "libcuda.so",
    "libcudadebugger.so",
    "libEGL_nvidia.so",
    "libGLESv1_CM_nvidia.so",
    "libGLESv2_nvidia.so",
    "libGLX_nvidia.so",
    "libnvcuvid.so",
    "libnvidia-allocator.so",
    "libnvidia-cfg.so",
    "libnvidia-eglcore.so",
    "libnvidia-encode.so",
    "libnvidia-fbc.so",
    "libnvidia-glcore.so",
    "libnvidia-glsi.so",
    "libnvidia-glvkspirv.so",
    "libnvidia-gpucomp.so",
    "libnvidia-ml.so",
    "libnvidia-ngx.so",
    "libnvidia-nvvm.so",
    "libnvidia-opencl.so",
    "libnvidia-opticalflow.so",
    "libnvidia-pkcs11.so",
    "libnvidia-ptxjitcompiler.so",
    "libnvidia-rtcore.so",
    "libnvidia-tls.so",
    "libnvoptix.so",
    "libvdpau_nvidia.so",
};
const std::vector<std::string> k_nvidia_binaries = {
    "nvidia-smi",
    "nvidia-debugdump",
    "nvidia-persistenced",
    "nvidia-cuda-mps-control",
    "nvidia-cuda-mps-server",
};
const std::vector<std::string> k_amd_libraries = {
    "libamd_comgr.so",     "libamdhip64.so", "libdrm.so",        "libdrm_amdgpu.so",
    "libhsa-runtime64.so", "libhsakmt.so",   "librocm_smi64.so", "libamdocl64.so",
    "libOpenCL.so",        "libnuma.so",     "libelf.so",        "librocprofiler-register.so",
};
const std::vector<std::string> k_amd_binaries = {"rocm-smi", "rocminfo"};

const std::vector<std::string> k_bind_ro = {"bind", "nosuid", "nodev", "ro"};
// Device nodes must stay usable: no nodev, and writable.
const std::vector<std::string> k_bind_device = {"bind", "nosuid"};
const std::vector<std::string> k_bind_socket = {"bind", "nosuid", "nodev"};

// `path` (absolute on the host) under `root`.
std::string under(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") {
    return path;
  }
  return (fs::path(root) / fs::path(path).relative_path()).string();
}

bool exists_as_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// "libcuda.so" stands for libcuda.so and libcuda.so.<anything>.
bool library_matches(std::string_view file, std::string_view name) {
  return file == name || (file.starts_with(name) && file[name.size()] == '.');
}

void add_library(std::vector<GpuBind>& out, std::set<std::string>& names, const std::string& file,
                 const std::string& source) {
  if (exists_as_file(source) && names.insert(file).second) {
    out.push_back({source, std::string(k_container_libs_dir) + "/" + file});
  }
}

std::vector<GpuBind> find_libraries(GpuVendor vendor, const GpuHost& host) {
  std::vector<LdconfigEntry> entries = parse_ldconfig(host.ldconfig);
  std::vector<GpuBind> out;
  std::set<std::string> names;
  for (const std::string& name : gpu_library_names(vendor)) {
    std::size_t before = out.size();
    for (const LdconfigEntry& entry : entries) {
      if (library_matches(entry.name, name) && ldconfig_abi_matches(entry.flags, host.abi)) {
        add_library(out, names, entry.name, under(host.root, entry.path));
      }
    }
    if (out.size() != before) {
      continue;
    }
    for (const std::string& dir : host.lib_dirs) {
      std::error_code ec;
      std::vector<std::string> files;
      for (const auto& item : fs::directory_iterator(under(host.root, dir), ec)) {
        if (library_matches(item.path().filename().string(), name)) {
          files.push_back(item.path().filename().string());
        }
      }
      std::sort(files.begin(), files.end());
      for (const std::string& file : files) {
        add_library(out, names, file, under(host.root, dir + "/" + file));
      }
    }
  }
  return out;
}

std::vector<GpuBind> find_binaries(GpuVendor vendor, const GpuHost& host) {
  std::vector<std::string> dirs;
  std::istringstream path(host.path);
  for (std::string dir; std::getline(path, dir, ':');) {
    if (dir.starts_with("/")) {
      dirs.push_back(dir);
    }
  }
  if (vendor == GpuVendor::amd) {
    dirs.push_back("/opt/rocm/bin");
  }
  std::vector<GpuBind> out;
  for (const std::string& name : gpu_binary_names(vendor)) {
    for (const std::string& dir : dirs) {
      std::string source = under(host.root, dir + "/" + name);
      if (exists_as_file(source) && ::access(source.c_str(), X_OK) == 0) {
        out.push_back({source, "/usr/bin/" + name});
        break;
      }
    }
  }
  return out;
}

std::vector<GpuBind> find_devices(GpuVendor vendor, const GpuHost& host) {
  std::vector<std::string> paths;
  if (vendor == GpuVendor::nvidia) {
    std::error_code ec;
    for (const auto& item : fs::directory_iterator(under(host.root, "/dev"), ec)) {
      std::string name = item.path().filename().string();
      if (name.starts_with("nvidia")) {
        paths.push_back("/dev/" + name);
      }
    }
    std::sort(paths.begin(), paths.end());
  } else {
    for (const char* path : {"/dev/kfd", "/dev/dri"}) {
      std::error_code ec;
      if (fs::exists(under(host.root, path), ec)) {
        paths.push_back(path);
      }
    }
  }
  std::vector<GpuBind> out;
  for (const std::string& path : paths) {
    out.push_back({under(host.root, path), path});
  }
  return out;
}

std::vector<GpuBind> find_ipc(GpuVendor vendor, const GpuHost& host) {
  std::vector<GpuBind> out;
  if (vendor == GpuVendor::nvidia) {
    const std::string socket = "/var/run/nvidia-persistenced/socket";
    std::error_code ec;
    if (fs::is_socket(under(host.root, socket), ec)) {
      out.push_back({under(host.root, socket), socket});
    }
  }
  return out;
}

// Runs `argv` and returns its standard output; nullopt when it cannot run or fails.
std::optional<std::string> capture(const std::vector<std::string>& argv) {
  SpawnOptions options = capture_options();
  options.in = Redirect::inherit();
  options.err = Redirect::null();
  auto captured = run_captured(argv, options);
  if (!captured || !captured->status.success()) {
    return std::nullopt;
  }
  return std::move(captured->out);
}

std::string native_abi() {
  struct utsname name {};
  ::uname(&name);
  std::string machine = name.machine;
  if (machine == "x86_64") {
    return "x86-64";
  }
  if (machine == "aarch64") {
    return "AArch64";
  }
  return machine.ends_with("64") || machine == "s390x" ? "64bit" : "";
}

} // namespace

std::vector<LdconfigEntry> parse_ldconfig(std::string_view text) {
  std::vector<LdconfigEntry> out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    std::size_t open = line.find(" (");
    std::size_t close = line.find(") => ", open == std::string::npos ? 0 : open);
    if (open == std::string::npos || close == std::string::npos) {
      continue;
    }
    LdconfigEntry entry{std::string(trim_space(std::string_view(line).substr(0, open))),
                        line.substr(open + 2, close - open - 2),
                        std::string(trim_space(line.substr(close + 5)))};
    if (!entry.name.empty() && entry.path.starts_with("/")) {
      out.push_back(std::move(entry));
    }
  }
  return out;
}

bool ldconfig_abi_matches(std::string_view flags, std::string_view abi) {
  if (abi.empty()) {
    return true;
  }
  std::istringstream in{std::string(flags)};
  for (std::string token; std::getline(in, token, ',');) {
    if (trim_space(token) == abi) {
      return true;
    }
  }
  return false;
}

const std::vector<std::string>& gpu_library_names(GpuVendor vendor) {
  return vendor == GpuVendor::nvidia ? k_nvidia_libraries : k_amd_libraries;
}

const std::vector<std::string>& gpu_binary_names(GpuVendor vendor) {
  return vendor == GpuVendor::nvidia ? k_nvidia_binaries : k_amd_binaries;
}

GpuFiles find_gpu_files(GpuVendor vendor, const GpuHost& host) {
  return {find_libraries(vendor, host), find_binaries(vendor, host), find_devices(vendor, host),
          find_ipc(vendor, host)};
}

GpuHost probe_gpu_host(const std::string& path) {
  GpuHost host;
  for (const char* ldconfig : {"/sbin/ldconfig", "/usr/sbin/ldconfig"}) {
    if (auto out = capture({ldconfig, "-p"})) {
      host.ldconfig = std::move(*out);
      break;
    }
  }
  host.abi = native_abi();
  host.path = path;
  struct utsname name {};
  ::uname(&name);
  std::string machine = name.machine;
  host.lib_dirs = {"/usr/lib/" + machine + "-linux-gnu",
                   "/usr/lib64",
                   "/usr/lib64/nvidia",
                   "/usr/lib/nvidia",
                   "/usr/local/nvidia/lib64",
                   "/opt/rocm/lib",
                   "/opt/rocm/lib64",
                   "/usr/lib"};
  return host;
}

void add_gpu_binds(const GpuFiles& files, nlohmann::json& spec) {
  nlohmann::json& mounts = spec["mounts"];
  std::set<std::string> mounted;
  for (const auto& mount : mounts) {
    mounted.insert(mount.value("destination", ""));
  }
  auto bind = [&](const GpuBind& item, const std::vector<std::string>& options) {
    if (!mounted.insert(item.destination).second) {
      return false;
    }
    mounts.push_back({{"destination", item.destination},
                      {"type", "bind"},
                      {"source", item.source},
                      {"options", options}});
    return true;
  };
  for (const auto& item : files.libraries) {
    bind(item, k_bind_ro);
  }
  for (const auto& item : files.binaries) {
    bind(item, k_bind_ro);
  }
  for (const auto& item : files.ipc) {
    bind(item, k_bind_socket);
  }
  std::set<std::pair<bool, dev_t>> allowed;
  auto allow = [&spec, &allowed](const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) &&
        allowed.insert({S_ISCHR(st.st_mode), st.st_rdev}).second) {
      nlohmann::json& rules = spec["linux"]["resources"]["devices"];
      if (!rules.is_array()) {
        rules = nlohmann::json::array(); // another part fills resources first: only append
      }
      rules.push_back({{"allow", true},
                       {"type", S_ISCHR(st.st_mode) ? "c" : "b"},
                       {"major", major(st.st_rdev)},
                       {"minor", minor(st.st_rdev)},
                       {"access", "rwm"}});
    }
  };
  for (const auto& item : files.devices) {
    if (!bind(item, k_bind_device)) {
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(item.source, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(item.source, ec)) {
        allow(entry.path().string());
      }
    } else {
      allow(item.source);
    }
  }
}

std::string_view gpu_flag(GpuVendor vendor) {
  return vendor == GpuVendor::nvidia ? "--nv" : "--rocm";
}

} // namespace sifkit::runtime
