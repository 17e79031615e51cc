#include "child_process.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sifkit::runtime {

namespace {

constexpr std::array k_forwarded{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

// Attributes for a program that should start as if from a shell: nothing blocked, the
// signals we may have blocked or ignored back to their defaults.
class SpawnAttributes {
public:
  explicit SpawnAttributes(short extra_flags) {
    posix_spawnattr_init(&m_attr);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&m_attr, &empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : k_forwarded) {
      sigaddset(&defaults, s);
    }
    sigaddset(&defaults, SIGCHLD);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&m_attr, &defaults);
    posix_spawnattr_setflags(
        &m_attr, static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | extra_flags));
    posix_spawnattr_setpgroup(&m_attr, 0);
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

Result<pid_t> spawn(const std::vector<std::string>& args, FileActions& actions,
                    const SpawnAttributes& attributes, char** env) {
  auto argv = c_strings(args);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], actions.get(), attributes.get(), argv.data(), env);
  if (rc != 0) {
    return fail_errno("starting " + args[0], rc);
  }
  return pid;
}

int status_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

// Reads `out_fd` and `err_fd` to their ends.
void drain(int out_fd, int err_fd, Captured& captured) {
  std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
  std::array<std::string*, 2> sinks{&captured.out, &captured.err};
  int open = 2;
  char buffer[4096];
  while (open > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

} // namespace

int wait_exit_status(int pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return 128 + SIGKILL;
    }
  }
  return status_code(status);
}

Result<Captured> run_captured(const std::vector<std::string>& args) {
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return fail_errno("creating a pipe", errno);
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int error = errno;
    ::close(out[0]);
    ::close(out[1]);
    return fail_errno("creating a pipe", error);
  }
  FileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), out[1], 1);
  posix_spawn_file_actions_adddup2(actions.get(), err[1], 2);
  SpawnAttributes attributes(POSIX_SPAWN_SETPGROUP);
  auto pid = spawn(args, actions, attributes, environ);
  ::close(out[1]);
  ::close(err[1]);
  Captured captured;
  if (pid) {
    drain(out[0], err[0], captured);
  }
  ::close(out[0]);
  ::close(err[0]);
  if (!pid) {
    return std::unexpected(pid.error());
  }
  captured.status = wait_exit_status(*pid);
  return captured;
}

Result<int> run_foreground(const std::vector<std::string>& args) {
  // With a terminal the child stays in our process group so that it may read from it;
  // the terminal then signals it directly (^C, ^\), and we forward only the others.
  bool terminal = ::isatty(STDIN_FILENO) == 1;
  sigset_t forwarded;
  sigemptyset(&forwarded);
  for (int s : k_forwarded) {
    sigaddset(&forwarded, s);
  }
  sigaddset(&forwarded, SIGCHLD);
  sigset_t original;
  sigprocmask(SIG_BLOCK, &forwarded, &original);
  FileActions actions;
  SpawnAttributes attributes(terminal ? 0 : POSIX_SPAWN_SETPGROUP);
  auto pid = spawn(args, actions, attributes, environ);
  if (!pid) {
    sigprocmask(SIG_SETMASK, &original, nullptr);
    return std::unexpected(pid.error());
  }
  int status = 0;
  for (;;) {
    if (::waitpid(*pid, &status, WNOHANG) == *pid) {
      break;
    }
    timespec timeout{1, 0};
    int signal = sigtimedwait(&forwarded, nullptr, &timeout);
    if (signal <= 0 || signal == SIGCHLD) {
      continue;
    }
    if (!terminal || (signal != SIGINT && signal != SIGQUIT)) {
      ::kill(*pid, signal);
    }
  }
  sigprocmask(SIG_SETMASK, &original, nullptr);
  return status_code(status);
}

Result<int> spawn_detached(const DetachedSpawn& request) {
  FileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(actions.get(), 1, request.output.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(actions.get(), 1, 2);
  if (request.inherit_fd) {
    // glibc clears close-on-exec when the descriptor already is 3.
    posix_spawn_file_actions_adddup2(actions.get(), *request.inherit_fd, 3);
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    env.emplace_back(*e);
  }
  env.insert(env.end(), request.env.begin(), request.env.end());
  auto envp = c_strings(env);
  SpawnAttributes attributes(POSIX_SPAWN_SETSID);
  auto pid = spawn(request.args, actions, attributes, envp.data());
  if (!pid) {
    return std::unexpected(pid.error());
  }
  return static_cast<int>(*pid);
}

std::string output_summary(const Captured& captured) {
  const std::string& text = captured.err.empty() ? captured.out : captured.err;
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? end : end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.pop_back();
    }
    if (!line.empty()) {
      out += (out.empty() ? "" : "; ") + line;
    }
  }
  if (out.size() > 400) {
    out = out.substr(0, 400) + "...";
  }
  return out;
}

} // namespace sifkit::runtime
