#pragma once

// The public header of runtime/spec/. What the user asked for (RunOptions), what the host allows,
// and the OCI runtime configuration (config.json) built from both.
//
// Other rooms of runtime/ and the tools include only this header of the room; the
// other headers in the folder are internal to it.
#include <common/error.h>
#include <runtime/cgroup/cgroup.h>
#include <runtime/devices/devices.h>
#include <runtime/mount/mount.h>
#include <sif/oci_config.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

// What a user asks of one container run: the action and the flags of sif-run, after
// parsing (the option parsers below turn the flag texts into these values).

enum class Action {
  run,   // ENTRYPOINT + (args, else CMD)
  exec,  // args replace ENTRYPOINT and CMD
  shell, // an interactive shell
};

// One bind mount (--bind src[:dst[:ro|rw]], --mount type=bind,...).
struct BindMount {
  std::string source;      // host path, absolute
  std::string destination; // container path, absolute
  bool read_only = false;
};

enum class HomeMode {
  automatic, // bind the caller's home at the same path when the image has no USER
  bind,      // --home host:container
  tmpfs,     // --home /dir: an empty tmpfs there
  none,      // --no-home or --no-mount home
};

// RunOptions::seccomp for a container without a syscall filter.
inline constexpr const char* k_seccomp_unconfined = "unconfined";

struct RunOptions {
  Action action = Action::run;
  std::vector<std::string> args; // run: replaces CMD; exec: the command and its args
  std::string shell;             // --shell (shell action); empty: /bin/sh

  // Environment.
  std::vector<std::string> env;       // --env K=V, in order (later wins)
  std::vector<std::string> env_files; // --env-file FILE, in order (later wins)
  bool clean_env = false;             // --cleanenv: no host variables at all

  // Process.
  std::optional<std::string> cwd; // --cwd / --pwd

  // Mounts.
  HomeMode home_mode = HomeMode::automatic;
  std::string home_source;            // HomeMode::bind: host directory
  std::string home_destination;       // HomeMode::bind / tmpfs: container directory
  std::vector<std::string> scratch;   // --scratch DIR: tmpfs (or workdir/scratch/DIR)
  std::optional<std::string> workdir; // --workdir DIR: /tmp, /var/tmp and scratch from here
  std::set<std::string> no_mount;     // --no-mount: proc, sys, devpts, tmp, home
  std::vector<BindMount> binds;       // --bind and --mount, in order
  std::vector<std::string> dns;       // --dns: nameservers for /etc/resolv.conf
  std::int64_t tmpfs_size_mb = 64;    // size of every tmpfs (/dev, /tmp, home, overlay)

  // Namespaces.
  bool net = false;  // --net: a new network namespace with only loopback
  bool uts = false;  // --uts (implied by --hostname)
  bool user = false; // --user / --userns: a user namespace
  std::optional<std::string> hostname;

  // Capabilities ("CAP_X" names, upper case, "CAP_" prefixed).
  std::vector<std::string> add_caps;
  std::vector<std::string> drop_caps;
  bool keep_privs = false; // the caller's effective set
  bool no_privs = false;   // no capabilities, no_new_privileges
  // --security seccomp:PROFILE: a profile file, or k_seccomp_unconfined; "" is the host's
  // default profile (HostContext::seccomp_profile).
  std::string seccomp;

  // Root filesystem.
  bool writable_tmpfs = true;        // a tmpfs overlay over the image (changes lost at exit)
  std::vector<OverlaySpec> overlays; // --overlay, in order (the first is the top)
  ImageOverlay image_overlay = ImageOverlay::read_only; // --writable: the SIF's ext3 overlay

  // Identity.
  bool fakeroot = false; // --fakeroot: root inside through a user namespace (subuid ranges)

  // Resources and devices.
  ResourceOptions resources;
  DeviceOptions devices;
};

// The texts of sif-run's flags turned into RunOptions values. Every malformed text is a
// `usage` error that names what was wrong.

// Parses `--bind` text: comma-separated `src[:dst[:ro|rw]]`. A relative source is made
// absolute against the current directory; dst defaults to the source and must be absolute.
Result<std::vector<BindMount>> parse_binds(const std::string& text);

