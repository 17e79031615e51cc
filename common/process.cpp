#include "process.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sifkit {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

// The lowest descriptor the child closes: past the standard streams and the passed ones.
int first_closed(const SpawnOptions& options) {
  int first = 3;
  for (const PassedFd& passed : options.pass) {
    first = std::max(first, passed.as + 1);
  }
  return first;
}

// Where the descriptors a child gets wait while they are put in place: above every source
// and target, so that placing one never overwrites another still to be placed (41 passed
// on as 40 and 40 as 41, or the caller's stdin passed on as 3 while stdin becomes
// /dev/null). Planned before the fork: the child allocates nothing.
struct Staging {
  std::array<int, 3> streams{-1, -1, -1}; // for the standard streams taken from a descriptor
  std::vector<int> passed;                // one per SpawnOptions::pass entry
  int end = 3;                            // above every staged descriptor
};

Staging plan_staging(const SpawnOptions& options) {
  const std::array<const Redirect*, 3> streams{&options.in, &options.out, &options.err};
  int top = 2;
  for (const Redirect* stream : streams) {
    if (stream->kind() == Redirect::Kind::fd) {
      top = std::max(top, stream->fd());
    }
  }
  for (const PassedFd& passed : options.pass) {
    top = std::max({top, passed.fd, passed.as});
  }
  Staging staging;
  int next = top + 1;
  for (std::size_t stream = 0; stream < streams.size(); ++stream) {
    if (streams[stream]->kind() == Redirect::Kind::fd) {
      staging.streams[stream] = next++;
    }
  }
  for (std::size_t i = 0; i < options.pass.size(); ++i) {
    staging.passed.push_back(next++);
  }
  staging.end = next;
  return staging;
}

Result<void> check_request(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty() || argv[0].empty()) {
    return fail(ErrorKind::usage, "no program to start");
  }
  for (const Redirect* stream : {&options.in, &options.out, &options.err}) {
    if (stream->kind() == Redirect::Kind::capture) {
      return fail(ErrorKind::usage, "a captured stream needs run_captured, not spawn");
    }
  }
  for (const PassedFd& passed : options.pass) {
    if (passed.as < 3 || passed.fd < 0) {
      return fail(ErrorKind::usage,
                  fmt::format("cannot pass descriptor {} on as {}", passed.fd, passed.as));
    }
  }
  return {};
}

std::unexpected<Error> start_failure(const std::string& program, int error) {
  return fail_errno("starting " + program, error);
}

int stream_flags(int stream) {
  return stream == STDIN_FILENO ? O_RDONLY : O_WRONLY;
}

class SpawnAttributes {
public:
  explicit SpawnAttributes(ProcessGroup group) {
    posix_spawnattr_init(&m_attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&m_attr, &none);
    // Every bit set, not sigfillset: that leaves out glibc's two internal signals, which
    // posix_spawn would then hand to the program ignored.
    sigset_t all;
    std::memset(&all, 0xff, sizeof all);
    posix_spawnattr_setsigdefault(&m_attr, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (group == ProcessGroup::own) {
      flags |= POSIX_SPAWN_SETPGROUP;
      posix_spawnattr_setpgroup(&m_attr, 0);
    } else if (group == ProcessGroup::new_session) {
      flags |= POSIX_SPAWN_SETSID;
    }
    posix_spawnattr_setflags(&m_attr, flags);
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&m_attr); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  const posix_spawnattr_t* get() const { return &m_attr; }

private:
  posix_spawnattr_t m_attr;
};

class FileActions {
public:
  FileActions() { posix_spawn_file_actions_init(&m_actions); }
  ~FileActions() { posix_spawn_file_actions_destroy(&m_actions); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &m_actions; }

private:
  posix_spawn_file_actions_t m_actions;
};

Result<pid_t> spawn_posix(const std::vector<std::string>& argv, const SpawnOptions& options,
                          char** envp) {
  FileActions actions;
  const std::array<const Redirect*, 3> streams{&options.in, &options.out, &options.err};
  Staging staging = plan_staging(options);
  for (int stream = 0; stream < 3; ++stream) {
    if (streams[static_cast<std::size_t>(stream)]->kind() == Redirect::Kind::fd) {
      posix_spawn_file_actions_adddup2(actions.get(),
                                       streams[static_cast<std::size_t>(stream)]->fd(),
                                       staging.streams[static_cast<std::size_t>(stream)]);
    }
  }
  for (std::size_t i = 0; i < options.pass.size(); ++i) {
    posix_spawn_file_actions_adddup2(actions.get(), options.pass[i].fd, staging.passed[i]);
  }
  for (int stream = 0; stream < 3; ++stream) {
    const Redirect& redirect = *streams[static_cast<std::size_t>(stream)];
    if (redirect.kind() == Redirect::Kind::null) {
      posix_spawn_file_actions_addopen(actions.get(), stream, "/dev/null", stream_flags(stream), 0);
    } else if (redirect.kind() == Redirect::Kind::fd) {
      posix_spawn_file_actions_adddup2(actions.get(),
                                       staging.streams[static_cast<std::size_t>(stream)], stream);
    }
  }
  for (std::size_t i = 0; i < options.pass.size(); ++i) {
    posix_spawn_file_actions_adddup2(actions.get(), staging.passed[i], options.pass[i].as);
  }
  // The staged copies are above first_closed: closed here too.
  posix_spawn_file_actions_addclosefrom_np(actions.get(), first_closed(options));
  SpawnAttributes attributes(options.group);
  auto args = c_strings(argv);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0], actions.get(), attributes.get(), args.data(), envp);
  if (rc != 0) {
    return start_failure(argv[0], rc);
  }
  return pid;
}

