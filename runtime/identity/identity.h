#pragma once

// The public header of runtime/identity/. Who runs inside the container: the image's passwd and
// group files, --fakeroot's id maps, and user namespaces.
//
// Other rooms of runtime/ and the tools include only this header of the room; the
// other headers in the folder are internal to it.
#include <common/error.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

// The container's /etc/passwd and /etc/group: parsing, resolving an image's USER against
// them, and the copies sif-run binds over them with the caller's own entries.

struct PasswdEntry {
  std::string name;
  std::string password; // as written ("x" for a shadow entry)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string gecos;
  std::string home;
  std::string shell;
};

struct GroupEntry {
  std::string name;
  std::string password; // as written ("x" for a gshadow entry)
  std::uint32_t gid = 0;
  std::vector<std::string> members;
};

// The well-formed entries of passwd text `text` (7 fields, numeric ids), in file order;
// comments and malformed lines are skipped.
std::vector<PasswdEntry> parse_passwd(std::string_view text);

// The well-formed entries of group text `text` (4 fields, numeric gid), in file order.
std::vector<GroupEntry> parse_group(std::string_view text);

// Parses `text` as a decimal id (no sign, fits in 32 bits); nullopt otherwise.
std::optional<std::uint32_t> parse_id(std::string_view text);

// Who an image's USER ("name", "uid", "name:group", "uid:gid", mixed) runs as.
struct ResolvedUser {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string name; // the passwd entry's name; empty when a numeric uid has no entry
  std::string home; // the passwd entry's home; "/" when there is no entry
  // `gid` first, then the groups listing `name`, ascending: the primary group is kept in
  // the supplementary list (as containerd does since CVE-2023-25173), so that setgroups()
  // in the runtime does not drop it.
  std::vector<std::uint32_t> additional_gids;
};

// Resolves `user_spec` against the container's `passwd_text` and `group_text`. Numeric
// ids need no entry (a uid without one gets gid 0); a name that has no entry is
// `not_found` naming it; an empty part is `usage`.
Result<ResolvedUser> resolve_user(std::string_view user_spec, std::string_view passwd_text,
                                  std::string_view group_text);

// The caller as it should appear in the container's passwd.
struct CallerEntry {
  std::string name;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string home;
  std::string group_name; // the primary group's name; empty when unknown
};

// The entries of `passwd_text` (only lines that parse, written again from their fields:
// comments and malformed lines are dropped) without those for the caller's uid or name,
// and the caller's entry where the first of them was (else appended). The shell is that
// of the container's entry for the uid (else the name) when it had one, else /bin/sh.
std::string passwd_with_caller(std::string_view passwd_text, const CallerEntry& caller);

// The entries of `group_text` (only lines that parse, written again from their fields)
// with the caller's primary group: an existing entry for the gid gets the caller as a
// member; otherwise one is appended, named `caller.group_name` (or "group<gid>" when that
// is unknown or taken by another gid).
std::string group_with_caller(std::string_view group_text, const CallerEntry& caller);

// --fakeroot's identity plan: the caller's subordinate id ranges from /etc/subuid and
// /etc/subgid (shadow's NAME_OR_UID:START:COUNT lines), the user-namespace maps built from
// them (the caller is 0, the ranges follow from 1), and the check that this kernel lets
// the caller create a user namespace at all. Pure functions over texts and paths, so the
// tests can feed them files of their own.

// One subordinate id range: ids [start, start + count) on the host.
struct IdRange {
  std::uint32_t start = 0;
  std::uint32_t count = 0;
  bool operator==(const IdRange&) const = default;
};

// One line of a uid_map or gid_map: `count` ids from `inside` map to ids from `outside`.
struct IdMapEntry {
  std::uint32_t inside = 0;
  std::uint32_t outside = 0;
  std::uint32_t count = 0;
  bool operator==(const IdMapEntry&) const = default;
};

// Who asks for ranges: the owner field of a subid line matches the name or the decimal id.
struct SubidOwner {
  std::string name; // the account's name; empty when the host's passwd has none
  std::uint32_t id = 0;
};

// The ranges `owner` holds in the text of a subuid/subgid file, in file order. As shadow
// does, lines that do not parse (comments, blank lines, too few fields, non-numbers) and
// ranges of count 0 are skipped, not errors.
std::vector<IdRange> parse_subid_ranges(std::string_view text, const SubidOwner& owner);

// The ranges of `owner` in the file at `path`; none when the file does not exist. `io`
// when it exists but cannot be read.
Result<std::vector<IdRange>> read_subid_ranges(const std::string& path, const SubidOwner& owner);

// The map of a fakeroot namespace: `caller` → 0 (one id), then each range in turn from
// id 1 on, up to the kernel's limit of 340 lines. Without ranges only the first line.
std::vector<IdMapEntry> fakeroot_map(std::uint32_t caller, const std::vector<IdRange>& ranges);

