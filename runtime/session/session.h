#pragma once

// The public header of runtime/session/. Sessions: the state directories of runs and of sif-mount,
// found again and cleaned.
//
// Other rooms of runtime/ and the tools include only this header of the room; the
// other headers in the folder are internal to it.
#include <common/error.h>
#include <common/lock_file.h>
#include <runtime/launch/launch.h>
#include <runtime/mount/mount.h>

#include <cstdint>
#include <optional>
#include <string>

#include <sys/types.h>

namespace sifkit::runtime {

// Where sifkit keeps per-user runtime state: the records of mounted images (sif-mount)
// and of running containers (sif-run), and the OCI runtime's own state (--root).

// The state directory: $SIFKIT_STATE_DIR when set, else /run/sifkit for root, else
// $XDG_RUNTIME_DIR/sifkit, else private_state_dir("/tmp", euid). Created with mode 0700 when
// missing; `conflict` when it exists but is not a directory owned by the caller, `io` when
// it cannot be created.
Result<std::string> state_root();

// The state directory of user `uid` (the caller's effective uid) under `base`:
// `base`/sifkit-UID when it is a directory, not a link, owned by `uid` with no group or
// other permissions (created so when missing). When another user took that name first:
// the first by name of `base`/sifkit-UID-XXXXXX that is such a directory, else a new one
// (mkdtemp). State owned by anyone else is never used. `io` when none can be made.
Result<std::string> private_state_dir(const std::string& base, uid_t uid);

// The directory of the sif-mount session for the mount point or bundle `target` (an
// absolute path): `root`/mounts/<first 16 hex digits of sha256(target)>.
std::string mount_session_dir(const std::string& root, const std::string& target);

// The directory holding one sif-run's session `id`: `root`/runs/`id`.
std::string run_session_dir(const std::string& root, const std::string& id);

// The --root directory given to OCI runtime `runtime_name` ("crun", "runc"):
// `root`/runtime/`runtime_name`.
std::string runtime_state_dir(const std::string& root, const std::string& runtime_name);

// Creates `path` and its missing parents with mode 0700. `io` on failure.
Result<void> make_private_dirs(const std::string& path);

// The on-disk session of one sif-run: `state_root`/runs/<id>/ holding a lock the run
// holds for its whole life, run.json (which runtime runs the container, under which
// --root), the bundle (config.json, rootfs/) and the mount record. The directory appears
// under its name already locked (common/lock_file.h). A run that dies without cleaning up
// (SIGKILL) leaves its session unlocked; sweep_stale_runs kills its container and undoes
// its mounts.

class RunSession {
public:
  // Creates a fresh session under `state_root` (id "sifkit-<pid>-<random>"), locked
  // before it is visible. `io` on failure.
  static Result<RunSession> create(const std::string& state_root);

  RunSession(RunSession&& other) noexcept = default;
  RunSession& operator=(RunSession&&) = delete;
  RunSession(const RunSession&) = delete;
  ~RunSession() = default; // drops the lock; the directory is removed by remove() or the sweep

  const std::string& id() const { return m_id; }
  const std::string& dir() const { return m_dir; }
  std::string bundle() const { return m_dir + "/bundle"; }
  std::string rootfs() const { return m_dir + "/bundle/rootfs"; }

  // Writes run.json: the runtime and its state directory (for the sweep).
  Result<void> record_runtime(const OciRuntime& runtime, const std::string& runtime_root);

  // Removes the session directory (after its mounts are undone) and drops the lock;
  // refuses (`conflict`, keeping the lock) while anything is still mounted below it.
  Result<void> remove();

private:
  RunSession(std::string id, std::string dir, OfdLock lock)
      : m_id(std::move(id)), m_dir(std::move(dir)), m_lock(std::move(lock)) {}

  std::string m_id;
  std::string m_dir;
  OfdLock m_lock;
};

struct SweepResult {
  int sessions = 0;   // stale sessions cleaned
  int containers = 0; // containers killed and deleted
};

// Cleans every session under `state_root`/runs whose sif-run is gone (its lock is free;
// or it has no lock and is older than k_sweep_min_age): kills and deletes its container,
// undoes its recorded mounts, removes its directory (claim_stale_directory,
// remove_locked_directory). Sessions of live runs are left alone. `io` naming the
// sessions that could not be cleaned.
Result<SweepResult> sweep_stale_runs(const std::string& state_root);

// sif-mount's sessions: an image mounted on a directory (or as an OCI bundle) by a
// process that exits, and found again by its directory. A session lives in
// mount_session_dir(state_root(), <directory, canonical>): the mount record, the
// overlay's scratch directories and, for a bundle, the files config.json binds.

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
