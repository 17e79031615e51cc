#pragma once

// Where sifkit keeps per-user runtime state: the records of mounted images (sif-mount)
// and of running containers (sif-run), and the OCI runtime's own state (--root).
#include <common/error.h>

#include <string>

#include <sys/types.h>

namespace sifkit::runtime {

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

} // namespace sifkit::runtime
