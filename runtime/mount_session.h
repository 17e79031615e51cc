#pragma once

// sif-mount's sessions: an image mounted on a directory (or as an OCI bundle) by a
// process that exits, and found again by its directory. A session lives in
// mount_session_dir(state_root(), <directory, canonical>): the mount record, the
// overlay's scratch directories and, for a bundle, the files config.json binds.
#include <common/error.h>
#include <runtime/mount.h>

#include <string>

namespace sifkit::runtime {

enum class SessionKind {
  mount_point, // the root filesystem on the directory itself
  bundle,      // an OCI runtime bundle: <dir>/rootfs and <dir>/config.json
};

struct SessionRequest {
  std::string image;  // an OCI-SIF path
  std::string target; // the mount point, or the bundle directory
  SessionKind kind = SessionKind::mount_point;
  MountOptions mount; // fuse_lifetime is forced to detached: the caller exits
};

struct MountSession {
  std::string target;      // canonical path of the mount point or bundle
  std::string session_dir; // the record and scratch directories
  std::string config;      // bundle: <target>/config.json; else empty
  MountRecord record;
};

// Mounts `request.image` for a session. A mount point must be an empty directory; a
// bundle directory is created when missing and its rootfs/ must be missing or empty;
// config.json is written atomically from build_spec with default run options.
// `conflict` when the directory already has a session ("already a sif-mount") or is
// not empty; errors of open_run_image, mount_image and build_spec with context. On
// failure nothing stays mounted and the session directory is removed.
Result<MountSession> start_mount_session(const SessionRequest& request);

// The canonical path of `dir` as sessions key it; works on a mount point whose FUSE
// daemon died (ENOTCONN) by resolving its parent. Errors of realpath.
Result<std::string> session_target(const std::string& dir);

// Undoes the session of `dir`: unmount_all of its record, then removes the session
// directory (never through a mount). A bundle keeps config.json and the empty rootfs/.
// `not_found` when `dir` has no session; errors of unmount_all. Returns the record.
Result<MountRecord> end_mount_session(const std::string& dir);

} // namespace sifkit::runtime
