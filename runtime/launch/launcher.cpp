#include <common/file.h>
#include <common/process.h>
#include <common/program.h>
#include <runtime/launch/forwarded_signals.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

#include "launch.h"
#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

bool g_blocked = false;

// Starts `args` with our stdio, or /dev/null for it when `quiet`; `own_group`: in a new
// process group.
Result<Child> start(const std::vector<std::string>& args, bool own_group, bool quiet) {
  SpawnOptions options;
  if (quiet) {
    options.in = Redirect::null();
    options.out = Redirect::null();
    options.err = Redirect::null();
  }
  options.group = own_group ? ProcessGroup::own : ProcessGroup::inherit;
  return sifkit::spawn(args, options);
}

void send_signal(const Launch& launch, int signal) {
  auto child = start(
      {launch.runtime.path, "--root", launch.state_dir, "kill", launch.id, std::to_string(signal)},
      true, true);
  if (child) {
    (void)child->wait();
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

sigset_t forwarded_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : k_forwarded_signals) {
    sigaddset(&set, s);
  }
  return set;
}

Result<OciRuntime> select_runtime(const std::optional<std::string>& requested,
                                  const CgroupInfo& cgroups,
                                  const std::function<void(std::string_view)>& note) {
  auto problem = crun_cgroup_problem(cgroups);
  if (requested && !requested->empty()) {
    auto path = find_program(*requested);
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
  auto crun = find_program("crun");
  if (crun && !problem) {
    return OciRuntime{"crun", *crun};
  }
  if (auto runc = find_program("runc"); runc) {
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
  sigset_t set = forwarded_signal_set();
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  g_blocked = true;
}

bool forwarded_signal_pending(int& signal) {
  sigset_t pending;
  sigpending(&pending);
  for (int s : k_forwarded_signals) {
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
  SIFKIT_TRY_ASSIGN(auto child, start(args, !launch.terminal, false));
  sigset_t wait_set = forwarded_signal_set();
  sigaddset(&wait_set, SIGCHLD);
  int interrupts = 0;
  ExitStatus status;
  for (;;) {
    if (auto done = child.try_wait()) {
      status = *done;
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
  int code = status.shell_code();
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
    if (auto child = start(args, true, true); child) {
      (void)child->wait();
    }
  }
}

} // namespace sifkit::runtime
