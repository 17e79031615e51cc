#include <common/file.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "identity.h"
#include <fmt/format.h>

namespace sifkit::runtime {

namespace {

// The kernel accepts at most this many lines in a uid_map or gid_map.
constexpr std::size_t k_max_map_lines = 340;

bool parse_u32(std::string_view text, std::uint32_t& out) {
  if (text.empty()) {
    return false;
  }
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

// The three ':'-separated fields of a subid line; false when there are not exactly three.
bool split_fields(std::string_view line, std::string_view fields[3]) {
  for (int i = 0; i < 2; ++i) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return false;
    }
    fields[i] = line.substr(0, colon);
    line.remove_prefix(colon + 1);
  }
  fields[2] = line;
  return line.find(':') == std::string_view::npos;
}

bool owned_by(std::string_view field, const SubidOwner& owner) {
  if (!owner.name.empty() && field == owner.name) {
    return true;
  }
  std::uint32_t id = 0;
  return parse_u32(field, id) && id == owner.id;
}

std::string single_mapping_warning(const SubidOwner& user, bool no_uids, bool no_gids,
                                   bool no_helpers) {
  std::string who = user.name.empty() ? std::to_string(user.id) : user.name;
  if (no_helpers) {
    return fmt::format("--fakeroot maps only your own ids (uid {} and its group to 0): "
                       "newuidmap/newgidmap are not installed (Debian's uidmap package), so the "
                       "ranges in /etc/subuid and /etc/subgid cannot be used",
                       user.id);
  }
  std::string files = no_uids && no_gids ? "/etc/subuid and /etc/subgid"
                      : no_uids          ? "/etc/subuid"
                                         : "/etc/subgid";
  return fmt::format("--fakeroot maps only your own {} to 0: {} has no range for {}, so other "
                     "ids (chown, image files of other owners) are not mapped; an administrator "
                     "can add one with: usermod --add-subuids 100000-165535 --add-subgids "
                     "100000-165535 {}",
                     no_uids && no_gids ? "uid and gid" : (no_uids ? "uid" : "gid"), files, who,
                     who);
}

Result<std::string> read_sysctl(const std::string& path) {
  constexpr std::size_t k_max_sysctl = 4096;
  auto text = read_file(path, k_max_sysctl);
  if (!text) {
    return text;
  }
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) {
    text->pop_back();
  }
  return text;
}

} // namespace

std::vector<IdRange> parse_subid_ranges(std::string_view text, const SubidOwner& owner) {
  std::vector<IdRange> ranges;
  while (!text.empty()) {
    auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    std::string_view fields[3];
    IdRange range;
    if (!split_fields(line, fields) || !owned_by(fields[0], owner) ||
        !parse_u32(fields[1], range.start) || !parse_u32(fields[2], range.count) ||
        range.count == 0 ||
        range.count - 1 > std::numeric_limits<std::uint32_t>::max() - range.start) {
      continue;
    }
    ranges.push_back(range);
  }
  return ranges;
}

Result<std::vector<IdRange>> read_subid_ranges(const std::string& path, const SubidOwner& owner) {
  // Large sites list many accounts; a range line is about 30 bytes.
  constexpr std::size_t k_max_subid_file = std::size_t{64} << 20;
  auto text = read_file(path, k_max_subid_file);
  if (!text) {
    if (text.error().kind() == ErrorKind::not_found) {
      return std::vector<IdRange>();
    }
    return std::unexpected(std::move(text.error()).with_context("reading subordinate ids"));
  }
  return parse_subid_ranges(*text, owner);
}

std::vector<IdMapEntry> fakeroot_map(std::uint32_t caller, const std::vector<IdRange>& ranges) {
  std::vector<IdMapEntry> map = {{0, caller, 1}};
  std::uint64_t next_inside = 1;
  for (const auto& range : ranges) {
    if (map.size() == k_max_map_lines ||
        next_inside + range.count - 1 > std::numeric_limits<std::uint32_t>::max() - 1) {
      break;
    }
    map.push_back({static_cast<std::uint32_t>(next_inside), range.start, range.count});
    next_inside += range.count;
  }
  return map;
}

