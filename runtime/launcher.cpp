#include "launcher.h"

#include <common/file.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sifkit::runtime {

namespace {

constexpr std::array k_forwarded{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

sigset_t g_original_mask;
bool g_blocked = false;

sigset_t forwarded_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : k_forwarded) {
    sigaddset(&set, s);
  }
  return set;
}

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Spawns `args` with the signal mask and dispositions a fresh program expects; stdio
// inherited unless `quiet` (then /dev/null). `own_group`: in a new process group.
Result<pid_t> spawn(const std::vector<std::string>& args, bool own_group, bool quiet) {
  std::vector<char*> argv;
  for (const auto& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (own_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, 0);
  }
  posix_spawnattr_setflags(&attr, flags);
  sigset_t mask;
  if (g_blocked) {
    mask = g_original_mask;
  } else {
    sigprocmask(SIG_SETMASK, nullptr, &mask);
  }
  sigdelset(&mask, SIGCHLD);
  for (int s : k_forwarded) {
    sigdelset(&mask, s);
  }
  posix_spawnattr_setsigmask(&attr, &mask);
  sigset_t defaults = forwarded_set();
  sigaddset(&defaults, SIGCHLD);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return fail_errno("starting " + args[0], rc);
  }
  return pid;
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int exit_status(int status) {
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return WEXITSTATUS(status);
}

void send_signal(const Launch& launch, int signal) {
  auto pid = spawn(
      {launch.runtime.path, "--root", launch.state_dir, "kill", launch.id, std::to_string(signal)},
      true, true);
  if (pid) {
    wait_status(*pid);
  }
}

// The runtime's own error messages from its JSON log (one object per line).
std::string runtime_errors(const std::string& log_file) {
  constexpr std::size_t k_max_runtime_log = std::size_t{4} << 20;
  auto text = read_file(log_file, k_max_runtime_log);
  if (!text) {
    return {};
  }
  std::string out;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_object() || entry.value("level", "") != "error") {
      continue;
    }
    std::string msg = entry.value("msg", "");
    if (!msg.empty()) {
      out += (out.empty() ? "" : "; ") + msg;
    }
  }
  return out;
}

} // namespace

std::optional<std::string> find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return is_executable(name) ? std::optional(name) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = std::string(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin") +
                     ":/usr/local/sbin:/usr/sbin:/sbin";
  std::istringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ':');) {
    if (!dir.empty() && dir[0] == '/' && is_executable(dir + "/" + name)) {
      return dir + "/" + name;
    }
  }
  return std::nullopt;
}

Result<OciRuntime> select_runtime(const std::optional<std::string>& requested,
                                  const CgroupInfo& cgroups,
                                  const std::function<void(std::string_view)>& note) {
  auto problem = crun_cgroup_problem(cgroups);
  if (requested && !requested->empty()) {
    auto path = find_executable(*requested);
    if (!path) {
      return fail(ErrorKind::not_found,
                  fmt::format("--runtime {}: not found (install Debian's {} package, or give "
                              "the runtime's path)",
                              *requested,
                              requested->find('/') == std::string::npos
                                  ? *requested
                                  : std::string("crun or runc")));
    }
    std::string name = path->substr(path->rfind('/') + 1);
    if (name == "crun" && problem) {
      return fail(ErrorKind::unsupported, *problem);
    }
    return OciRuntime{name, *path};
  }
  auto crun = find_executable("crun");
  if (crun && !problem) {
    return OciRuntime{"crun", *crun};
  }
  if (auto runc = find_executable("runc"); runc) {
    if (crun && note) {
      note("using runc: crun cannot run containers on this host's hybrid cgroups (see "
           "--runtime crun for what to change)");
    }
    return OciRuntime{"runc", *runc};
  }
  if (crun) {
    return fail(ErrorKind::unsupported, *problem + " (runc, which copes, is not installed)");
  }
  return fail(ErrorKind::not_found, "no OCI runtime: install crun or runc");
}

void block_forwarded_signals() {
  if (g_blocked) {
    return;
  }
  sigset_t set = forwarded_set();
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, &g_original_mask);
  g_blocked = true;
}

bool forwarded_signal_pending(int& signal) {
  sigset_t pending;
  sigpending(&pending);
  for (int s : k_forwarded) {
    if (sigismember(&pending, s)) {
      signal = s;
      return true;
    }
  }
  return false;
}

Result<int> run_runtime(const Launch& launch) {
  block_forwarded_signals();
  std::vector<std::string> args{launch.runtime.path, "--root", launch.state_dir};
  if (!launch.log_file.empty()) {
    args.insert(args.end(), {"--log", launch.log_file, "--log-format", "json"});
  }
  args.insert(args.end(), {"run", "--bundle", launch.bundle, launch.id});
  auto pid = spawn(args, !launch.terminal, false);
  if (!pid) {
    return std::unexpected(pid.error());
  }
  sigset_t wait_set = forwarded_set();
  sigaddset(&wait_set, SIGCHLD);
  int interrupts = 0;
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(*pid, &status, WNOHANG);
    if (done == *pid) {
      break;
    }
    timespec timeout{1, 0};
    int signal = sigtimedwait(&wait_set, nullptr, &timeout);
    if (signal <= 0 || signal == SIGCHLD) {
      continue;
    }
    if (signal == SIGINT || signal == SIGTERM) {
      // A container whose first process ignores the signal would never stop: the third
      // request kills it.
      signal = ++interrupts >= 3 ? SIGKILL : signal;
    }
    send_signal(launch, signal);
  }
  int code = exit_status(status);
  if (code != 0 && !launch.log_file.empty()) {
    if (auto errors = runtime_errors(launch.log_file); !errors.empty()) {
      return fail(ErrorKind::io,
                  fmt::format("{} could not run the container: {}", launch.runtime.name, errors));
    }
  }
  return code;
}

void force_delete_container(const OciRuntime& runtime, const std::string& state_dir,
                            const std::string& id) {
  for (auto verb : {std::vector<std::string>{"kill", id, "KILL"},
                    std::vector<std::string>{"delete", "--force", id}}) {
    std::vector<std::string> args{runtime.path, "--root", state_dir};
    args.insert(args.end(), verb.begin(), verb.end());
    if (auto pid = spawn(args, true, true); pid) {
      wait_status(*pid);
    }
  }
}

} // namespace sifkit::runtime
