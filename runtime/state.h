#pragma once

// Where sifkit keeps per-user runtime state: the records of mounted images (sif-mount)
// and of running containers (sif-run), and the OCI runtime's own state (--root).
#include <common/error.h>

#include <string>

namespace sifkit::runtime {

// The state directory: $SIFKIT_STATE_DIR when set, else /run/sifkit for root, else
// $XDG_RUNTIME_DIR/sifkit, else /tmp/sifkit-<uid>. Created with mode 0700 when missing; `conflict`
// when it exists but is not a directory owned by the caller, `io` when it cannot be created.
Result<std::string> state_root();

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

} // namespace sifkit::runtime
