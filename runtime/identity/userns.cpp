#include <common/file.h>
#include <common/process.h>
#include <common/program.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "identity.h"
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <grp.h>
#include <nlohmann/json.hpp>
#include <pwd.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

// In the helper: the exit code of `child` once it ends (127: it could not start).
int exit_code_of(Result<Child>& child) {
  if (!child) {
    return 127;
  }
  auto status = child->wait();
  return status && status->exited() ? status->code() : 127;
}

// The helper, outside the namespace: waits until the parent has unshared (one byte on
// `go`; end of file means the parent gave up), then maps it, newuidmap and newgidmap
// running side by side (each writes a map of its own). Its exit code says which failed.
[[noreturn]] void map_from_helper(int go, int log, const std::vector<std::string>& uid_args,
                                  const std::vector<std::string>& gid_args) {
  ::dup2(log, 2);
  char byte = 0;
  if (::read(go, &byte, 1) != 1) {
    ::_exit(0);
  }
  auto uids = spawn(uid_args);
  auto gids = spawn(gid_args);
  int uid_code = exit_code_of(uids);
  int gid_code = exit_code_of(gids);
  ::_exit(uid_code != 0 ? 1 : gid_code != 0 ? 2 : 0);
}

std::string read_log(int fd) {
  std::string text;
  char buffer[2048];
  ssize_t got = 0;
  std::int64_t offset = 0;
  while ((got = ::pread(fd, buffer, sizeof buffer, offset)) > 0 && text.size() < 8192) {
    text.append(buffer, static_cast<std::size_t>(got));
    offset += got;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

Result<void> unshare_failure(int error) {
  if (error == EPERM || error == ENOSPC || error == EUSERS) {
    return fail(
        ErrorKind::unsupported,
        fmt::format("cannot create a user namespace to run without root ({}): user namespaces "
                    "are disabled or exhausted for this user (check "
                    "/proc/sys/user/max_user_namespaces and, where it exists, "
                    "/proc/sys/kernel/unprivileged_userns_clone or AppArmor's "
                    "kernel.apparmor_restrict_unprivileged_userns)",
                    std::strerror(error)));
  }
  if (error == EINVAL) {
    return fail(ErrorKind::internal,
                "cannot create a user namespace to run without root: the process has more than one "
                "thread");
  }
  return fail_errno("creating a user namespace to run without root", error);
}

// Maps this process through newuidmap/newgidmap run by a helper forked before unshare.
Result<void> unshare_with_helpers(const FakerootPlan& plan, const FakerootSources& sources) {
  std::string pid = std::to_string(::getpid());
  std::vector<std::string> uid_args = {sources.newuidmap, pid};
  std::vector<std::string> gid_args = {sources.newgidmap, pid};
  for (auto& arg : map_arguments(plan.uids)) {
    uid_args.push_back(std::move(arg));
  }
  for (auto& arg : map_arguments(plan.gids)) {
    gid_args.push_back(std::move(arg));
  }
  int log = ::memfd_create("newuidmap-stderr", MFD_CLOEXEC);
  if (log < 0) {
    return fail_errno("creating a buffer for newuidmap's messages", errno);
  }
  File log_file = File::adopt(log, "newuidmap-stderr");
  SIFKIT_TRY_ASSIGN(auto go, with_context(make_pipe(), "starting newuidmap"));
  // A forked helper rather than a spawned program: it must exist before unshare (a
  // process inside the new namespace cannot map itself) and run two programs after it.
  pid_t forked = ::fork();
  if (forked < 0) {
    return fail_errno("starting the newuidmap helper", errno);
  }
  if (forked == 0) {
    go.write.reset();
    map_from_helper(go.read.get(), log, uid_args, gid_args);
  }
  Child helper(forked);
  go.read.reset();
  int unshared = ::unshare(CLONE_NEWUSER | CLONE_NEWNS);
  int unshare_error = errno;
  if (unshared == 0 && ::write(go.write.get(), "x", 1) != 1) {
    unshare_error = errno;
    unshared = -1;
  }
  go.write.reset();
  auto waited = helper.wait();
  if (unshared != 0) {
    return unshare_failure(unshare_error);
  }
  ExitStatus status = waited ? *waited : ExitStatus{SIGKILL};
  if (!status.success()) {
    bool uids = status.code() == 1;
    std::string message = read_log(log);
    return fail(ErrorKind::io,
                fmt::format("{} could not map the user namespace's {} ({}){}",
                            uids ? "newuidmap" : "newgidmap", uids ? "uids" : "gids",
                            fmt::join(map_arguments(uids ? plan.uids : plan.gids), " "),
                            message.empty() ? "" : ": " + message));
  }
  return {};
}

// Maps this process's own ids only: a process may write that map itself once it has
// denied setgroups.
Result<void> unshare_single_mapping(const FakerootPlan& plan) {
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
    return unshare_failure(errno);
  }
  const std::pair<const char*, std::string> writes[] = {
      {"/proc/self/setgroups", "deny\n"},
      {"/proc/self/uid_map", map_text(plan.uids)},
      {"/proc/self/gid_map", map_text(plan.gids)},
  };
  for (const auto& [path, text] : writes) {
    UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
    bool ok =
        fd && ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
    int error = errno;
    if (!ok) {
      return fail_errno(fmt::format("writing '{}' to {}", text.substr(0, text.size() - 1), path),
                        error);
    }
  }
  return {};
}

// The account's name for the subid files; empty when the host's passwd lacks it.
std::string user_name(uid_t uid) {
  const passwd* entry = ::getpwuid(uid);
  return entry != nullptr && entry->pw_name != nullptr ? entry->pw_name : "";
}

std::string group_name(gid_t gid) {
  const group* entry = ::getgrgid(gid);
  return entry != nullptr && entry->gr_name != nullptr ? entry->gr_name : "";
}

} // namespace

