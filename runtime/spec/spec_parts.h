#pragma once

// The pieces build_spec() assembles, one file each: the target user (spec_user.cpp), the
// process (spec_process.cpp), the mounts (spec_mounts.cpp) and the files bound into the
// container (spec_files.cpp). Internal to runtime/.
#include <common/file.h>
#include <runtime/spec/spec.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <sys/types.h>

namespace sifkit::runtime::detail {

// Who the container's process runs as, and where its home is.
struct TargetUser {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> additional_gids;
  std::string home;          // HOME, the passwd entry's home, the home mount's destination
  bool from_image = false;   // the image's USER decided it
  bool home_mounted = false; // something is mounted at `home`
  HomeMode home_mode = HomeMode::none; // the effective mode (--no-mount home → none)
};

// Resolves the image's USER against `inputs.rootfs`/etc/{passwd,group}, or takes the
// caller's ids, and decides the home. `not_found` for a USER name the container lacks,
// `usage` for a custom --home with an image USER or a home mode without a destination.
Result<TargetUser> resolve_target_user(const SpecInputs& inputs);

// The "process" object: args, env, cwd, user, capabilities, terminal, noNewPrivileges.
// `usage` when there is no command or --cwd is relative; env failures as
// build_environment.
Result<nlohmann::json> build_process(const SpecInputs& inputs, const TargetUser& user);

// The "mounts" array in SingularityCE's order, writing the bound files into
// `inputs.files_dir`. `usage` for a missing bind source, a relative destination or a bad
// --dns address, `io` when a file or directory cannot be written.
Result<nlohmann::json> build_mounts(const SpecInputs& inputs, const TargetUser& user);

// Appends the mounts of generated files (resolv.conf, hosts, passwd, group) and of the
// SIFKIT_CONTAINLIBS libraries to `mounts`. Failures as build_mounts.
Result<void> add_file_mounts(const SpecInputs& inputs, const TargetUser& user,
                             nlohmann::json& mounts);

// Sets "linux.resources" from `inputs.options->resources` (spec_resources.cpp).
// `usage` for malformed limits or an unreadable --apply-cgroups file.
Result<void> add_resources(const SpecInputs& inputs, nlohmann::json& spec);

// Adds the GPUs (--nv, --rocm) and CDI devices (--device) to `spec` (spec_devices.cpp):
// device nodes, mounts, env and hooks. `not_found` for a CDI device no spec names.
Result<void> add_devices(const SpecInputs& inputs, nlohmann::json& spec);

// Whether the runtime creates a user namespace of the container's own (-u/--userns without
// --fakeroot; --fakeroot's is the one sif-run entered).
bool runtime_user_namespace(const RunOptions& options);

// Sets "linux.seccomp" from the profile `inputs.options->seccomp` names, or the host's
// default profile, filtered for the process's bounding set (spec_seccomp.cpp); without
// any profile a warning through `inputs.note`. `usage` for a profile file that cannot be
// read, `corrupt_input` for a malformed one.
Result<void> add_seccomp(const SpecInputs& inputs, nlohmann::json& spec);

// Hands `text` to `inputs.note` when there is one.
void note(const SpecInputs& inputs, const std::string& text);
// Opens the --workdir directory (created when missing). As root (`inputs.host->uid` 0) it
// must belong to root and be writable by no other user unless sticky: `usage` otherwise.
Result<File> open_workdir(const SpecInputs& inputs);

// Makes (when missing) each directory of `relative` below `workdir`, none of them through a
// link, sets the last one's mode to `mode` and returns its host path. `usage` when a
// component is a link, another file, or belongs to another user than the effective uid.
Result<std::string> workdir_subdir(const File& workdir, const std::string& relative, mode_t mode);

// One mounts[] entry.
nlohmann::json mount_entry(const std::string& destination, const std::string& type,
                           const std::string& source, std::vector<std::string> options);

// The text of the host file `path` (links followed), or "" when it does not exist;
// `capacity` past `max_bytes`, `io` for other read failures.
Result<std::string> read_optional_file(const std::string& path, std::size_t max_bytes);

// The most read of an image's /etc/passwd or /etc/group.
inline constexpr std::size_t k_max_identity_file = std::size_t{4} << 20;

// The image's /etc/passwd and /etc/group ("" for one that does not exist).
struct ImageIdentity {
  std::string passwd;
  std::string group;
};

// Reads the image's /etc/passwd and /etc/group inside `inputs.rootfs`, every link resolved
// with the rootfs as "/" (as the container sees them; none leads to a host file), regular
// files of at most k_max_identity_file bytes: `capacity` past that, `usage` for a FIFO,
// device or directory, `io` otherwise, each naming the file.
Result<ImageIdentity> read_image_identity(const SpecInputs& inputs);

} // namespace sifkit::runtime::detail
