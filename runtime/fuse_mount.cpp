#include "fuse_mount.h"

#include <common/file.h>
#include <common/program.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto k_mount_timeout = std::chrono::seconds(5);
constexpr auto k_exit_timeout = std::chrono::seconds(2);
constexpr auto k_poll = std::chrono::milliseconds(10);

// Everything the child needs, prepared before fork: after it only async-signal-safe calls.
struct ChildSetup {
  std::vector<std::string> argv;
  int stderr_fd = -1;
  bool die_with_parent = false;
  pid_t parent = 0;
};

[[noreturn]] void exec_child(const ChildSetup& setup, char* const* argv) {
  if (setup.die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != setup.parent) {
      ::_exit(127); // the parent died before prctl took effect
    }
  }
  ::setsid(); // terminal signals go to the caller, which unmounts in order
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
  }
  if (setup.stderr_fd >= 0) {
    ::dup2(setup.stderr_fd, 2);
  }
  ::execv(argv[0], argv);
  ::_exit(127);
}

// Starts `setup.argv` as a child; returns its pid.
Result<pid_t> spawn(const ChildSetup& setup) {
  std::vector<char*> argv;
  for (const auto& arg : setup.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    return fail_errno("starting " + setup.argv[0], errno);
  }
  if (pid == 0) {
    exec_child(setup, argv.data());
  }
  return pid;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) {
    return fmt::format("exited with status {}", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return fmt::format("was killed by signal {}", WTERMSIG(status));
  }
  return "stopped";
}

// Runs `argv` to completion; returns its wait status.
Result<int> run_to_completion(const std::vector<std::string>& argv) {
  ChildSetup setup{argv, -1, false, ::getpid()};
  auto pid = spawn(setup);
  if (!pid) {
    return std::unexpected(pid.error());
  }
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return fail_errno("waiting for " + argv[0], errno);
    }
  }
  return status;
}

} // namespace

Result<std::string> find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) {
      end = dirs.size();
    }
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
    start = end + 1;
  }
  return fail(ErrorKind::not_found, name + " is not on PATH");
}

Result<std::string> find_squashfuse() {
  if (::access("/dev/fuse", F_OK) != 0) {
    return fail(ErrorKind::unsupported,
                "/dev/fuse is missing: load the fuse module (or, in a container, pass the "
                "device in) to mount images with squashfuse");
  }
  if (::geteuid() != 0 && ::access("/dev/fuse", R_OK | W_OK) != 0) {
    // libfuse opens /dev/fuse itself before calling fusermount3: a 0600 node stops it.
    return fail(ErrorKind::unsupported,
                "/dev/fuse cannot be opened by uid " + std::to_string(::geteuid()) +
                    " (distributions make it mode 0666): squashfuse needs it without root");
  }
  for (const char* name : {"squashfuse_ll", "squashfuse"}) {
    if (auto found = find_program(name)) {
      return found;
    }
  }
  return fail(ErrorKind::unsupported,
              "no squashfuse_ll or squashfuse on PATH: install Debian's squashfuse");
}

Result<std::string> find_fuse_overlayfs() {
  if (auto found = find_program("fuse-overlayfs")) {
    return found;
  }
  return fail(ErrorKind::unsupported,
              "fuse-overlayfs is not on PATH: install Debian's fuse-overlayfs (needed to stack "
              "layers or add a writable overlay without root)");
}

Result<int> start_fuse_daemon(const std::vector<std::string>& argv, const std::string& target,
                              FuseLifetime lifetime) {
  struct stat before {};
  if (::stat(target.c_str(), &before) != 0) {
    return fail_errno(target, errno);
  }
  int log = ::memfd_create("fuse-stderr", MFD_CLOEXEC);
  if (log < 0) {
    return fail_errno("creating a buffer for " + argv[0] + "'s messages", errno);
  }
  File log_file = File::adopt(log, "fuse-stderr");
  ChildSetup setup{argv, log, lifetime == FuseLifetime::with_caller, ::getpid()};
  auto pid = spawn(setup);
  if (!pid) {
    return std::unexpected(pid.error());
  }
  auto deadline = Clock::now() + k_mount_timeout;
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(*pid, &status, WNOHANG);
    if (done == *pid) {
      std::string message = read_program_messages(log);
      return fail(ErrorKind::io, fmt::format("{} {}{}", argv[0], describe_exit(status),
                                             message.empty() ? "" : ": " + message));
    }
    struct stat now {};
    if (::stat(target.c_str(), &now) == 0 && now.st_dev != before.st_dev) {
      return static_cast<int>(*pid);
    }
    if (Clock::now() > deadline) {
      ::kill(*pid, SIGKILL);
      ::waitpid(*pid, &status, 0);
      ::umount2(target.c_str(), MNT_DETACH); // in case it mounted just now; else EINVAL
      std::string message = read_program_messages(log);
      return fail(ErrorKind::io,
                  fmt::format("{} did not mount {} within {} s{}", argv[0], target,
                              k_mount_timeout.count(), message.empty() ? "" : ": " + message));
    }
    std::this_thread::sleep_for(k_poll);
  }
}

bool is_running_fuse_daemon(int pid) {
  if (pid <= 0) {
    return false;
  }
  auto comm = read_file(fmt::format("/proc/{}/comm", pid));
  auto stat = read_file(fmt::format("/proc/{}/stat", pid));
  if (!comm || !stat) {
    return false;
  }
  // stat is "pid (comm) S ...": the state follows the last ')'.
  auto close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] == 'Z' ||
      (*stat)[close + 2] == 'X') {
    return false;
  }
  std::string name = comm->substr(0, comm->find('\n'));
  return name == "squashfuse" || name == "squashfuse_ll" || name == "fuse-overlayfs" ||
         name == "fuse2fs";
}

void stop_fuse_daemon(int pid) {
  if (pid <= 0) {
    return;
  }
  auto deadline = Clock::now() + k_exit_timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return; // our child, exited and now reaped
    }
    if (done < 0 && errno == ECHILD && !is_running_fuse_daemon(pid)) {
      return; // not our child (another process mounted), and gone
    }
    std::this_thread::sleep_for(k_poll);
  }
  if (is_running_fuse_daemon(pid)) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0); // reaps it when it is our child; ECHILD otherwise
  }
}

Result<void> fusermount_unmount(const std::string& target) {
  auto program = find_program("fusermount3");
  if (!program) {
    program = find_program("fusermount");
  }
  if (!program) {
    return fail(ErrorKind::unsupported,
                "no fusermount3 or fusermount on PATH to unmount " + target + ": install fuse3");
  }
  for (const char* mode : {"-u", "-uz"}) {
    auto status = run_to_completion({*program, "-q", mode, target});
    if (!status) {
      return std::unexpected(status.error());
    }
    if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) {
      return {};
    }
  }
  return fail(ErrorKind::io, "fusermount could not unmount " + target);
}

} // namespace sifkit::runtime
