#pragma once

// sif-run's flags: registered on each action's parser, then turned into the library's
// RunRequest (runtime/run.h) and ImageRefOptions (runtime/image/image.h).
#include <common/error.h>
#include <runtime/image/image.h>
#include <runtime/run.h>

#include <optional>
#include <string>
#include <vector>

#include "flags_devices.h"
#include "flags_overlays.h"
#include "flags_resources.h"
#include <CLI/CLI.hpp>

namespace sifkit::tools {

struct RunFlags {
  std::string image;
  std::vector<std::string> env, env_files, binds, mounts, scratch, no_mount, dns;
  std::vector<std::string> add_caps, drop_caps;
  bool clean_env = false, no_home = false, net = false, uts = false, user = false;
  bool keep_privs = false, no_privs = false, read_only = false, fuse = false, quiet = false;
  std::optional<std::string> cwd, home, workdir, hostname, shell, runtime, security;
  std::int64_t tmpfs_size_mb = 64;
  // Image references.
  std::optional<std::string> cache_dir, platform, credentials, ca_cert;
  bool insecure = false, creds_stdin = false;
  // Groups with files of their own (flags_*.h).
  bool fakeroot = false;
  ResourceFlags resources;
  DeviceFlags devices;
  OverlayFlags overlays;
};

// Registers the flags on `app` (the parser of one action) and its IMAGE positional.
void add_run_flags(CLI::App& app, RunFlags& flags);

// The library's view of `flags` for `action` with container arguments `args`. `usage`
// for malformed flag values.
Result<runtime::RunOptions> run_options(const RunFlags& flags, runtime::Action action,
                                        std::vector<std::string> args);

// How to find IMAGE when it is a reference; with --creds-stdin, reads the credentials
// (one line) from standard input, leaving the rest for the container. Fails as
// read_secret (common/secret.h).
Result<runtime::ImageRefOptions> image_ref_options(const RunFlags& flags);

} // namespace sifkit::tools
