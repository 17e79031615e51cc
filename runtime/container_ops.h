#pragma once

// What the OCI lifecycle commands and instances do to a container that already exists:
// `<runtime> --root ROOT VERB ID` with errors carrying the runtime's message, its state,
// and running a further process in it with the process settings of its config.json.
#include <common/error.h>
#include <runtime/child_process.h>
#include <runtime/launcher.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

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
