#pragma once

// FUSE filesystems run as our children in the foreground (squashfuse_ll / squashfuse for
// layers, fuse-overlayfs for unprivileged overlays), and their unmounting.
#include <common/error.h>
#include <runtime/mount/mount.h>

#include <string>
#include <vector>

namespace sifkit::runtime {

// squashfuse_ll, else squashfuse, on $PATH. `unsupported` naming the package when neither
// is there or when /dev/fuse is missing.
Result<std::string> find_squashfuse();

// fuse-overlayfs on $PATH; `unsupported` naming the package when it is missing.
Result<std::string> find_fuse_overlayfs();

// Runs `argv` (a FUSE filesystem started with -f, so that it stays our child) and waits
// up to 5 s until `target` is a new mount (its st_dev changes). The child gets its own
// session, /dev/null as stdin and stdout, and with FuseLifetime::with_caller SIGKILL as
// its parent-death signal (which follows the calling *thread*). Returns its pid. When it
// exits or times out: `io` with its stderr, and nothing is left mounted or running.
Result<int> start_fuse_daemon(const std::vector<std::string>& argv, const std::string& target,
                              FuseLifetime lifetime);

// True when `pid` runs and is a FUSE daemon sifkit starts (/proc/<pid>/comm is
// squashfuse, squashfuse_ll, fuse-overlayfs or fuse2fs), not a zombie or a reused pid.
bool is_running_fuse_daemon(int pid);

// After its unmount, waits up to 2 s for daemon `pid` to exit (reaping it when it is our
// child), then kills it with SIGKILL if it is still a running FUSE daemon.
void stop_fuse_daemon(int pid);

// Unmounts the FUSE mount at `target` without privilege: fusermount3 -u (fusermount
// when fusermount3 is missing), lazily (-z) when it is busy. `io` when that fails.
Result<void> fusermount_unmount(const std::string& target);

} // namespace sifkit::runtime
