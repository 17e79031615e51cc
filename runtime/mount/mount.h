#pragma once

// The public header of runtime/mount/. Mounting an image's layers (kernel or FUSE), overlays and
// --overlay items, the record of what was mounted, and undoing it.
//
// Other rooms of runtime/ and the tools include only this header of the room; the
// other headers in the folder are internal to it.
#include <common/error.h>
#include <common/file.h>
#include <runtime/image/image.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

// Overlays a user asks for (--overlay DIR | FILE.img[:ro] | FILE.sqfs), stacked over the
// image's layers (runtime/mount/overlay_mount.h mounts them; parse_overlay below parses them).

enum class OverlayKind {
  directory, // a host directory: writable (upper), or a read-only lower with :ro
  ext3,      // an ext2/3/4 image file: writable, or read-only with :ro
  squashfs,  // a squashfs image file: always read-only
};

struct OverlaySpec {
  std::string path; // absolute
  OverlayKind kind = OverlayKind::directory;
  bool read_only = false;
};

// What happens to an ext3 overlay embedded in the OCI-SIF as its last layer.
enum class ImageOverlay {
  read_only, // a read-only lower above the image's layers (the default)
  writable,  // the writable upper layer (sif-run --writable)
};

// Mounting an OCI-SIF's squashfs layers where they lie in the file: a loop device at the
// layer's offset with the kernel's squashfs (privileged), or squashfuse (squashfuse_ll
// preferred) with -o offset=N; several layers stacked with overlayfs; a tmpfs overlay on
// top when the root filesystem is to be writable. What was mounted is written down in
// a record so that it can be undone by this process, or later by another one.

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

// Whether the record of the mounts is written to `work_dir`/mounts.json after every mount,
// for another process to undo them (mounts another process can see), or kept in the
// returned MountRecord only (mounts in a mount namespace that dies with the caller).
enum class MountRecording { written, in_memory };

struct MountOptions {
  MountMethod method = MountMethod::automatic;
  Writable writable = Writable::tmpfs;
  std::int64_t tmpfs_size_mb = 64; // size of the writable overlay's tmpfs
  FuseLifetime fuse_lifetime = FuseLifetime::with_caller;
  MountRecording recording = MountRecording::written;
  // --overlay items above the layers (the first is the top); a writable one replaces
  // the tmpfs upper layer (runtime/mount/overlay_mount.h).
  std::vector<OverlaySpec> overlays;
  ImageOverlay image_overlay = ImageOverlay::read_only; // the image's embedded ext3 overlay
};

// What one mount is; the record names them as their file system types do.
enum class MountKind {
  squashfs,       // "squashfs": the kernel's, on a loop device
  squashfuse,     // "squashfuse"
  overlay,        // "overlay": the kernel's overlayfs
  fuse_overlayfs, // "fuse-overlayfs"
  tmpfs,          // "tmpfs": the writable overlay's upper and work directories
  ext4,           // "ext4": the kernel's (ext2 and ext3 too), on a loop device
  fuse2fs,        // "fuse2fs"
};

// The record's name of `kind` ("fuse-overlayfs", ...).
std::string_view to_string(MountKind kind);
// The kind named `name` in a record; nullopt for any other text.
std::optional<MountKind> parse_mount_kind(std::string_view name);
// True for the kinds a FUSE daemon serves (squashfuse, fuse-overlayfs, fuse2fs).
bool is_fuse(MountKind kind);

