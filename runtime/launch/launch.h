#pragma once

// The public header of runtime/launch/. Starting the OCI runtime (crun or runc) and talking to it
// about a container.
//
// Other rooms of runtime/ and the tools include only this header of the room; the
// other headers in the folder are internal to it.
#include <common/error.h>
#include <common/process.h>
#include <runtime/cgroup/cgroup.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

// Running helper programs (the OCI runtime's verbs, conmon) from the lifecycle commands:
// with their output captured, in the foreground with signals forwarded, or detached in a
// session of their own. Everything is spawned with a clean signal mask and default
// dispositions, whatever the caller blocked.

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

// Starting a container through an OCI runtime (crun or runc): choosing the runtime,
// running `<runtime> --root STATE run --bundle B ID` in the foreground with our stdio,
// forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 as
// `<runtime> kill ID SIG`, and turning its end into an exit status.

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

// crun only: the seccomp filter of `spec` (its linux.seccomp) compiled to BPF once and
// kept in `cache_dir` (made when missing; keyed by the filter, libseccomp's version, the
// kernel and the identity of the runtime binary `runtime_path`: path, device, inode,
// size and modification time, so an upgraded runtime gets a fresh program), then handed to crun in
// the annotation run.oci.seccomp_bpf_data, which it applies instead of compiling the profile again.
// linux.seccomp stays (its flags still apply). `spec` is left as it is when the filter holds
// anything not compiled here the way crun does (SCMP_ACT_NOTIFY, unknown actions or operators).
// Nothing is kept or read when `cache_dir` is not a directory of the caller's that no one else can
// write in.
void attach_compiled_seccomp(nlohmann::json& spec, const std::string& cache_dir,
                             const std::string& runtime_path);

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

// What the OCI lifecycle commands and instances do to a container that already exists:
// `<runtime> --root ROOT VERB ID` with errors carrying the runtime's message, its state,
// and running a further process in it with the process settings of its config.json.

// Where a container is: its id, the runtime that created it and that runtime's --root,
// and its bundle (config.json).
struct ContainerHandle {
  std::string id;
  OciRuntime runtime;
  std::string runtime_root;
  std::string bundle;
};

// True when `name` can be a container id or an instance name (and so a path component):
// [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 128 characters.
bool valid_container_name(const std::string& name);

// True when the runtime has a container `handle.id` under its --root (whatever its state).
bool container_exists(const ContainerHandle& handle);

// Runs `<runtime> --root ROOT ARGS...` capturing its output. `io` carrying the runtime's
// own message when it exits non-zero; `not_found` when the container is gone; `conflict`
// when a verb other than state or delete failed on a stopped container.
Result<Captured> runtime_verb(const ContainerHandle& handle, const std::vector<std::string>& args);

// `<runtime> state ID`: the runtime's JSON text, verbatim. Errors of runtime_verb.
Result<std::string> container_state_text(const ContainerHandle& handle);

// The "status" of container_state_text ("created", "running", "paused", "stopped").
Result<std::string> container_status(const ContainerHandle& handle);

// A signal by name ("TERM", "SIGTERM", case-insensitive) or number ("15"); `usage` for
// anything else.
Result<int> parse_signal(const std::string& text);

struct ExecRequest {
  std::vector<std::string> args;  // the command; must not be empty
  std::vector<std::string> env;   // "K=V" added to (or replacing in) config.json's env
  std::optional<std::string> cwd; // replaces config.json's cwd
};

// Runs `request.args` in the running container `handle` in the foreground (our stdio; a
// terminal when stdin is one), with the user, environment, working directory and
// capabilities of the bundle's config.json process. Returns the command's exit status
// (128+N for signal N). `usage` for an empty command; `not_found` when the container is
// gone; `conflict` when it is not running; `io` when the runtime fails to start it.
Result<int> exec_in_container(const ContainerHandle& handle, const ExecRequest& request);

// Reads `bundle`/config.json. `not_found` naming the bundle when missing, `corrupt_input`
// when it is not a JSON object.
Result<nlohmann::json> read_bundle_config(const std::string& bundle);

} // namespace sifkit::runtime
