#include "fuse_mount.h"

#include <common/file.h>
#include <common/process.h>
#include <common/program.h>

#include <algorithm>
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
constexpr auto k_first_poll = std::chrono::microseconds(250);

// Pauses between looks at something that usually happens within a millisecond or two
// (a daemon's mount appearing, its exit after an unmount): from k_first_poll, doubling
// up to k_poll, so a quick event is seen quickly without spinning on a slow one.
class PollPause {
public:
  void wait() {
    std::this_thread::sleep_for(m_next);
    m_next = std::min<std::chrono::microseconds>(m_next * 2, k_poll);
  }

private:
  std::chrono::microseconds m_next = k_first_poll;
};

// A FUSE daemon or fusermount: its own session (terminal signals go to the caller, which
// unmounts in order), nothing on stdin and stdout.
SpawnOptions fuse_options() {
  SpawnOptions options;
  options.in = Redirect::null();
  options.out = Redirect::null();
  options.group = ProcessGroup::new_session;
  return options;
}

} // namespace

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
  SpawnOptions options = fuse_options();
  options.err = Redirect::to(log);
  if (lifetime == FuseLifetime::with_caller) {
    options.child_setup = [parent = ::getpid()] {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      return ::getppid() == parent ? 0 : 127; // 127: the parent died before prctl took effect
    };
  }
  SIFKIT_TRY_ASSIGN(auto child, spawn(argv, options));
  auto deadline = Clock::now() + k_mount_timeout;
  PollPause pause;
  while (true) {
    if (auto status = child.try_wait()) {
      std::string message = read_program_messages(log);
      return fail(ErrorKind::io, fmt::format("{} {}{}", argv[0], status->describe(),
                                             message.empty() ? "" : ": " + message));
    }
    struct stat now {};
    if (::stat(target.c_str(), &now) == 0 && now.st_dev != before.st_dev) {
      return static_cast<int>(child.release());
    }
    if (Clock::now() > deadline) {
      child = Child();                       // killed and reaped
      ::umount2(target.c_str(), MNT_DETACH); // in case it mounted just now; else EINVAL
      std::string message = read_program_messages(log);
      return fail(ErrorKind::io,
                  fmt::format("{} did not mount {} within {} s{}", argv[0], target,
                              k_mount_timeout.count(), message.empty() ? "" : ": " + message));
    }
    pause.wait();
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
  PollPause pause;
  while (Clock::now() < deadline) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return; // our child, exited and now reaped
    }
    if (done < 0 && errno == ECHILD && !is_running_fuse_daemon(pid)) {
      return; // not our child (another process mounted), and gone
    }
    pause.wait();
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
    SIFKIT_TRY_ASSIGN(auto status, run_to_exit({*program, "-q", mode, target}, fuse_options()));
    if (status.success()) {
      return {};
    }
  }
  return fail(ErrorKind::io, "fusermount could not unmount " + target);
}

} // namespace sifkit::runtime