// One thing mounted, in the order it was mounted.
struct MountEntry {
  MountKind kind = MountKind::tmpfs;
  std::string target;           // the mount point, absolute
  std::string loop_device;      // squashfs, ext4: /dev/loopN (autoclear: released at unmount)
  int fuse_pid = 0;             // FUSE kinds: the daemon's pid (0: not known)
  std::uint64_t mount_id = 0;   // the kernel's id of the mount (0: not known): unmounting
                                // checks it is still what `target` has
  bool mount_id_unique = false; // the unique kind of id (common/mountinfo.h's MountId)
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
// and work directories; writes the record to `work_dir`/mounts.json after every mount
// unless `options.recording` is in_memory.
// On failure undoes what it mounted. `unsupported` when the method cannot be used here
// (no privilege for a loop device, no squashfuse, no /dev/fuse), with what to change;
// `io` for a failed mount with the system's reason.
Result<MountRecord> mount_image(const RunImage& image, const std::string& rootfs,
                                const std::string& work_dir, const MountOptions& options);

// Undoes `record` newest first: unmounts (lazily when busy), stops FUSE daemons that
// stay, releases loop devices. Entries already gone are skipped. Then removes
// `work_dir`/mounts.json. `io` naming the mounts that could not be undone.
Result<void> unmount_all(const MountRecord& record);

// For mounts in a mount namespace no other process uses, once the caller has detached
// the trees that hold them (umount2 with MNT_DETACH takes the mounts below along): waits,
// newest first, for each FUSE daemon of `record` to see its mount go and exit (killed
// after 2 s), so that none outlives the run. Checks and removes nothing else.
void stop_fuse_daemons(const MountRecord& record);

// Reads the record that mount_image wrote into `work_dir`. `not_found` when none.
Result<MountRecord> read_mount_record(const std::string& work_dir);

// The record of what mount_image mounted (`work_dir`/mounts.json), so that the mounts can
// be undone by this process or a later one (sif-umount). The reading half is
// read_mount_record in mount.h.

// `work_dir`/mounts.json.
std::string mount_record_path(const std::string& work_dir);

// The record as JSON: {image, rootfs, work_dir, entries: [{kind, target, loop_device,
// fuse_pid, mount_id}]}, entries in mount order.
nlohmann::ordered_json mount_record_json(const MountRecord& record);

// Parses the JSON text of a record; `corrupt_input` naming `source` when malformed.
Result<MountRecord> parse_mount_record(const std::string& text, const std::string& source);

// Writes `record` to `record.work_dir`/mounts.json atomically (temp, fsync, rename).
Result<void> write_mount_record(const MountRecord& record);

// The directory a sif-mount session mounts on, resolved once: opened without following a
// link in its last component (a bundle's rootfs/ beneath the bundle without following
// any), checked on the descriptor (a directory of the caller's own, empty), and the
// image's root mount attached to that descriptor rather than to a path that could be
// swapped for a link in between.

// An opened, checked mount point.
struct MountTarget {
  std::string path; // canonical path of the directory (the kernel's, from the descriptor)
  File handle;      // O_PATH | O_DIRECTORY
};

// Opens `dir` as a mount target: its last component must not be a symbolic link, and it
// must belong to the caller's real uid (root mounts on root's directories only); `what`
// names it in messages. `usage` otherwise; `not_found`, `io` from the system.
Result<MountTarget> open_mount_target(const std::string& dir, const std::string& what);

// Creates (when missing) and opens `name` beneath `parent` without following any link,
// owned by the caller like `parent`. `usage` for a link, a non-directory or another
// owner.
Result<MountTarget> open_mount_target_in(const MountTarget& parent, const std::string& name);

// `conflict` unless `target` is an empty directory (read through its descriptor).
Result<void> require_empty(const MountTarget& target);

// Moves the root mount of `record` (mount_image's, on `record.rootfs` in a private
// directory) onto `target`'s descriptor: a clone of it is attached there (open_tree +
// move_mount) and the private mount removed. Then rewrites `record` (rootfs and the
// entry of the root mount) to `target.path` and writes it again. Needs CAP_SYS_ADMIN.
// `io` with the system's reason; when the attach fails `record` is unchanged, for the
// caller to undo.
Result<void> attach_root_mount(MountRecord& record, const MountTarget& target);

// The --overlay texts turned into OverlaySpec values: `PATH[:ro|:rw]`, made absolute, the
// kind of a file told by its content (ext2/3/4 superblock magic, squashfs magic), never by
// its name; and the rule that at most one overlay is writable.

// What the file or directory at `path` is as an overlay: a directory, an ext2/3/4 image
// (magic 0xEF53 at byte 1080) or a squashfs image ("hsqs" at byte 0). `not_found` when
// `path` does not exist, `usage` for any other file (naming what an overlay may be).
Result<OverlayKind> detect_overlay_kind(const std::string& path);

// Parses one --overlay text `PATH[:ro|:rw]`: a relative PATH is made absolute against the
// current directory, the kind is detected, a squashfs image is read-only whatever is
// asked (`:rw` on one is `usage`). Directories and ext3 images are writable by default.
Result<OverlaySpec> parse_overlay(const std::string& text);

// Checks that at most one of `overlays` is writable; `usage` naming the first two
// writable ones otherwise.
Result<void> check_overlays(const std::vector<OverlaySpec>& overlays);

// The writable overlay of `overlays`, if any.
const OverlaySpec* writable_overlay(const std::vector<OverlaySpec>& overlays);

// "directory", "ext3 image", "squashfs image".
std::string overlay_kind_name(OverlayKind kind);

} // namespace sifkit::runtime
