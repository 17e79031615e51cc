#pragma once

// Starting a container through an OCI runtime (crun or runc): choosing the runtime,
// running `<runtime> --root STATE run --bundle B ID` in the foreground with our stdio,
// forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 as
// `<runtime> kill ID SIG`, and turning its end into an exit status.
#include <common/error.h>
#include <runtime/cgroups.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::runtime {

struct OciRuntime {
  std::string name; // "crun", "runc", or the file name of a --runtime PATH
  std::string path; // absolute
};

// The runtime to use: `requested` ("crun", "runc" or a path; empty: crun when it is
// installed and the host's cgroups let it run, else runc). `not_found` when it is not
// installed ("no OCI runtime: install crun or runc"), `unsupported` when crun was asked
// for on a host where it cannot run, with what to change (crun_cgroup_problem). When
// crun is skipped in automatic mode, `note` hears why.
Result<OciRuntime> select_runtime(const std::optional<std::string>& requested,
                                  const CgroupInfo& cgroups,
                                  const std::function<void(std::string_view)>& note = {});

struct Launch {
  OciRuntime runtime;
  std::string state_dir; // the runtime's --root
  std::string bundle;
  std::string id;
  std::string log_file;  // the runtime's own messages (--log, JSON)
  bool terminal = false; // config.json asks for a terminal: the runtime stays in our
                         // process group so that it can own the tty
};

// The signals the launcher forwards. Block them (block_forwarded_signals) before any
// set-up that must be undone, so that they are held until the container runs.
void block_forwarded_signals();
// True when one of the forwarded signals arrived while blocked (before the launch); the
// number is stored in `signal`.
bool forwarded_signal_pending(int& signal);

// Runs the container `launch` describes and waits for it. Returns its exit status: its
// exit code, or 128+N when signal N ended it. `io` when the runtime cannot be started;
// when the runtime fails before the container runs, an `io` error carrying the
// runtime's own message from its log, never a bare status.
Result<int> run_runtime(const Launch& launch);

// Best effort: `<runtime> --root STATE kill ID KILL` then `delete --force ID`, output
// discarded. For containers a dead sif-run left behind.
void force_delete_container(const OciRuntime& runtime, const std::string& state_dir,
                            const std::string& id);

} // namespace sifkit::runtime