// Parses `--mount` text: `type=bind,source=S,destination=D[,ro|readonly[=true|false]]`
// (`src`, `dst`, `target` accepted as synonyms; type defaults to bind, other types are
// refused). A relative source is made absolute; the destination must be absolute.
Result<BindMount> parse_mount(const std::string& text);

// Applies `--home` text to `options`: `host:container` binds the host directory there
// (HomeMode::bind); `/dir` mounts an empty tmpfs at /dir (HomeMode::tmpfs).
Result<void> parse_home(const std::string& text, RunOptions& options);

// Parses a capability list (`--add-caps`, `--drop-caps`): comma-separated, any case,
// `CAP_` optional; `all` stands for every capability. Returns "CAP_X" names without
// duplicates, in order; unknown names are reported all together.
Result<std::vector<std::string>> parse_caps(const std::string& text);

// Parses `--no-mount` text: comma-separated from proc, sys, devpts, tmp, home. `dev` and
// any other name are refused.
Result<std::set<std::string>> parse_no_mount(const std::string& text);

// Applies `--security TEXT` to `options`: "seccomp:unconfined" or "seccomp:FILE" (an
// absolute or relative profile path). `usage` for any other form (apparmor and selinux
// labels are not supported).
Result<void> parse_security(const std::string& text, RunOptions& options);

// What the spec generator needs to know about the caller and the host, gathered once by
// probe_host() so that spec generation itself is a pure function of its inputs.

struct HostContext {
  std::uint32_t uid = 0; // the caller (real ids)
  std::uint32_t gid = 0;
  std::string user_name;             // from the host's passwd; empty when unknown
  std::string group_name;            // the primary group's name from the host; empty when unknown
  std::string home;                  // the caller's home directory ($HOME, else passwd)
  std::string shell;                 // the caller's login shell from passwd
  std::vector<std::uint32_t> groups; // supplementary groups
  std::map<std::string, std::string> env;  // the caller's environment
  std::vector<std::string> effective_caps; // "CAP_X" names of the caller's effective set
  bool stdin_is_tty = false;
  std::string resolv_conf = "/etc/resolv.conf"; // the host file to copy
  std::string hosts = "/etc/hosts";
  std::string hostname;        // the host's name (for /etc/hosts)
  std::string machine;         // uname(2) machine, for the seccomp filter's architecture
  std::string kernel_release;  // uname(2) release, for profile rules that need a kernel
  std::string seccomp_profile; // the default seccomp profile found here; "" when none
};

// Reads the caller's identity, environment, capabilities and terminal state. `io` only
// when /proc/self/status cannot be read.
Result<HostContext> probe_host();

// The spec generator: from an image config, the run options and the host context to an
// OCI runtime-spec config.json, matching SingularityCE's OCI mode flag by flag.

struct SpecInputs {
  const oci::ImageConfig* image = nullptr; // its config: ENTRYPOINT, CMD, ENV, USER, ...
  const RunOptions* options = nullptr;
  const HostContext* host = nullptr;
  std::string rootfs; // the mounted image (read: /etc/passwd, /etc/group, /var/tmp link)
  // A private directory of the run (on tmpfs or disk) where the generator writes the
  // files it binds into the container: passwd, group, resolv.conf, hosts, libs/.
  std::string files_dir;
  // Warnings for the user (e.g. --nv on a host without a GPU); may be empty.
  std::function<void(std::string_view)> note;
};

// Builds the config.json for `inputs` with "root": {"path": "rootfs"}: the process
// (args, env, cwd, user, capabilities, terminal), the mounts, the namespaces, the
// hostname and the annotations. Writes the bound files into `inputs.files_dir`.
// `usage` for contradictory or malformed options (a bind whose source is missing, a
// relative destination, an unknown capability with --add-caps), `not_found` when the
// image's USER names a user the container's /etc/passwd lacks, `io` when a file cannot
// be written.
Result<nlohmann::json> build_spec(const SpecInputs& inputs);

} // namespace sifkit::runtime
