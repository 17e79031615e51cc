#include <common/file.h>
#include <common/lock_file.h>
#include <common/mountinfo.h>
#include <runtime/mount/mount.h>
#include <runtime/spec/spec.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "session.h"
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

constexpr const char* k_session_lock = "lock";

// Where the session of one target lives: the directory `name` in `parent`
// (mount_session_dir split, as the locked-directory calls take it).
struct SessionPlace {
  std::string parent;
  std::string name;

  std::string dir() const { return parent + "/" + name; }
};

SessionPlace session_place(const std::string& root, const std::string& target) {
  std::filesystem::path dir(mount_session_dir(root, target));
  return {dir.parent_path().string(), dir.filename().string()};
}

// A session directory with its lock, held while this process mounts or unmounts it
// (never after: a mounted session outlives its sif-mount).
struct ClaimedSession {
  SessionPlace place;
  OfdLock lock;
};

// The session directory at `place`, held: `absent` when there is none, `in_use` when
// another sif-mount or sif-umount holds it.
Result<SweepClaim> hold_session(const SessionPlace& place) {
  return claim_stale_directory(place.parent, place.name, k_session_lock, std::chrono::seconds(0));
}

// Removes the session directory at `place` whose lock `held` is held (never through a
// mount).
Result<void> remove_session(const SessionPlace& place, OfdLock held) {
  return remove_locked_directory(place.parent, place.name, k_session_lock, std::move(held));
}

// Creates the session directory of `target` with its lock held before another process
// can see it (two sif-mounts of one directory race here). One that exists is a mount (it
// has a record), one in progress (its lock is held), or what a sif-mount killed before
// it mounted anything left (lock free, no record): that is removed, never through a
// mount, and the directory claimed afresh.
Result<ClaimedSession> claim_session(const std::string& target, const std::string& shown) {
  SIFKIT_TRY_ASSIGN(auto root, state_root());
  SessionPlace place = session_place(root, target);
  SIFKIT_TRY(make_private_dirs(place.parent));
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto created = create_locked_directory(place.parent, place.name, k_session_lock);
    if (created) {
      return ClaimedSession{std::move(place), std::move(*created)};
    }
    if (created.error().kind() != ErrorKind::conflict) {
      return std::unexpected(created.error());
    }
    if (::access(mount_record_path(place.dir()).c_str(), F_OK) == 0) {
      return fail(ErrorKind::conflict, shown + " is already a sif-mount; sif-umount it first");
    }
    SIFKIT_TRY_ASSIGN(auto held, hold_session(place));
    if (held.verdict == SweepVerdict::in_use) {
      return fail(ErrorKind::conflict, "a sif-mount or sif-umount of " + shown + " is in progress");
    }
    if (held.verdict == SweepVerdict::stale) {
      SIFKIT_TRY(with_context(remove_session(place, std::move(held.lock)),
                              "removing what an interrupted sif-mount of " + shown + " left"));
    }
  }
  return fail(ErrorKind::conflict, "another sif-mount of " + shown + " started at the same time");
}

Result<std::string> write_bundle_config(const RunImage& image, const std::string& bundle,
                                        const std::string& session) {
  std::string files = session + "/files";
  SIFKIT_TRY(make_private_dirs(files));
  SIFKIT_TRY_ASSIGN(auto host, probe_host());
  RunOptions options;
  SpecInputs inputs{&image.config, &options, &host, bundle + "/rootfs", files};
  SIFKIT_TRY_ASSIGN(auto spec, with_context(build_spec(inputs), "generating config.json"));
  std::string config = bundle + "/config.json";
  SIFKIT_TRY(write_file_atomic(config, spec.dump(2) + "\n"));
  return config;
}

// Mounts the image on `rootfs`: as root in the session directory first, then attached
// to the descriptor checked before (runtime/mount/mount.h); without privilege (FUSE,
// through fusermount3's own checks of the mount point) on its path.
Result<MountRecord> mount_on(const RunImage& image, const MountTarget& rootfs,
                             const std::string& session_dir, MountOptions options) {
  options.fuse_lifetime = FuseLifetime::detached;
  if (::geteuid() != 0) {
    return mount_image(image, rootfs.path, session_dir, options);
  }
  std::string staging = session_dir + "/root";
  if (::mkdir(staging.c_str(), 0700) != 0) {
    return fail_errno("creating " + staging, errno);
  }
  auto record = mount_image(image, staging, session_dir, options);
  if (!record) {
    return record;
  }
  if (auto attached = attach_root_mount(*record, rootfs); !attached) {
    (void)unmount_all(*record);
    return std::unexpected(attached.error());
  }
  ::rmdir(staging.c_str()); // empty now; unmount_all never removes it
  return record;
}