// Puts the caller's `fd` at `stream` in the child, close-on-exec cleared.
void place(int fd, int target) {
  if (fd == target) {
    ::fcntl(fd, F_SETFD, 0);
  } else {
    ::dup2(fd, target);
  }
}

// Marks every descriptor from `first` close-on-exec (they close at exec; the setup step
// may still use them).
void close_at_exec_from(int first) {
  if (::close_range(static_cast<unsigned>(first), ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
    return;
  }
  rlimit limit{};
  rlim_t last = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : 1024;
  last = std::min<rlim_t>(last, 1 << 20);
  for (rlim_t fd = static_cast<rlim_t>(first); fd < last; ++fd) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  }
}

// The forked child: only async-signal-safe calls from here to exec.
[[noreturn]] void exec_forked(const SpawnOptions& options, const Staging& staging, char** args,
                              char** envp, int report) {
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; ++signal) {
    ::sigaction(signal, &defaults, nullptr); // fails harmlessly for SIGKILL, SIGSTOP
  }
  if (options.group == ProcessGroup::own) {
    ::setpgid(0, 0);
  } else if (options.group == ProcessGroup::new_session) {
    ::setsid();
  }
  int first = first_closed(options);
  // The error report must survive the descriptors staged and placed below it.
  int moved = ::fcntl(report, F_DUPFD_CLOEXEC, staging.end);
  report = moved >= 0 ? moved : report;
  const std::array<const Redirect*, 3> streams{&options.in, &options.out, &options.err};
  for (std::size_t stream = 0; stream < streams.size(); ++stream) {
    if (streams[stream]->kind() == Redirect::Kind::fd) {
      ::dup2(streams[stream]->fd(), staging.streams[stream]);
    }
  }
  for (std::size_t i = 0; i < options.pass.size(); ++i) {
    ::dup2(options.pass[i].fd, staging.passed[i]);
  }
  for (int stream = 0; stream < 3; ++stream) {
    const Redirect& redirect = *streams[static_cast<std::size_t>(stream)];
    if (redirect.kind() == Redirect::Kind::null) {
      int null = ::open("/dev/null", stream_flags(stream) | O_CLOEXEC);
      if (null >= 0) {
        place(null, stream);
      }
    } else if (redirect.kind() == Redirect::Kind::fd) {
      place(staging.streams[static_cast<std::size_t>(stream)], stream);
    }
  }
  for (std::size_t i = 0; i < options.pass.size(); ++i) {
    place(staging.passed[i], options.pass[i].as);
  }
  // The staged copies lie at or above `first`: closed at exec.
  close_at_exec_from(first);
  if (int code = options.child_setup(); code != 0) {
    ::_exit(code);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(args[0], args, envp);
  int error = errno;
  while (::write(report, &error, sizeof error) < 0 && errno == EINTR) {
  }
  ::_exit(127);
}

