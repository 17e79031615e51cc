#pragma once

// The public header of runtime/instance/. Instances: containers kept running in the background,
// started, listed and stopped.
//
// Other rooms of runtime/ and the tools include only this header of the room; the
// other headers in the folder are internal to it.
#include <common/error.h>
#include <runtime/launch/launch.h>
#include <runtime/run.h>

#include <chrono>
#include <string>
#include <vector>

namespace sifkit::runtime {

// Instances: containers run in the background by a supervisor process that outlives the
// command that started it. The supervisor is a forked `run_image` (the same mounts, spec
// and clean-up as a foreground run) in a session of its own, stdin from /dev/null, its
// output and the container's in log files. Each instance has state_root()/instances/
// <name>/: a lock the supervisor holds for its whole life (a free lock means no live
// supervisor), instance.json (written when the container is launched, removed when it
// ends) and out.log, err.log (kept after the end, replaced by the next start).

struct InstanceRecord {
  std::string name;
  std::string image;
  std::string created; // UTC, RFC 3339
  int supervisor_pid = 0;
  ContainerHandle container;
  std::string out_log;
  std::string err_log;
};

// True when `name` is a valid instance name: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128.
bool valid_instance_name(const std::string& name);

// Starts instance `name` running `request` and waits (up to `timeout`) until its
// container is running. `usage` for an invalid name; `conflict` when an instance of that
// name runs; `io` with the end of the supervisor's error log when it fails or ends
// before the container runs, or when the timeout passes (the supervisor is then told
// to stop). `request.on_launch` is replaced.
Result<InstanceRecord> start_instance(const std::string& name, RunRequest request,
                                      std::chrono::seconds timeout);

struct InstanceListing {
  InstanceRecord record;
  std::string status; // the runtime's: running, paused, stopped, ...
  int pid = 0;        // the container's first process (0 when unknown)
};

// The running instances, by name. Records of dead supervisors are removed (and their
// sessions swept), not listed. `io` when the state directory cannot be read.
Result<std::vector<InstanceListing>> list_instances();

// Stops instance `name`: `signal` to its container, SIGKILL when the supervisor has not
// ended after `timeout`, then waits for the supervisor to undo its mounts and remove its
// record. `not_found` for no running instance of that name.
Result<void> stop_instance(const std::string& name, int signal, std::chrono::seconds timeout);

// The record of the running instance `name`; `not_found` otherwise.
Result<InstanceRecord> find_instance(const std::string& name);

// Runs `request` in the container of the running instance `name` (exec_in_container).
// When the supervisor runs it from a user namespace of its own (unprivileged runs), this
// process first joins that namespace and the supervisor's mount namespace, where the
// runtime can reach the container. `not_found` for no running instance; `io` when the
// namespaces cannot be joined; errors of exec_in_container.
Result<int> exec_in_instance(const std::string& name, const ExecRequest& request);

} // namespace sifkit::runtime
