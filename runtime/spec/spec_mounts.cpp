#include <common/in_root.h>
#include <runtime/spec/spec_parts.h>

#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace sifkit::runtime::detail {

nlohmann::json mount_entry(const std::string& destination, const std::string& type,
                           const std::string& source, std::vector<std::string> options) {
  return {{"destination", destination},
          {"type", type},
          {"source", source},
          {"options", std::move(options)}};
}

namespace {

std::string size_option(const RunOptions& options) {
  return fmt::format("size={}m", options.tmpfs_size_mb);
}

// True when the image's /var/tmp resolves (inside the image) to its /tmp.
Result<bool> var_tmp_is_tmp(const std::string& rootfs) {
  SIFKIT_TRY_ASSIGN(auto root, open_directory(rootfs));
  SIFKIT_TRY_ASSIGN(auto resolved, resolve_in_root(root, "/var/tmp"));
  return resolved == "/tmp";
}

void add_system_mounts(const SpecInputs& inputs, nlohmann::json& mounts) {
  const RunOptions& options = *inputs.options;
  // Only a runtime outside any user namespace may mount sysfs and cgroupfs: in one of its
  // own (a plain account, root with -u) the host's /sys is bound instead.
  const bool root = inputs.host->uid == 0 && !runtime_user_namespace(options);
  if (!options.no_mount.contains("proc")) {
    mounts.push_back(mount_entry("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  }
  if (!options.no_mount.contains("sys")) {
    mounts.push_back(
        root ? mount_entry("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"})
             : mount_entry("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
    // The container's own cgroups, read-only, so that it can read its limits. Only as
    // root: the unprivileged /sys bind already carries the host's /sys/fs/cgroup, and a
    // rootless runtime has no cgroup of its own to show.
    if (root) {
      mounts.push_back(mount_entry("/sys/fs/cgroup", "cgroup", "cgroup",
                                   {"nosuid", "noexec", "nodev", "relatime", "ro"}));
    }
  }
  mounts.push_back(mount_entry("/dev", "tmpfs", "tmpfs",
                               {"nosuid", "strictatime", "mode=755", size_option(options)}));
  if (!options.no_mount.contains("devpts")) {
    std::vector<std::string> pts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                    "mode=0620"};
    if (root) {
      pts.push_back("gid=5");
    }
    mounts.push_back(mount_entry("/dev/pts", "devpts", "devpts", std::move(pts)));
  }
  mounts.push_back(mount_entry("/dev/shm", "tmpfs", "shm",
                               {"nosuid", "noexec", "nodev", "mode=1777", size_option(options)}));
  mounts.push_back(mount_entry("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
}

Result<void> add_tmp_mounts(const SpecInputs& inputs, const std::optional<File>& workdir,
                            nlohmann::json& mounts) {
  const RunOptions& options = *inputs.options;
  if (options.no_mount.contains("tmp")) {
    return {};
  }
  std::vector<std::pair<std::string, std::string>> dirs = {{"/tmp", "tmp"}};
  SIFKIT_TRY_ASSIGN(auto shared, var_tmp_is_tmp(inputs.rootfs));
  if (!shared) {
    dirs.emplace_back("/var/tmp", "var_tmp");
  }
  for (const auto& [destination, workdir_name] : dirs) {
    if (workdir) {
      SIFKIT_TRY_ASSIGN(auto source, workdir_subdir(*workdir, workdir_name, 01777));
      mounts.push_back(mount_entry(destination, "bind", source, {"rbind", "nosuid", "nodev"}));
    } else {
      mounts.push_back(mount_entry(destination, "tmpfs", "tmpfs",
                                   {"nosuid", "relatime", "mode=1777", size_option(options)}));
    }
  }
  return {};
}

void add_home_mount(const SpecInputs& inputs, const TargetUser& user, nlohmann::json& mounts) {
  const RunOptions& options = *inputs.options;
  switch (user.home_mode) {
  case HomeMode::automatic:
    mounts.push_back(mount_entry(user.home, "bind", user.home, {"rbind", "nosuid", "nodev"}));
    break;
  case HomeMode::bind:
    mounts.push_back(
        mount_entry(user.home, "bind", options.home_source, {"rbind", "nosuid", "nodev"}));
    break;
  case HomeMode::tmpfs: {
    std::vector<std::string> tmpfs = {"nosuid", "relatime", "mode=755", size_option(options)};
    if (user.uid != 0) {
      tmpfs.push_back(fmt::format("uid={}", user.uid));
      tmpfs.push_back(fmt::format("gid={}", user.gid));
    }
    mounts.push_back(mount_entry(user.home, "tmpfs", "tmpfs", std::move(tmpfs)));
    break;
  }
  case HomeMode::none:
    break;
  }
}

Result<void> add_scratch_mounts(const SpecInputs& inputs, const std::optional<File>& workdir,
                                nlohmann::json& mounts) {
  const RunOptions& options = *inputs.options;
  for (const std::string& dir : options.scratch) {
    if (dir.empty() || dir.front() != '/') {
      return fail(ErrorKind::usage,
                  fmt::format("--scratch '{}' must be an absolute container path", dir));
    }
    std::string destination = fs::path(dir).lexically_normal().string();
    if (workdir) {
      SIFKIT_TRY_ASSIGN(auto source, workdir_subdir(*workdir, "scratch" + destination, 0755));
      mounts.push_back(mount_entry(destination, "bind", source, {"rbind", "nosuid", "nodev"}));
    } else {
      mounts.push_back(mount_entry(destination, "tmpfs", "tmpfs",
                                   {"relatime", "nodev", "nosuid", size_option(options)}));
    }
  }
  return {};
}

Result<void> add_user_binds(const SpecInputs& inputs, nlohmann::json& mounts) {
  for (const BindMount& bind : inputs.options->binds) {
    if (bind.destination.empty() || bind.destination.front() != '/') {
      return fail(ErrorKind::usage,
                  fmt::format("the bind destination '{}' must be absolute", bind.destination));
    }
    std::error_code ec;
    if (bind.source.empty() || bind.source.front() != '/' || !fs::exists(bind.source, ec)) {
      return fail(
          ErrorKind::usage,
          fmt::format("the bind source '{}' does not exist (or is not absolute)", bind.source));
    }
    std::vector<std::string> bind_options = {"rbind", "nosuid", "nodev"};
    if (bind.read_only) {
      bind_options.push_back("ro");
    }
    mounts.push_back(mount_entry(bind.destination, "bind", bind.source, std::move(bind_options)));
  }
  return {};
}

} // namespace

Result<nlohmann::json> build_mounts(const SpecInputs& inputs, const TargetUser& user) {
  nlohmann::json mounts = nlohmann::json::array();
  add_system_mounts(inputs, mounts);
  std::optional<File> workdir;
  if (inputs.options->workdir) {
    SIFKIT_TRY_ASSIGN(auto opened, open_workdir(inputs));
    workdir = std::move(opened);
  }
  SIFKIT_TRY(add_tmp_mounts(inputs, workdir, mounts));
  add_home_mount(inputs, user, mounts);
  SIFKIT_TRY(add_scratch_mounts(inputs, workdir, mounts));
  SIFKIT_TRY(add_user_binds(inputs, mounts));
  SIFKIT_TRY(add_file_mounts(inputs, user, mounts));
  return mounts;
}

} // namespace sifkit::runtime::detail
