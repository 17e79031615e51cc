#pragma once

// The container's /etc/passwd and /etc/group: parsing, resolving an image's USER against
// them, and the copies sif-run binds over them with the caller's own entries.
#include <common/error.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit::runtime {

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

} // namespace sifkit::runtime
