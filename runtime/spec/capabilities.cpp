#include "capabilities.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace sifkit::runtime {

namespace {

// Indexed by capability number (linux/capability.h, up to CAP_CHECKPOINT_RESTORE).
const std::vector<std::string> k_names = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int capability_number(const std::string& name) {
  auto it = std::find(k_names.begin(), k_names.end(), name);
  return it == k_names.end() ? -1 : static_cast<int>(it - k_names.begin());
}

// A set ordered by capability number, so that every output list is deterministic.
using CapSet = std::set<int>;

CapSet to_set(const std::vector<std::string>& names) {
  CapSet set;
  for (const std::string& name : names) {
    if (name == "ALL") {
      for (int i = 0; i < static_cast<int>(k_names.size()); ++i) {
        set.insert(i);
      }
    } else if (int number = capability_number(name); number >= 0) {
      set.insert(number);
    }
  }
  return set;
}

std::vector<std::string> to_names(const CapSet& set) {
  std::vector<std::string> names;
  for (int number : set) {
    names.push_back(k_names[static_cast<std::size_t>(number)]);
  }
  return names;
}

CapSet minus(CapSet set, const CapSet& removed) {
  for (int number : removed) {
    set.erase(number);
  }
  return set;
}

} // namespace

const std::vector<std::string>& all_capability_names() {
  return k_names;
}

std::optional<std::string> normalize_capability(std::string_view text) {
  std::string upper;
  for (char c : text) {
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (!upper.starts_with("CAP_")) {
    upper = "CAP_" + upper;
  }
  if (capability_number(upper) < 0) {
    return std::nullopt;
  }
  return upper;
}

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> defaults = {
      "CAP_NET_RAW",      "CAP_NET_BIND_SERVICE",
      "CAP_AUDIT_READ",   "CAP_AUDIT_WRITE",
      "CAP_DAC_OVERRIDE", "CAP_SETFCAP",
      "CAP_SETPCAP",      "CAP_SETGID",
      "CAP_SETUID",       "CAP_MKNOD",
      "CAP_CHOWN",        "CAP_FOWNER",
      "CAP_FSETID",       "CAP_KILL",
      "CAP_SYS_CHROOT",
  };
  return defaults;
}

std::vector<std::string> capabilities_from_mask(std::uint64_t mask) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < k_names.size(); ++i) {
    if (mask & (std::uint64_t{1} << i)) {
      names.push_back(k_names[i]);
    }
  }
  return names;
}

CapabilitySets compute_capabilities(const RunOptions& options,
                                    const std::vector<std::string>& caller_effective,
                                    std::uint32_t target_uid) {
  CapabilitySets sets;
  if (options.no_privs) {
    return sets;
  }
  CapSet base = to_set(options.keep_privs ? caller_effective : default_capabilities());
  CapSet added = to_set(options.add_caps);
  CapSet dropped = to_set(options.drop_caps);
  base.insert(added.begin(), added.end());
  base = minus(std::move(base), dropped);

  sets.bounding = to_names(base);
  if (target_uid == 0) {
    sets.effective = sets.bounding;
    sets.permitted = sets.bounding;
    return sets;
  }
  // A non-root process keeps only what was asked for by name; ambient equals inheritable
  // so that the runtime-spec's "ambient ⊆ inheritable" holds.
  std::vector<std::string> explicit_caps = to_names(minus(std::move(added), dropped));
  sets.effective = explicit_caps;
  sets.permitted = explicit_caps;
  sets.inheritable = explicit_caps;
  sets.ambient = explicit_caps;
  return sets;
}

} // namespace sifkit::runtime
