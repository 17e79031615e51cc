#include <common/file.h>
#include <runtime/cgroup/cgroup.h>
#include <runtime/oci/oci_conmon.h>
#include <runtime/session/session.h>

#include <cerrno>
#include <filesystem>

#include "oci.h"
#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

std::string oci_dir(const std::string& root) {
  return root + "/oci";
}

// Serialises the creates under `root`/oci, so that the check that a bundle is free and
// the claim of an id happen together.
Result<UniqueFd> lock_creates(const std::string& dir) {
  std::string path = dir + "/.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) {
    return fail_errno("opening " + path, errno);
  }
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return fail_errno("locking " + path, errno);
    }
  }
  return fd;
}

nlohmann::json record_json(const OciContainer& c) {
  return {{"id", c.handle.id},
          {"bundle", c.handle.bundle},
          {"runtime", c.handle.runtime.name},
          {"runtime_path", c.handle.runtime.path},
          {"runtime_root", c.handle.runtime_root},
          {"log_path", c.log_path},
          {"pid_file", c.pid_file}};
}

Result<OciContainer> read_record(const std::string& state_dir) {
  constexpr std::size_t k_max_record = std::size_t{1} << 20;
  SIFKIT_TRY_ASSIGN(auto text, read_file(state_dir + "/container.json", k_max_record));
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object()) {
    return fail(ErrorKind::corrupt_input, state_dir + "/container.json is not a JSON object");
  }
  OciContainer c;
  c.handle = {json.value("id", ""),
              {json.value("runtime", ""), json.value("runtime_path", "")},
              json.value("runtime_root", ""),
              json.value("bundle", "")};
  c.state_dir = state_dir;
  c.log_path = json.value("log_path", "");
  c.pid_file = json.value("pid_file", "");
  return c;
}

void remove_state(const std::string& state_dir) {
  std::error_code ignored;
  std::filesystem::remove_all(state_dir, ignored);
}

Result<OciContainer> prepare(const OciCreateRequest& request, const std::string& root) {
  SIFKIT_TRY_ASSIGN(auto bundle,
                    with_context(real_path(request.bundle), "bundle " + request.bundle));
  SIFKIT_TRY_ASSIGN(auto cgroups, detect_cgroups());
  SIFKIT_TRY_ASSIGN(auto runtime, select_runtime(request.runtime, cgroups));
  OciContainer c;
  c.state_dir = oci_dir(root) + "/" + request.id;
  c.handle = {request.id, runtime, runtime_state_dir(root, runtime.name), bundle};
  // conmon and the runtime run elsewhere: relative paths are the caller's.
  c.log_path = std::filesystem::absolute(request.log_path.value_or(c.state_dir + "/container.log"));
  c.pid_file = std::filesystem::absolute(request.pid_file.value_or(c.state_dir + "/container.pid"));
  SIFKIT_TRY(make_private_dirs(c.handle.runtime_root));
  return c;
}

// Claims the id (its record directory) under the create lock.
Result<void> claim(const OciContainer& c) {
  struct stat st {};
  if (::lstat(c.state_dir.c_str(), &st) == 0) {
    return fail(ErrorKind::conflict, fmt::format("container {} already exists (sif-run oci "
                                                 "delete {} removes it)",
                                                 c.handle.id, c.handle.id));
  }
  if (container_exists(c.handle)) {
    return fail(ErrorKind::conflict,
                fmt::format("{} already has a container {}", c.handle.runtime.name, c.handle.id));
  }
  if (auto user = oci_container_of_bundle(c.handle.bundle); user) {
    return fail(ErrorKind::conflict,
                fmt::format("the bundle {} is in use by container {}", c.handle.bundle, *user));
  }
  if (::mkdir(c.state_dir.c_str(), 0700) != 0) {
    return fail_errno("creating " + c.state_dir, errno);
  }
  SIFKIT_TRY(make_private_dirs(c.state_dir + "/exits"));
  return write_file_atomic(c.state_dir + "/container.json", record_json(c).dump(2) + "\n",
                           Durability::unsynced);
}

Result<OciContainer> create(const OciCreateRequest& request) {
  if (!valid_container_name(request.id)) {
    return fail(ErrorKind::usage, "invalid container id " + request.id +
                                      " (letters, digits and _.+- , starting with a letter or "
                                      "digit)");
  }
  SIFKIT_TRY_ASSIGN(auto root, state_root());
  auto c = prepare(request, root);
  if (!c) {
    return std::unexpected(c.error());
  }
  SIFKIT_TRY_ASSIGN(auto config, read_bundle_config(c->handle.bundle));
  SIFKIT_TRY(make_private_dirs(oci_dir(root)));
  SIFKIT_TRY_ASSIGN(auto lock, lock_creates(oci_dir(root))); // held until the container is created
  if (auto claimed = claim(*c); !claimed) {
    if (claimed.error().kind() != ErrorKind::conflict) {
      remove_state(c->state_dir);
    }
    return std::unexpected(claimed.error());
  }
  bool terminal = config.value("/process/terminal"_json_pointer, false);
  auto pid = start_conmon(*c, terminal);
  if (!pid) {
    if (container_exists(c->handle)) {
      force_delete_container(c->handle.runtime, c->handle.runtime_root, c->handle.id);
    }
    wait_for_conmon(c->state_dir);
    remove_conmon_files(c->handle.bundle);
    remove_state(c->state_dir);
    return std::unexpected(pid.error());
  }
  c->pid = *pid;
  return c;
}

} // namespace

std::optional<std::string> oci_container_of_bundle(const std::string& bundle) {
  auto root = state_root();
  if (!root) {
    return std::nullopt;
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(oci_dir(*root), ec)) {
    auto record = read_record(entry.path().string());
    if (record && record->handle.bundle == bundle) {
      return record->handle.id;
    }
  }
  return std::nullopt;
}

Result<OciContainer> oci_create(const OciCreateRequest& request) {
  return with_context(create(request), "creating container " + request.id);
}

Result<OciContainer> oci_find(const std::string& id) {
  if (!valid_container_name(id)) {
    return fail(ErrorKind::not_found, "no container " + id);
  }
  SIFKIT_TRY_ASSIGN(auto root, state_root());
  auto record = read_record(oci_dir(root) + "/" + id);
  if (!record && record.error().kind() == ErrorKind::not_found) {
    return fail(ErrorKind::not_found,
                "no container " + id + " (sif-run oci create makes one; it may have been deleted)");
  }
  return record;
}

Result<void> oci_delete(const std::string& id, bool force) {
  SIFKIT_TRY_ASSIGN(auto c, oci_find(id));
  if (container_exists(c.handle)) {
    if (!force) {
      SIFKIT_TRY_ASSIGN(auto status, container_status(c.handle));
      if (status != "stopped") {
        return fail(
            ErrorKind::conflict,
            fmt::format("container {} is {}: kill it first, or delete --force", id, status));
      }
    }
    std::vector<std::string> args{"delete"};
    if (force) {
      args.emplace_back("--force");
    }
    args.push_back(id);
    if (auto deleted = runtime_verb(c.handle, args);
        !deleted && deleted.error().kind() != ErrorKind::not_found) {
      return std::unexpected(deleted.error());
    }
  }
  wait_for_conmon(c.state_dir);
  remove_conmon_files(c.handle.bundle);
  remove_state(c.state_dir);
  return {};
}

} // namespace sifkit::runtime