Result<MountSession> mount_in(const RunImage& image, const SessionRequest& request,
                              const MountTarget& target, MountSession session) {
  bool bundle = request.kind == SessionKind::bundle;
  std::optional<MountTarget> bundle_rootfs;
  if (bundle) {
    SIFKIT_TRY_ASSIGN(auto opened, open_mount_target_in(target, "rootfs"));
    bundle_rootfs = std::move(opened);
  }
  const MountTarget& rootfs = bundle ? *bundle_rootfs : target;
  SIFKIT_TRY(require_empty(rootfs));
  SIFKIT_TRY_ASSIGN(auto record, mount_on(image, rootfs, session.session_dir, request.mount));
  session.record = std::move(record);
  if (bundle) {
    auto config = write_bundle_config(image, session.target, session.session_dir);
    if (!config) {
      (void)unmount_all(session.record);
      return std::unexpected(config.error());
    }
    session.config = std::move(*config);
  }
  return session;
}

Result<MountSession> mount_session(const SessionRequest& request) {
  SIFKIT_TRY_ASSIGN(auto image, open_run_image(request.image));
  bool bundle = request.kind == SessionKind::bundle;
  if (bundle && ::mkdir(request.target.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail_errno("creating the bundle directory " + request.target, errno);
  }
  SIFKIT_TRY_ASSIGN(auto target, open_mount_target(request.target, bundle ? "the bundle directory"
                                                                          : "the mount point"));
  SIFKIT_TRY_ASSIGN(auto claimed, claim_session(target.path, request.target));
  auto session =
      mount_in(image, request, target, MountSession{target.path, claimed.place.dir(), "", {}});
  if (!session) {
    (void)remove_session(claimed.place, std::move(claimed.lock));
  }
  return session; // the lock goes with `claimed`: the session is complete
}

} // namespace

Result<std::string> session_target(const std::string& dir) {
  auto resolved = real_path(dir);
  if (resolved || resolved.error().kind() == ErrorKind::not_found) {
    return resolved;
  }
  // A dead FUSE mount point cannot be stat'ed (ENOTCONN): resolve its parent instead.
  std::filesystem::path path(dir);
  if (path.has_relative_path() && !path.has_filename()) {
    path = path.parent_path();
  }
  std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..") {
    return resolved;
  }
  auto parent = real_path(path.has_parent_path() ? path.parent_path().string() : ".");
  if (!parent) {
    return resolved;
  }
  return (*parent == "/" ? "" : *parent) + "/" + name;
}

Result<MountSession> start_mount_session(const SessionRequest& request) {
  auto session = mount_session(request);
  if (!session) {
    return std::unexpected(
        std::move(session.error())
            .with_context("mounting " + request.image + " on " + request.target));
  }
  return session;
}

Result<MountRecord> end_mount_session(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    // sif-mount never mounts on a link: whatever it names is not this session's.
    return fail(ErrorKind::usage, dir + " is a symbolic link; give the directory itself");
  }
  SIFKIT_TRY_ASSIGN(auto target, session_target(dir));
  SIFKIT_TRY_ASSIGN(auto root, state_root());
  SessionPlace place = session_place(root, target);
  SIFKIT_TRY_ASSIGN(auto held, hold_session(place));
  if (held.verdict == SweepVerdict::absent) {
    return fail(ErrorKind::not_found, dir + " is not mounted by sif-mount");
  }
  if (held.verdict == SweepVerdict::in_use) {
    return fail(ErrorKind::conflict, "a sif-mount or sif-umount of " + dir + " is in progress");
  }
  auto record = read_mount_record(place.dir());
  if (!record) {
    if (record.error().kind() == ErrorKind::not_found) {
      // What a sif-mount killed before its first mount left.
      (void)remove_session(place, std::move(held.lock));
      return fail(ErrorKind::not_found, dir + " is not mounted by sif-mount");
    }
    return std::unexpected(record.error());
  }
  SIFKIT_TRY(with_context(unmount_all(*record), "unmounting " + dir));
  SIFKIT_TRY(remove_session(place, std::move(held.lock)));
  return record;
}

} // namespace sifkit::runtime
