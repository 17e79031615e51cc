#pragma once

// Mounting an OCI-SIF's squashfs layers where they lie in the file: a loop device at the
// layer's offset with the kernel's squashfs (privileged), or squashfuse (squashfuse_ll
// preferred) with -o offset=N; several layers stacked with overlayfs; a tmpfs overlay on
// top when the root filesystem is to be writable. What was mounted is written down in
// a record so that it can be undone by this process, or later by another one.
#include <common/error.h>
#include <runtime/image.h>
#include <runtime/overlay_options.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sifkit::runtime {

enum class MountMethod {
  automatic, // kernel squashfs over a loop device when privileged, else FUSE
  kernel,    // loop device + kernel squashfs (needs CAP_SYS_ADMIN)
  fuse,      // squashfuse_ll / squashfuse
};

enum class Writable { no, tmpfs };

// Whether FUSE daemons (squashfuse, fuse-overlayfs) die with the thread that mounted
// (PR_SET_PDEATHSIG: a killed sif-run never leaves a daemon behind) or outlive the
// process (sif-mount, which exits while the image stays mounted).
enum class FuseLifetime { with_caller, detached };

struct MountOptions {
  MountMethod method = MountMethod::automatic;
  Writable writable = Writable::tmpfs;
  std::int64_t tmpfs_size_mb = 64; // size of the writable overlay's tmpfs
  FuseLifetime fuse_lifetime = FuseLifetime::with_caller;
  // --overlay items above the layers (the first is the top); a writable one replaces
  // the tmpfs upper layer (runtime/overlay_mount.h).
  std::vector<OverlaySpec> overlays;
  ImageOverlay image_overlay = ImageOverlay::read_only; // the image's embedded ext3 overlay
};

// One thing mounted, in the order it was mounted.
struct MountEntry {
  std::string kind;        // "squashfs" (kernel, loop), "squashfuse", "overlay", "fuse-overlayfs",
                           // "tmpfs", "ext4" (kernel, loop), "fuse2fs"
  std::string target;      // the mount point, absolute
  std::string loop_device; // "squashfs", "ext4": /dev/loopN (autoclear: released at unmount)
  int fuse_pid = 0;        // FUSE kinds: the daemon's pid (0: not known)
  std::uint64_t mount_id = 0;  // the kernel's id of the mount (0: not known): unmounting
                               // checks it is still what `target` has
  bool mount_id_unique = false; // the unique kind of id (runtime/mountinfo.h's MountId)
};

// The mounts of one image: its root filesystem at `rootfs`, scratch state in `work_dir`.
struct MountRecord {
  std::string image;    // the OCI-SIF path
  std::string rootfs;   // where the root filesystem is
  std::string work_dir; // layers/, overlay/ and the record file live here
  std::vector<MountEntry> entries;
};

// Mounts `image` on `rootfs` (an existing empty directory) using `work_dir` (an existing
// directory, private to this mount) for the layer mount points and the overlay's upper
// and work directories; writes the record to `work_dir`/mounts.json after every mount.
// On failure undoes what it mounted. `unsupported` when the method cannot be used here
// (no privilege for a loop device, no squashfuse, no /dev/fuse), with what to change;
// `io` for a failed mount with the system's reason.
Result<MountRecord> mount_image(const RunImage& image, const std::string& rootfs,
                                const std::string& work_dir, const MountOptions& options);

// Undoes `record` newest first: unmounts (lazily when busy), stops FUSE daemons that
// stay, releases loop devices. Entries already gone are skipped. Then removes
// `work_dir`/mounts.json. `io` naming the mounts that could not be undone.
Result<void> unmount_all(const MountRecord& record);

// Reads the record that mount_image wrote into `work_dir`. `not_found` when none.
Result<MountRecord> read_mount_record(const std::string& work_dir);

} // namespace sifkit::runtime
