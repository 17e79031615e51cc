#pragma once

// --fakeroot's identity plan: the caller's subordinate id ranges from /etc/subuid and
// /etc/subgid (shadow's NAME_OR_UID:START:COUNT lines), the user-namespace maps built from
// them (the caller is 0, the ranges follow from 1), and the check that this kernel lets
// the caller create a user namespace at all. Pure functions over texts and paths, so the
// tests can feed them files of their own.
#include <common/error.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit::runtime {

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

} // namespace sifkit::runtime