// The map of a container's own user namespace inside a fakeroot namespace made with
// `outer` (fakeroot_map's result) so that container id `id` is the namespace's 0, the
// caller on the host (SingularityCE's map): container 0..id-1 → 1..id, id → 0, and
// id+1.. → id+1.. as far as `outer` maps ids. Only {id, 0, 1} when `outer` maps 0 alone.
std::vector<IdMapEntry> caller_map_inside(std::uint32_t id, const std::vector<IdMapEntry>& outer);

// The text of a /proc/PID/uid_map for `map` ("inside outside count" lines).
std::string map_text(const std::vector<IdMapEntry>& map);

// newuidmap/newgidmap's arguments for `map` after the pid: "inside outside count ...".
std::vector<std::string> map_arguments(const std::vector<IdMapEntry>& map);

// What a fakeroot namespace needs: its two maps, and whether they need the setuid helpers
// (more than one line: a process may write only its own id into its map).
struct FakerootPlan {
  std::vector<IdMapEntry> uids;
  std::vector<IdMapEntry> gids;
  bool use_helpers = false;
  std::string warning; // for the user: why the plan is a single-id mapping; empty if not
};

// Where the plan's inputs live; the defaults are the host's files.
struct FakerootSources {
  std::string subuid = "/etc/subuid";
  std::string subgid = "/etc/subgid";
  std::string newuidmap; // the helpers' paths; empty: not installed
  std::string newgidmap;
};

// Plans the fakeroot namespace of `uid`:`gid` (named `name`): both maps and, when the
// caller has no ranges in either file or the helpers are missing, a single-id mapping and
// a warning that says what to add. `io` when a subid file cannot be read.
Result<FakerootPlan> plan_fakeroot(const SubidOwner& user, std::uint32_t gid,
                                   const std::string& group_name, const FakerootSources& sources);

// The kernel switches that can forbid user namespaces.
struct UsernsSysctls {
  std::string max_user_namespaces = "/proc/sys/user/max_user_namespaces";
  // Debian's and Ubuntu's patch for unprivileged users (absent on newer kernels).
  std::string unprivileged_userns_clone = "/proc/sys/kernel/unprivileged_userns_clone";
};

enum class Privilege { root, unprivileged };

// Fails with `unsupported` naming the sysctl (and the value to set) when `sysctls` forbid
// `privilege` to create user namespaces; files that do not exist forbid nothing.
Result<void> check_user_namespaces(const UsernsSysctls& sysctls, Privilege privilege);

// The user namespace a plain account runs in (--fakeroot, and plain runs when the caller
// has subuid ranges): this process unshares a user namespace and a mount namespace, a
// helper forked before (so still outside) writes the maps with newuidmap/newgidmap (or
// the process writes its single-id map itself), and the process carries on as 0:0 there
// with a full capability set. Every mount made afterwards (squashfuse, overlay, tmpfs)
// belongs to that mount namespace and goes away with its last process, however the run
// ends.

// Moves the calling process, which must have one thread, into a new user and mount
// namespace with `plan`'s maps and makes it 0:0 there, its mounts slaves of the host's.
// `unsupported` when the kernel refuses the namespace (naming the sysctl to check), `io`
// when a map cannot be written (with newuidmap's own message); after a failed map the
// process is in an unusable namespace and must give up the run.
Result<void> enter_user_namespace(const FakerootPlan& plan, const FakerootSources& sources);

// Whether `uid_map` (the text of /proc/PID/uid_map) is the initial user namespace's
// identity map of every id.
bool is_initial_uid_map(std::string_view uid_map);

// Whether this process runs in a user namespace other than the initial one (its root is
// then no root of the host's: no loop devices, overlayfs only on kernels from 5.11).
bool in_user_namespace();

// The namespace planned for the calling process and the helpers that map it.
struct CallerNamespace {
  FakerootPlan plan;
  FakerootSources sources;
};

// Plans the caller's namespace: checks the sysctls, then maps from the caller's
// /etc/subuid and /etc/subgid ranges, with newuidmap/newgidmap from PATH. Errors as
// check_user_namespaces and plan_fakeroot.
Result<CallerNamespace> plan_caller_namespace();

// Gives the container of `spec` (config.json) a user namespace of its own inside the
// caller's namespace planned as `plan`, in which its process user is the caller's ids
// again (caller_map_inside): so files the container writes into host directories belong
// to the caller. Supplementary groups the map lacks are dropped.
// `unsupported` when the caller has no subuid ranges and `runtime_name` is runc, which
// refuses a container user namespace without a root mapping, and the container's user is
// not root.
Result<void> map_container_to_caller(nlohmann::json& spec, const FakerootPlan& plan,
                                     std::uint32_t caller_uid, std::uint32_t caller_gid,
                                     const std::string& runtime_name);

} // namespace sifkit::runtime
