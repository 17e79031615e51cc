#pragma once

// What a user asks of one container run: the action and the flags of sif-run, after
// parsing (runtime/options_parse.h turns the flag texts into these values).
#include <runtime/device_options.h>
#include <runtime/overlay_options.h>
#include <runtime/resource_options.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sifkit::runtime {

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

} // namespace sifkit::runtime
