#include "cgroups.h"

#include <common/file.h>

#include <sstream>

#include <fmt/format.h>

namespace sifkit::runtime {

namespace {

// Mount points in mountinfo escape space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      int value = 0;
      bool octal = true;
      for (std::size_t k = 1; k <= 3; ++k) {
        char c = text[i + k];
        octal = octal && c >= '0' && c <= '7';
        value = value * 8 + (c - '0');
      }
      if (octal) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    out.push_back(word);
  }
  return out;
}

} // namespace

std::string_view to_string(CgroupLayout layout) {
  switch (layout) {
  case CgroupLayout::none:
    return "none";
  case CgroupLayout::legacy:
    return "legacy (v1)";
  case CgroupLayout::unified:
    return "unified (v2)";
  case CgroupLayout::hybrid:
    return "hybrid (v1 + v2)";
  }
  return "unknown";
}

Result<CgroupInfo> detect_cgroups(const std::string& mountinfo) {
  auto text = read_file(mountinfo);
  if (!text) {
    return std::unexpected(text.error());
  }
  CgroupInfo info;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    // id parent major:minor root mount-point options [optional...] - fstype source super
    auto fields = words(line);
    std::size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") {
      ++dash;
    }
    if (dash < 5 || dash + 1 >= fields.size()) {
      continue;
    }
    const std::string& type = fields[dash + 1];
    if (type == "cgroup2") {
      info.v2_mount = unescape(fields[4]);
    } else if (type == "cgroup") {
      info.v1_mounts.push_back(unescape(fields[4]));
    }
  }
  if (!info.v2_mount.empty()) {
    if (auto controllers = read_file(info.v2_mount + "/cgroup.controllers"); controllers) {
      info.v2_controllers = words(*controllers);
    }
  }
  if (info.v1_mounts.empty()) {
    info.layout = info.v2_mount.empty() ? CgroupLayout::none : CgroupLayout::unified;
  } else {
    info.layout = info.v2_mount.empty() ? CgroupLayout::legacy : CgroupLayout::hybrid;
  }
  return info;
}

std::optional<std::string> crun_cgroup_problem(const CgroupInfo& info) {
  if (info.layout != CgroupLayout::hybrid || info.v2_controllers.empty()) {
    return std::nullopt;
  }
  std::string mounts;
  std::string names;
  for (const auto& controller : info.v2_controllers) {
    names += (names.empty() ? "" : ", ") + controller;
    mounts += fmt::format("\n  mkdir -p /sys/fs/cgroup/{0} && mount -t cgroup -o {0} cgroup "
                          "/sys/fs/cgroup/{0}",
                          controller);
  }
  return fmt::format(
      "crun cannot run containers on this host: its cgroups are hybrid (v1 hierarchies plus "
      "cgroup v2 at {}) and the v2 hierarchy holds controllers ({}), which crun refuses. "
      "Mount them as v1 hierarchies (as root):{}\nor boot with one cgroup version "
      "(systemd.unified_cgroup_hierarchy=1), or use --runtime runc",
      info.v2_mount, names, mounts);
}

} // namespace sifkit::runtime