std::vector<IdMapEntry> caller_map_inside(std::uint32_t id, const std::vector<IdMapEntry>& outer) {
  std::uint64_t mapped = 0; // fakeroot_map maps 1..mapped consecutively
  for (std::size_t i = 1; i < outer.size(); ++i) {
    mapped += outer[i].count;
  }
  std::vector<IdMapEntry> map;
  if (id > 0 && mapped > 0) {
    map.push_back({0, 1, static_cast<std::uint32_t>(std::min<std::uint64_t>(id, mapped))});
  }
  map.push_back({id, 0, 1});
  if (mapped > id) {
    map.push_back({id + 1, id + 1, static_cast<std::uint32_t>(mapped - id)});
  }
  return map;
}

std::string map_text(const std::vector<IdMapEntry>& map) {
  std::string text;
  for (const auto& entry : map) {
    text += fmt::format("{} {} {}\n", entry.inside, entry.outside, entry.count);
  }
  return text;
}

std::vector<std::string> map_arguments(const std::vector<IdMapEntry>& map) {
  std::vector<std::string> args;
  for (const auto& entry : map) {
    args.push_back(std::to_string(entry.inside));
    args.push_back(std::to_string(entry.outside));
    args.push_back(std::to_string(entry.count));
  }
  return args;
}

Result<FakerootPlan> plan_fakeroot(const SubidOwner& user, std::uint32_t gid,
                                   const std::string& group_name, const FakerootSources& sources) {
  SIFKIT_TRY_ASSIGN(auto uid_ranges, read_subid_ranges(sources.subuid, user));
  // subgid lines name the user (shadow's usermod writes the user name), or the group.
  auto gid_ranges = read_subid_ranges(sources.subgid, user);
  if (gid_ranges && gid_ranges->empty() && !group_name.empty()) {
    gid_ranges = read_subid_ranges(sources.subgid, SubidOwner{group_name, gid});
  }
  if (!gid_ranges) {
    return std::unexpected(gid_ranges.error());
  }
  bool helpers = !sources.newuidmap.empty() && !sources.newgidmap.empty();
  bool any_ranges = !uid_ranges.empty() || !gid_ranges->empty();
  FakerootPlan plan;
  if (any_ranges && helpers) {
    plan.uids = fakeroot_map(user.id, uid_ranges);
    plan.gids = fakeroot_map(gid, *gid_ranges);
    plan.use_helpers = true;
  } else {
    plan.uids = fakeroot_map(user.id, {});
    plan.gids = fakeroot_map(gid, {});
  }
  if (uid_ranges.empty() || gid_ranges->empty() || (any_ranges && !helpers)) {
    plan.warning = single_mapping_warning(user, uid_ranges.empty(), gid_ranges->empty(),
                                          any_ranges && !helpers);
  }
  return plan;
}

Result<void> check_user_namespaces(const UsernsSysctls& sysctls, Privilege privilege) {
  auto max = read_sysctl(sysctls.max_user_namespaces);
  if (max && *max == "0") {
    return fail(ErrorKind::unsupported,
                fmt::format("user namespaces are disabled on this host ({} is 0): --fakeroot "
                            "and runs without root need one; an administrator can enable them "
                            "with: sysctl user.max_user_namespaces=15000",
                            sysctls.max_user_namespaces));
  }
  auto clone = read_sysctl(sysctls.unprivileged_userns_clone);
  if (privilege == Privilege::unprivileged && clone && *clone == "0") {
    return fail(
        ErrorKind::unsupported,
        fmt::format("unprivileged user namespaces are disabled on this host ({} is 0): "
                    "--fakeroot and runs without root need one; an administrator can enable "
                    "them with: sysctl kernel.unprivileged_userns_clone=1",
                    sysctls.unprivileged_userns_clone));
  }
  return {};
}

} // namespace sifkit::runtime