Result<void> enter_user_namespace(const FakerootPlan& plan, const FakerootSources& sources) {
  SIFKIT_TRY(plan.use_helpers ? unshare_with_helpers(plan, sources) : unshare_single_mapping(plan));
  // Our ids are now 0 there; drop the supplementary groups (unmapped, shown as
  // nogroup) where setgroups is allowed, and make the change explicit for every id.
  (void)::setgroups(0, nullptr);
  if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0) {
    return fail_errno("becoming root in the user namespace", errno);
  }
  // A mount namespace made in a less privileged user namespace already receives host
  // mounts as slaves; saying so keeps our mounts from ever travelling back.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    return fail_errno("making the user namespace's mounts slaves of the host's", errno);
  }
  return {};
}

bool is_initial_uid_map(std::string_view uid_map) {
  std::string words;
  std::size_t start = uid_map.find_first_not_of(" \t\n");
  while (start != std::string_view::npos) {
    std::size_t end = uid_map.find_first_of(" \t\n", start);
    words += std::string(uid_map.substr(start, end - start)) + " ";
    start = end == std::string_view::npos ? end : uid_map.find_first_not_of(" \t\n", end);
  }
  return words == "0 0 4294967295 ";
}

bool in_user_namespace() {
  constexpr std::size_t k_max_id_map = std::size_t{64} << 10;
  auto map = read_file("/proc/self/uid_map", k_max_id_map);
  return map && !is_initial_uid_map(*map);
}

Result<CallerNamespace> plan_caller_namespace() {
  SIFKIT_TRY(check_user_namespaces(UsernsSysctls{}, Privilege::unprivileged));
  FakerootSources sources;
  if (auto found = find_program("newuidmap")) {
    sources.newuidmap = *found;
  }
  if (auto found = find_program("newgidmap")) {
    sources.newgidmap = *found;
  }
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  SIFKIT_TRY_ASSIGN(auto plan,
                    plan_fakeroot(SubidOwner{user_name(uid), uid}, gid, group_name(gid), sources));
  return CallerNamespace{std::move(plan), std::move(sources)};
}

namespace {

bool maps_id(const std::vector<IdMapEntry>& map, std::uint32_t id) {
  return std::any_of(map.begin(), map.end(), [id](const IdMapEntry& entry) {
    return id >= entry.inside && id - entry.inside < entry.count;
  });
}

nlohmann::json map_json(const std::vector<IdMapEntry>& map) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& entry : map) {
    out.push_back(
        {{"containerID", entry.inside}, {"hostID", entry.outside}, {"size", entry.count}});
  }
  return out;
}

} // namespace

Result<void> map_container_to_caller(nlohmann::json& spec, const FakerootPlan& plan,
                                     std::uint32_t caller_uid, std::uint32_t caller_gid,
                                     const std::string& runtime_name) {
  auto& linux_part = spec["linux"];
  auto& namespaces = linux_part["namespaces"];
  bool have_user = std::any_of(namespaces.begin(), namespaces.end(),
                               [](const auto& ns) { return ns.value("type", "") == "user"; });
  if (!have_user) {
    namespaces.push_back({{"type", "user"}});
  }
  auto& user = spec["process"]["user"];
  // With the caller's ids alone there is nothing to shift the image's ids into: the
  // container's user (the image's USER, or the caller) becomes the caller.
  if (plan.uids.size() == 1) {
    caller_uid = user.value("uid", caller_uid);
    if (runtime_name == "runc" && caller_uid != 0) {
      return fail(ErrorKind::unsupported,
                  fmt::format("runc cannot run the container as uid {} with only your own uid "
                              "mapped (it needs a root mapping): ask for a range in /etc/subuid "
                              "and /etc/subgid (usermod --add-subuids/--add-subgids), or use "
                              "--runtime crun",
                              caller_uid));
    }
  }
  if (plan.gids.size() == 1) {
    caller_gid = user.value("gid", caller_gid);
  }
  auto uids = caller_map_inside(caller_uid, plan.uids);
  auto gids = caller_map_inside(caller_gid, plan.gids);
  linux_part["uidMappings"] = map_json(uids);
  linux_part["gidMappings"] = map_json(gids);
  if (user.contains("additionalGids")) {
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& gid : user["additionalGids"]) {
      if (maps_id(gids, gid.get<std::uint32_t>())) {
        kept.push_back(gid);
      }
    }
    user["additionalGids"] = std::move(kept);
  }
  return {};
}

} // namespace sifkit::runtime
