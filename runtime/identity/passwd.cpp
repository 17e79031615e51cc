#include <common/text.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "identity.h"
#include <fmt/format.h>

namespace sifkit::runtime {

namespace {

// The lines of `text` without their newlines; a final newline adds no empty line.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines = split(text, '\n');
  if (!lines.empty() && lines.back().empty()) {
    lines.pop_back();
  }
  return lines;
}

std::optional<PasswdEntry> parse_passwd_line(std::string_view line) {
  if (line.empty() || line.front() == '#') {
    return std::nullopt;
  }
  std::vector<std::string_view> fields = split(line, ':');
  if (fields.size() != 7 || fields[0].empty()) {
    return std::nullopt;
  }
  auto uid = parse_id(fields[2]);
  auto gid = parse_id(fields[3]);
  if (!uid || !gid) {
    return std::nullopt;
  }
  return PasswdEntry{
      std::string(fields[0]), std::string(fields[1]), *uid, *gid, std::string(fields[4]),
      std::string(fields[5]), std::string(fields[6])};
}

std::optional<GroupEntry> parse_group_line(std::string_view line) {
  if (line.empty() || line.front() == '#') {
    return std::nullopt;
  }
  std::vector<std::string_view> fields = split(line, ':');
  if (fields.size() != 4 || fields[0].empty()) {
    return std::nullopt;
  }
  auto gid = parse_id(fields[2]);
  if (!gid) {
    return std::nullopt;
  }
  GroupEntry entry{std::string(fields[0]), std::string(fields[1]), *gid, {}};
  if (!fields[3].empty()) {
    for (std::string_view member : split(fields[3], ',')) {
      entry.members.emplace_back(member);
    }
  }
  return entry;
}

std::string format_group(const GroupEntry& group) {
  std::string members;
  for (const std::string& member : group.members) {
    members += (members.empty() ? "" : ",") + member;
  }
  return fmt::format("{}:{}:{}:{}\n", group.name, group.password, group.gid, members);
}

std::string format_passwd(const PasswdEntry& entry) {
  return fmt::format("{}:{}:{}:{}:{}:{}:{}\n", entry.name, entry.password, entry.uid, entry.gid,
                     entry.gecos, entry.home, entry.shell);
}

} // namespace

std::optional<std::uint32_t> parse_id(std::string_view text) {
  std::uint32_t value = 0;
  if (text.empty() || text.front() == '+' || text.front() == '-') {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> entries;
  for (std::string_view line : lines_of(text)) {
    if (auto entry = parse_passwd_line(line)) {
      entries.push_back(std::move(*entry));
    }
  }
  return entries;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> entries;
  for (std::string_view line : lines_of(text)) {
    if (auto entry = parse_group_line(line)) {
      entries.push_back(std::move(*entry));
    }
  }
  return entries;
}

Result<ResolvedUser> resolve_user(std::string_view user_spec, std::string_view passwd_text,
                                  std::string_view group_text) {
  std::size_t colon = user_spec.find(':');
  std::string_view user_part = user_spec.substr(0, colon);
  std::optional<std::string_view> group_part;
  if (colon != std::string_view::npos) {
    group_part = user_spec.substr(colon + 1);
  }
  if (user_part.empty() || (group_part && group_part->empty())) {
    return fail(ErrorKind::usage, fmt::format("malformed image USER '{}'", user_spec));
  }

  std::vector<PasswdEntry> users = parse_passwd(passwd_text);
  std::vector<GroupEntry> groups = parse_group(group_text);
  ResolvedUser resolved;
  resolved.home = "/";
  const PasswdEntry* entry = nullptr;
  auto numeric_uid = parse_id(user_part);
  for (const PasswdEntry& candidate : users) {
    if (numeric_uid ? candidate.uid == *numeric_uid : candidate.name == user_part) {
      entry = &candidate;
      break;
    }
  }
  if (!entry && !numeric_uid) {
    return fail(
        ErrorKind::not_found,
        fmt::format("the image's USER '{}' is not in the container's /etc/passwd", user_part));
  }
  resolved.uid = entry ? entry->uid : *numeric_uid;
  if (entry) {
    resolved.gid = entry->gid;
    resolved.name = entry->name;
    resolved.home = entry->home.empty() ? "/" : entry->home;
  }

  if (group_part) {
    if (auto numeric_gid = parse_id(*group_part)) {
      resolved.gid = *numeric_gid;
    } else {
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const GroupEntry& g) { return g.name == *group_part; });
      if (it == groups.end()) {
        return fail(ErrorKind::not_found,
                    fmt::format("the image's USER group '{}' is not in the container's "
                                "/etc/group",
                                *group_part));
      }
      resolved.gid = it->gid;
    }
  }

  resolved.additional_gids = {resolved.gid};
  if (!resolved.name.empty()) {
    std::set<std::uint32_t> extra;
    for (const GroupEntry& group : groups) {
      bool member = std::find(group.members.begin(), group.members.end(), resolved.name) !=
                    group.members.end();
      if (member && group.gid != resolved.gid) {
        extra.insert(group.gid);
      }
    }
    resolved.additional_gids.insert(resolved.additional_gids.end(), extra.begin(), extra.end());
  }
  return resolved;
}

std::string passwd_with_caller(std::string_view passwd_text, const CallerEntry& caller) {
  std::vector<PasswdEntry> entries = parse_passwd(passwd_text);
  std::string shell;
  for (const PasswdEntry& entry : entries) {
    if (entry.uid == caller.uid && !entry.shell.empty()) {
      shell = entry.shell;
      break;
    }
    if (shell.empty() && entry.name == caller.name) {
      shell = entry.shell;
    }
  }
  if (shell.empty()) {
    shell = "/bin/sh";
  }
  PasswdEntry own{caller.name, "x", caller.uid, caller.gid, caller.name, caller.home, shell};

  // Only parsed fields are written: a line that is no entry never reaches the container.
  std::string out;
  bool placed = false;
  for (const PasswdEntry& entry : entries) {
    if (entry.uid == caller.uid || entry.name == caller.name) {
      if (!placed) {
        out += format_passwd(own);
        placed = true;
      }
      continue;
    }
    out += format_passwd(entry);
  }
  if (!placed) {
    out += format_passwd(own);
  }
  return out;
}

std::string group_with_caller(std::string_view group_text, const CallerEntry& caller) {
  std::vector<GroupEntry> groups = parse_group(group_text);
  bool has_gid = false;
  std::string out;
  for (GroupEntry& entry : groups) {
    if (entry.gid == caller.gid) {
      has_gid = true;
      if (std::find(entry.members.begin(), entry.members.end(), caller.name) ==
          entry.members.end()) {
        entry.members.push_back(caller.name);
      }
    }
    out += format_group(entry);
  }
  if (!has_gid) {
    std::string name = caller.group_name;
    bool taken = std::any_of(groups.begin(), groups.end(),
                             [&](const GroupEntry& g) { return g.name == name; });
    if (name.empty() || taken) {
      name = fmt::format("group{}", caller.gid);
    }
    out += format_group(GroupEntry{name, "x", caller.gid, {caller.name}});
  }
  return out;
}

} // namespace sifkit::runtime
