#pragma once

// sif-mount's and sif-umount's commands: a mount session (runtime/session/session.h)
// started or ended, and what to print. Argument parsing stays in the *_main.cpp files.
#include <common/error.h>
#include <runtime/mount/mount.h>

#include <optional>
#include <string>

namespace sifkit::tools {

struct MountCommandOptions {
  std::string image;  // IMAGE: an OCI-SIF path
  std::string dir;    // DIR: the mount point (empty with --bundle)
  std::string bundle; // --bundle DIR
  runtime::MountMethod method = runtime::MountMethod::automatic;
  std::optional<bool> writable; // --writable / --read-only; default: read-only, bundle writable
  std::int64_t tmpfs_size_mb = 64;
  bool quiet = false;
  bool json = false;
};

// Mounts the image as `options` say and prints the summary (or the record with --json).
// `usage` for DIR and --bundle together or neither; errors of start_mount_session.
Result<void> run_mount(const MountCommandOptions& options);

struct UmountCommandOptions {
  std::string dir;
  bool stale = false; // --stale: clean what killed sif-run processes left
  bool quiet = false;
};

// Unmounts the session of `options.dir` and prints "unmounted DIR" unless quiet; with
// `stale`, first cleans the sessions of dead sif-run processes (runtime/session/session.h)
// and reports how many. `usage` for neither DIR nor --stale.
Result<void> run_umount(const UmountCommandOptions& options);

} // namespace sifkit::tools
