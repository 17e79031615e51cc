#include <runtime/launch/forwarded_signals.h>

#include <array>
#include <cerrno>
#include <csignal>

#include "launch.h"
#include <fcntl.h>
#include <unistd.h>

namespace sifkit::runtime {

Result<Captured> run_captured(const std::vector<std::string>& args) {
  SpawnOptions options = capture_options();
  options.group = ProcessGroup::own;
  SIFKIT_TRY_ASSIGN(auto captured, sifkit::run_captured(args, options));
  return Captured{captured.status.shell_code(), std::move(captured.out), std::move(captured.err)};
}

Result<int> run_foreground(const std::vector<std::string>& args,
                           const std::vector<PassedFd>& pass) {
  // With a terminal the child stays in our process group so that it may read from it;
  // the terminal then signals it directly (^C, ^\), and we forward only the others.
  bool terminal = ::isatty(STDIN_FILENO) == 1;
  sigset_t forwarded = forwarded_signal_set();
  sigaddset(&forwarded, SIGCHLD);
  sigset_t original;
  sigprocmask(SIG_BLOCK, &forwarded, &original);
  SpawnOptions options;
  options.pass = pass;
  options.group = terminal ? ProcessGroup::inherit : ProcessGroup::own;
  auto child = sifkit::spawn(args, options);
  if (!child) {
    sigprocmask(SIG_SETMASK, &original, nullptr);
    return std::unexpected(child.error());
  }
  ExitStatus status;
  for (;;) {
    if (auto done = child->try_wait()) {
      status = *done;
      break;
    }
    timespec timeout{1, 0};
    int signal = sigtimedwait(&forwarded, nullptr, &timeout);
    if (signal <= 0 || signal == SIGCHLD) {
      continue;
    }
    if (!terminal || (signal != SIGINT && signal != SIGQUIT)) {
      child->kill(signal);
    }
  }
  sigprocmask(SIG_SETMASK, &original, nullptr);
  return status.shell_code();
}

Result<Child> spawn_detached(const DetachedSpawn& request) {
  UniqueFd output(::open(request.output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!output) {
    return fail_errno("opening " + request.output, errno);
  }
  SpawnOptions options;
  options.in = Redirect::null();
  options.out = Redirect::to(output.get());
  options.err = Redirect::to(output.get());
  if (request.inherit_fd) {
    options.pass = {PassedFd{*request.inherit_fd, 3}};
  }
  options.env = environment_with(request.env);
  options.group = ProcessGroup::new_session;
  return sifkit::spawn(request.args, options);
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