Result<pid_t> spawn_forked(const std::vector<std::string>& argv, const SpawnOptions& options,
                           char** envp) {
  SIFKIT_TRY_ASSIGN(auto report, make_pipe());
  auto args = c_strings(argv);
  Staging staging = plan_staging(options);
  // Signals stay blocked across fork so that no handler of ours runs in the child.
  sigset_t all;
  sigset_t original;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &original);
  pid_t pid = ::fork();
  int fork_error = errno;
  if (pid == 0) {
    report.read.reset();
    exec_forked(options, staging, args.data(), envp, report.write.get());
  }
  ::pthread_sigmask(SIG_SETMASK, &original, nullptr);
  if (pid < 0) {
    return start_failure(argv[0], fork_error);
  }
  report.write.reset();
  int error = 0;
  ssize_t got = 0;
  while ((got = ::read(report.read.get(), &error, sizeof error)) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof error)) {
    Child failed(pid);
    (void)failed.wait();
    return start_failure(argv[0], error);
  }
  return pid;
}

} // namespace

bool ExitStatus::success() const {
  return exited() && code() == 0;
}

bool ExitStatus::exited() const {
  return WIFEXITED(raw);
}

int ExitStatus::code() const {
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

int ExitStatus::signal() const {
  return WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
}

int ExitStatus::shell_code() const {
  return WIFSIGNALED(raw) ? 128 + WTERMSIG(raw) : WEXITSTATUS(raw);
}

std::string ExitStatus::describe() const {
  if (WIFEXITED(raw)) {
    return fmt::format("exited with status {}", WEXITSTATUS(raw));
  }
  if (WIFSIGNALED(raw)) {
    return fmt::format("was killed by signal {}", WTERMSIG(raw));
  }
  return "stopped";
}

Child::~Child() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    (void)wait();
  }
}

Child::Child(Child&& other) noexcept : m_pid(std::exchange(other.m_pid, -1)) {}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    Child dropped(std::exchange(m_pid, std::exchange(other.m_pid, -1)));
  }
  return *this;
}

Result<ExitStatus> Child::wait() {
  if (m_pid <= 0) {
    return fail(ErrorKind::internal, "no child process to wait for");
  }
  int status = 0;
  while (::waitpid(m_pid, &status, 0) < 0) {
    if (errno != EINTR) {
      int error = errno;
      pid_t pid = std::exchange(m_pid, -1);
      return fail_errno(fmt::format("waiting for process {}", pid), error);
    }
  }
  m_pid = -1;
  return ExitStatus{status};
}

std::optional<ExitStatus> Child::try_wait() {
  if (m_pid <= 0) {
    return std::nullopt;
  }
  int status = 0;
  pid_t done = ::waitpid(m_pid, &status, WNOHANG);
  if (done == m_pid) {
    m_pid = -1;
    return ExitStatus{status};
  }
  if (done < 0 && errno != EINTR) {
    m_pid = -1; // not ours to wait for any more (SIGCHLD ignored): reported as killed
    return ExitStatus{SIGKILL};
  }
  return std::nullopt;
}

void Child::kill(int signal) const {
  if (m_pid > 0) {
    ::kill(m_pid, signal);
  }
}

pid_t Child::release() {
  return std::exchange(m_pid, -1);
}

Result<Child> spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  SIFKIT_TRY(check_request(argv, options));
  std::vector<char*> env_strings;
  char** envp = environ;
  if (options.env) {
    env_strings = c_strings(*options.env);
    envp = env_strings.data();
  }
  SIFKIT_TRY_ASSIGN(auto pid, options.child_setup ? spawn_forked(argv, options, envp)
                                                  : spawn_posix(argv, options, envp));
  return Child(pid);
}

Result<ExitStatus> run_to_exit(const std::vector<std::string>& argv, const SpawnOptions& options) {
  SIFKIT_TRY_ASSIGN(auto child, spawn(argv, options));
  return child.wait();
}

std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    env.emplace_back(*entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

} // namespace sifkit
