#pragma once

// The long help of sif-mount and sif-umount: what is mounted how, examples, exit codes.

namespace sifkit::tools {

inline constexpr const char* k_mount_description =
    "Mount the root filesystem of an OCI-SIF image on a directory, or set up an OCI runtime\n"
    "bundle from it. The squashfs layers are mounted where they lie in the SIF file (no\n"
    "copy): with the kernel's squashfs over a loop device when run as root, else with\n"
    "squashfuse. Several layers are stacked with overlayfs; --writable adds a tmpfs on top\n"
    "whose changes are lost at sif-umount. The image file is never written.";

inline constexpr const char* k_mount_footer = R"(Examples:
  sif-mount alpine.sif /mnt/alpine             # read-only; sif-umount /mnt/alpine undoes it
  sif-mount --writable --fuse app.sif ./root   # squashfuse layers, a writable overlay
  sif-mount --bundle ./bundle app.sif          # bundle/rootfs (writable) + bundle/config.json
  crun run --bundle ./bundle demo && sif-umount ./bundle
  sif-mount --json app.sif /mnt/app | jq .entries

Methods:
  --kernel  a read-only loop device at each layer's offset and the kernel's squashfs
            (root only); the loop devices go away at unmount (autoclear)
  --fuse    squashfuse_ll (else squashfuse) -o offset=N for each layer; the daemons keep
            running after sif-mount exits and stop at sif-umount
  default   the kernel method as root, else FUSE; FUSE too when loop devices are refused

DIR must be an empty directory of the caller's own (root: root's), not a symbolic link;
every mount is nosuid,nodev. What was mounted is recorded in the session directory
mounts/<hash of DIR>/mounts.json under /run/sifkit (root), else $XDG_RUNTIME_DIR/sifkit,
else /tmp/sifkit-<uid>; the layers' mount points and the overlay's upper layer live there
too. A bundle's config.json comes from the same generator as sif-run's (default options)
and binds files kept in the session directory.

JSON (--json, on stdout): {image, rootfs, work_dir, entries: [{kind, target,
  loop_device, fuse_pid, mount_id}], target, config}; kind is squashfs, squashfuse, tmpfs, overlay
  or fuse-overlayfs, in mount order.

Exit codes:
  0  success
  2  bad usage (DIR a symbolic link or another uid's directory)
  3  not found (no such image or directory)
  4  corrupt input (a malformed SIF)
  5  I/O error (a mount failed; the message has the system's reason)
  6  unsupported (no privilege for loop devices, no squashfuse, no /dev/fuse, not an OCI-SIF)
  7  conflict (DIR is already a sif-mount or not empty)
)";

inline constexpr const char* k_umount_description =
    "Undo a sif-mount: unmount the overlay and the layers newest first (lazily when busy),\n"
    "stop the squashfuse daemons, and remove the session's state. A bundle keeps its\n"
    "config.json and the empty rootfs directory.";

inline constexpr const char* k_umount_footer = R"(Examples:
  sif-umount /mnt/alpine
  sif-umount ./bundle
  sif-umount --stale      # after a sif-run was killed with SIGKILL (the next run does it too)

Exit codes:
  0  success
  2  bad usage (DIR is a symbolic link)
  3  not found (DIR is not mounted by sif-mount)
  5  I/O error (a mount could not be undone; the record is kept to retry)
  7  conflict (something else is still mounted in the session directory, or a recorded
     mount was moved elsewhere or a link lies on its path: nothing was unmounted there)
)";

} // namespace sifkit::tools
