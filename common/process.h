#pragma once

// Starting programs and waiting for them. Every child starts as if from a shell: an empty
// signal mask, every signal at its default disposition, only descriptors 0-2 (and those
// handed on explicitly) open, whatever the caller blocked, ignored or forgot to mark
// close-on-exec. Children are started with posix_spawn (glibc: clone(CLONE_VM |
// CLONE_VFORK)); only a child that needs a setup step posix_spawn cannot express is forked.
#include <common/error.h>
#include <common/unique_fd.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sifkit {

// How a child ended: a waitpid status.
struct ExitStatus {
  int raw = 0;

  // Exited with status 0.
  bool success() const;
  // Exited (rather than killed by a signal).
  bool exited() const;
  // Its exit status when it exited, else -1.
  int code() const;
  // The signal that killed it, else 0.
  int signal() const;
  // The exit status, or 128+N for a child killed by signal N (a shell's `$?`).
  int shell_code() const;
  // "exited with status N" or "was killed by signal N".
  std::string describe() const;
};

// Where one of a child's standard streams goes.
class Redirect {
public:
  enum class Kind { inherit, null, fd, capture };
  // The caller's own stream.
  static Redirect inherit() { return Redirect(Kind::inherit, -1); }
  // /dev/null.
  static Redirect null() { return Redirect(Kind::null, -1); }
  // The caller's descriptor `fd` (still the caller's: it stays open here).
  static Redirect to(int fd) { return Redirect(Kind::fd, fd); }
  // A pipe read by run_captured (spawn refuses it).
  static Redirect capture() { return Redirect(Kind::capture, -1); }

  Kind kind() const { return m_kind; }
  int fd() const { return m_fd; }

private:
  Redirect(Kind kind, int fd) : m_kind(kind), m_fd(fd) {}
  Kind m_kind;
  int m_fd;
};

// A descriptor of the caller handed to the child as descriptor `as` (3 and up).
struct PassedFd {
  int fd = -1;
  int as = -1;
};

// The process group or session a child starts in.
enum class ProcessGroup { inherit, own, new_session };

struct SpawnOptions {
  Redirect in = Redirect::inherit();
  Redirect out = Redirect::inherit();
  Redirect err = Redirect::inherit();
  // Placed after the standard streams, in order; every other descriptor is closed.
  std::vector<PassedFd> pass;
  // The complete environment ("K=V"); unset: the caller's.
  std::optional<std::vector<std::string>> env;
  ProcessGroup group = ProcessGroup::inherit;
  // Runs in a forked child after the streams and descriptors are in place and before
  // exec (with signals still blocked); a non-zero return ends the child with that exit
  // status instead. Async-signal-safe calls only (prctl, setns, chdir, ...), and nothing
  // that waits for the caller: spawn returns only once the child has exec'd or ended. When
  // set, the child is forked rather than posix_spawned.
  std::function<int()> child_setup;
};

// A started child process, killed (SIGKILL) and reaped when dropped unless it was waited
// for or released: a child is never left running or a zombie by an early return.
// Move-only; not thread-safe.
class Child {
public:
  Child() = default;
  // Owns the child `pid` of this process.
  explicit Child(pid_t pid) : m_pid(pid) {}
  ~Child();
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The child's pid; -1 once reaped or released.
  pid_t pid() const { return m_pid; }
  // Waits until it ends (waitpid, retried on EINTR) and reaps it; `io` when waitpid fails.
  Result<ExitStatus> wait();
  // Reaps it when it has ended; nullopt while it runs.
  std::optional<ExitStatus> try_wait();
  // Sends `signal` to it; nothing once reaped.
  void kill(int signal) const;
  // Gives up ownership: the caller waits for the returned pid.
  pid_t release();

private:
  pid_t m_pid = -1;
};

// Starts `argv` (argv[0] a full path, not searched) with `options`. `usage` for an empty
// argv or a `capture` redirect, `not_found` when argv[0] does not exist, `io` when it
// cannot be started otherwise (exec's reason included).
Result<Child> spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// Runs `argv` like spawn and waits for it to end. Errors as spawn's and Child::wait's.
Result<ExitStatus> run_to_exit(const std::vector<std::string>& argv,
                               const SpawnOptions& options = {});

// What run_captured collected.
struct CapturedOutput {
  ExitStatus status;
  std::string out;
  std::string err;
  bool truncated = false; // a stream wrote more than the cap: the rest was read and dropped
};

// The most run_captured keeps of each stream unless told otherwise.
inline constexpr std::size_t k_capture_default_max = std::size_t{16} << 20;

// The default options of run_captured: stdin /dev/null, stdout and stderr captured.
SpawnOptions capture_options();

// Runs `argv` like spawn and waits for it, reading the streams that are `capture`
// redirects to their end, at most `max_bytes` of each. Errors as spawn's, `io` when
// reading or waiting fails (the child is then killed and reaped).
Result<CapturedOutput> run_captured(const std::vector<std::string>& argv,
                                    SpawnOptions options = capture_options(),
                                    std::size_t max_bytes = k_capture_default_max);

// The caller's environment followed by `extra` ("K=V" entries).
std::vector<std::string> environment_with(const std::vector<std::string>& extra);

} // namespace sifkit
