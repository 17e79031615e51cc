#pragma once

// Running helper programs (the OCI runtime's verbs, conmon) from the lifecycle commands:
// with their output captured, in the foreground with signals forwarded, or detached in a
// session of their own. Everything is spawned with a clean signal mask and default
// dispositions, whatever the caller blocked.
#include <common/error.h>
#include <common/process.h>

#include <optional>
#include <string>
#include <vector>

namespace sifkit::runtime {

struct Captured {
  int status = 0; // exit code, or 128+N for signal N
  std::string out;
  std::string err;
};

// Runs `args` (args[0] an absolute path) with stdin from /dev/null and waits; its stdout
// and stderr are captured. `io` when it cannot be started.
Result<Captured> run_captured(const std::vector<std::string>& args);

// Runs `args` with our stdin, stdout and stderr (and `pass` handed on) and waits,
// forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it. Returns its
// exit status (128+N for signal N). `io` when it cannot be started.
Result<int> run_foreground(const std::vector<std::string>& args,
                           const std::vector<PassedFd>& pass = {});

struct DetachedSpawn {
  std::vector<std::string> args;
  std::string output;            // stdout and stderr appended to this file
  std::optional<int> inherit_fd; // passed on as fd 3 (the others are closed)
  std::vector<std::string> env;  // added to our environment ("K=V")
};

// Starts `spawn` in a new session with stdin from /dev/null; the caller waits for it (a
// dropped Child is killed). `io` when it cannot be started.
Result<Child> spawn_detached(const DetachedSpawn& spawn);

// A one-line summary of `captured`'s stderr (then stdout) for error messages: trimmed,
// newlines joined with "; ", at most a few hundred characters.
std::string output_summary(const Captured& captured);

} // namespace sifkit::runtime
