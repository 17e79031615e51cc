#include "seccomp.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/utsname.h>

namespace sifkit::runtime {

namespace {

struct HostArch {
  std::string_view machine;      // uname
  std::string_view go_name;      // the names profiles' "arches" conditions use
  std::string_view seccomp_name; // libseccomp's
};

constexpr HostArch k_arches[] = {
    {"x86_64", "amd64", "SCMP_ARCH_X86_64"},     {"aarch64", "arm64", "SCMP_ARCH_AARCH64"},
    {"ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE"}, {"s390x", "s390x", "SCMP_ARCH_S390X"},
    {"riscv64", "riscv64", "SCMP_ARCH_RISCV64"}, {"i686", "386", "SCMP_ARCH_X86"},
};

Result<nlohmann::json> malformed(const std::string& what) {
  return fail(ErrorKind::corrupt_input, "seccomp profile: " + what);
}

// "6.1.0-18-amd64" → {6, 1}; unparsable parts count as 0.
std::pair<int, int> kernel_version(std::string_view release) {
  int major = 0;
  int minor = 0;
  auto [rest, ec] = std::from_chars(release.data(), release.data() + release.size(), major);
  if (ec == std::errc() && rest < release.data() + release.size() && *rest == '.') {
    std::from_chars(rest + 1, release.data() + release.size(), minor);
  }
  return {major, minor};
}

bool kernel_at_least(const SeccompTarget& target, const std::string& min_kernel) {
  return kernel_version(target.kernel_release) >= kernel_version(min_kernel);
}

bool lists(const nlohmann::json& list, std::string_view value) {
  return list.is_array() && std::any_of(list.begin(), list.end(), [&](const auto& item) {
           return item.is_string() && item.template get<std::string>() == value;
         });
}

bool has_any_cap(const nlohmann::json& caps, const SeccompTarget& target) {
  return caps.is_array() && std::any_of(caps.begin(), caps.end(), [&](const auto& cap) {
           return cap.is_string() && target.caps.contains(cap.template get<std::string>());
         });
}

bool has_all_caps(const nlohmann::json& caps, const SeccompTarget& target) {
  return !caps.is_array() || std::all_of(caps.begin(), caps.end(), [&](const auto& cap) {
    return cap.is_string() && target.caps.contains(cap.template get<std::string>());
  });
}

// Whether a rule applies to `target`: none of its "excludes" and all of its "includes"
// hold (the containers/Docker profile semantics).
bool rule_applies(const nlohmann::json& rule, const HostArch& arch, const SeccompTarget& target) {
  static const nlohmann::json k_none = nlohmann::json::object();
  const auto& excludes =
      rule.contains("excludes") && rule["excludes"].is_object() ? rule["excludes"] : k_none;
  const auto& includes =
      rule.contains("includes") && rule["includes"].is_object() ? rule["includes"] : k_none;
  if (lists(excludes.value("arches", nlohmann::json()), arch.go_name) ||
      has_any_cap(excludes.value("caps", nlohmann::json()), target)) {
    return false;
  }
  if (auto min = excludes.value("minKernel", std::string());
      !min.empty() && kernel_at_least(target, min)) {
    return false;
  }
  auto arches = includes.value("arches", nlohmann::json());
  if (arches.is_array() && !arches.empty() && !lists(arches, arch.go_name)) {
    return false;
  }
  if (!has_all_caps(includes.value("caps", nlohmann::json()), target)) {
    return false;
  }
  auto min = includes.value("minKernel", std::string());
  return min.empty() || kernel_at_least(target, min);
}

Result<nlohmann::json> convert_rule(const nlohmann::json& rule, std::size_t index) {
  auto where = [&](const char* field) { return fmt::format("syscalls[{}].{}", index, field); };
  nlohmann::json names = nlohmann::json::array();
  if (rule.contains("names")) {
    if (!rule["names"].is_array()) {
      return malformed(where("names") + " is not a list");
    }
    names = rule["names"];
  } else if (rule.contains("name") && rule["name"].is_string()) {
    names.push_back(rule["name"]); // the older one-name form
  }
  if (!std::all_of(names.begin(), names.end(), [](const auto& n) { return n.is_string(); })) {
    return malformed(where("names") + " holds a non-string");
  }
  if (!rule.contains("action") || !rule["action"].is_string()) {
    return malformed(where("action") + " is missing");
  }
  nlohmann::json out = {{"names", std::move(names)}, {"action", rule["action"]}};
  if (rule.contains("errnoRet") && rule["errnoRet"].is_number_unsigned()) {
    out["errnoRet"] = rule["errnoRet"];
  }
  nlohmann::json args = nlohmann::json::array();
  if (rule.contains("args") && rule["args"].is_array()) {
    for (const auto& arg : rule["args"]) {
      if (!arg.is_object() || !arg.contains("index") || !arg.contains("op") ||
          !arg["index"].is_number_unsigned() || !arg["op"].is_string()) {
        return malformed(where("args") + " has an entry without index and op");
      }
      nlohmann::json one = {{"index", arg["index"]}, {"op", arg["op"]}};
      for (const char* field : {"value", "valueTwo"}) {
        if (arg.contains(field) && arg[field].is_number_unsigned()) {
          one[field] = arg[field];
        }
      }
      args.push_back(std::move(one));
    }
  }
  if (!args.empty()) {
    out["args"] = std::move(args);
  }
  return out;
}

nlohmann::json architectures(const nlohmann::json& profile, const HostArch& arch) {
  nlohmann::json list = nlohmann::json::array();
  if (profile.contains("archMap") && profile["archMap"].is_array()) {
    for (const auto& entry : profile["archMap"]) {
      if (entry.is_object() && entry.value("architecture", "") == arch.seccomp_name) {
        list.push_back(arch.seccomp_name);
        for (const auto& sub : entry.value("subArchitectures", nlohmann::json::array())) {
          if (sub.is_string()) {
            list.push_back(sub);
          }
        }
      }
    }
  } else if (profile.contains("architectures") && profile["architectures"].is_array()) {
    list = profile["architectures"];
  }
  if (list.empty()) {
    list.push_back(arch.seccomp_name);
  }
  return list;
}

} // namespace

std::string find_default_seccomp_profile() {
  std::error_code ec;
  for (auto path : k_default_seccomp_profiles) {
    if (std::filesystem::is_regular_file(std::string(path), ec)) {
      return std::string(path);
    }
  }
  return {};
}

Result<nlohmann::json> seccomp_for_container(const nlohmann::json& profile,
                                             const SeccompTarget& target) {
  const auto* arch = std::find_if(std::begin(k_arches), std::end(k_arches),
                                  [&](const HostArch& a) { return a.machine == target.machine; });
  if (arch == std::end(k_arches)) {
    return fail(ErrorKind::unsupported,
                fmt::format("no seccomp architecture is known for machine '{}'", target.machine));
  }
  if (!profile.is_object() || !profile.contains("defaultAction") ||
      !profile["defaultAction"].is_string()) {
    return malformed("defaultAction is missing");
  }
  if (profile.contains("syscalls") && !profile["syscalls"].is_array()) {
    return malformed("syscalls is not a list");
  }
  nlohmann::json out = {{"defaultAction", profile["defaultAction"]},
                        {"architectures", architectures(profile, *arch)}};
  if (profile.contains("defaultErrnoRet") && profile["defaultErrnoRet"].is_number_unsigned()) {
    out["defaultErrnoRet"] = profile["defaultErrnoRet"];
  }
  nlohmann::json syscalls = nlohmann::json::array();
  const auto& rules = profile.value("syscalls", nlohmann::json::array());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (!rules[i].is_object()) {
      return malformed(fmt::format("syscalls[{}] is not an object", i));
    }
    if (!rule_applies(rules[i], *arch, target)) {
      continue;
    }
    SIFKIT_TRY_ASSIGN(auto rule, convert_rule(rules[i], i));
    if (!rule["names"].empty()) {
      syscalls.push_back(std::move(rule));
    }
  }
  out["syscalls"] = std::move(syscalls);
  return out;
}

SeccompTarget host_seccomp_target() {
  struct utsname name {};
  SeccompTarget target;
  if (::uname(&name) == 0) {
    target.machine = name.machine;
    target.kernel_release = name.release;
  }
  return target;
}

} // namespace sifkit::runtime
