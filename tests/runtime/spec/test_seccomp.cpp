// Seccomp profiles in the containers/Docker format turned into the runtime-spec's
// linux.seccomp for one host and one capability set.
#include <runtime/spec/seccomp.h>

#include <algorithm>
#include <filesystem>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <support/fixtures.h>

using namespace sifkit;
using runtime::SeccompTarget;

namespace {

const nlohmann::json k_profile = nlohmann::json::parse(R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 38,
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
  ],
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": [], "includes": {}, "excludes": {}},
    {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    {"names": ["arm_only"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
    {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["new_call"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.10"}},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}
  ]
})");

SeccompTarget x86_host(std::set<std::string> caps = {}) {
  return SeccompTarget{"x86_64", "6.1.0-18-amd64", std::move(caps)};
}

// The names of every rule with `action` in the converted filter.
std::set<std::string> names_with(const nlohmann::json& filter, const std::string& action) {
  std::set<std::string> names;
  for (const auto& rule : filter["syscalls"]) {
    if (rule["action"] == action) {
      for (const auto& name : rule["names"]) {
        names.insert(name.get<std::string>());
      }
    }
  }
  return names;
}

} // namespace

TEST_CASE("a seccomp profile keeps the host's architectures and its default action", "[seccomp]") {
  auto filter = runtime::seccomp_for_container(k_profile, x86_host());
  REQUIRE(filter);
  CHECK((*filter)["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK((*filter)["defaultErrnoRet"] == 38);
  CHECK((*filter)["architectures"] ==
        nlohmann::json::array({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  auto arm = runtime::seccomp_for_container(k_profile, {"aarch64", "6.1.0", {}});
  REQUIRE(arm);
  CHECK((*arm)["architectures"] == nlohmann::json::array({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
}

TEST_CASE("seccomp rules apply by architecture, capability and kernel version", "[seccomp]") {
  auto plain = runtime::seccomp_for_container(k_profile, x86_host());
  REQUIRE(plain);
  auto allowed = names_with(*plain, "SCMP_ACT_ALLOW");
  CHECK(allowed.contains("read"));
  CHECK(allowed.contains("arch_prctl"));
  CHECK_FALSE(allowed.contains("arm_only"));
  CHECK_FALSE(allowed.contains("mount"));
  CHECK(names_with(*plain, "SCMP_ACT_ERRNO").contains("mount"));
  CHECK(allowed.contains("new_call"));

  auto admin = runtime::seccomp_for_container(k_profile, x86_host({"CAP_SYS_ADMIN"}));
  REQUIRE(admin);
  CHECK(names_with(*admin, "SCMP_ACT_ALLOW").contains("mount"));
  CHECK_FALSE(names_with(*admin, "SCMP_ACT_ERRNO").contains("mount"));

  auto old_kernel = runtime::seccomp_for_container(k_profile, {"x86_64", "4.19.0", {}});
  REQUIRE(old_kernel);
  CHECK_FALSE(names_with(*old_kernel, "SCMP_ACT_ALLOW").contains("new_call"));
}

TEST_CASE("seccomp rules keep their errno and argument filters", "[seccomp]") {
  auto filter = runtime::seccomp_for_container(k_profile, x86_host());
  REQUIRE(filter);
  bool saw_personality = false;
  for (const auto& rule : (*filter)["syscalls"]) {
    CHECK_FALSE(rule.contains("includes"));
    CHECK_FALSE(rule.contains("excludes"));
    if (rule["names"] == nlohmann::json::array({"personality"})) {
      saw_personality = true;
      CHECK(rule["args"] ==
            nlohmann::json::parse(R"([{"index":0,"value":8,"valueTwo":0,"op":"SCMP_CMP_EQ"}])"));
    }
    if (rule["names"] == nlohmann::json::array({"mount"})) {
      CHECK(rule["errnoRet"] == 1);
    }
  }
  CHECK(saw_personality);
}

TEST_CASE("malformed seccomp profiles and unknown machines are refused", "[seccomp]") {
  auto no_default = runtime::seccomp_for_container(nlohmann::json::object(), x86_host());
  REQUIRE_FALSE(no_default);
  CHECK(no_default.error().kind() == ErrorKind::corrupt_input);

  auto bad_names = nlohmann::json::parse(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":"read","action":"SCMP_ACT_ERRNO"}]})");
  auto names = runtime::seccomp_for_container(bad_names, x86_host());
  REQUIRE_FALSE(names);
  CHECK(names.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(names.error().what(), Catch::Contains("syscalls[0].names"));

  auto machine = runtime::seccomp_for_container(k_profile, {"pdp11", "6.1", {}});
  REQUIRE_FALSE(machine);
  CHECK(machine.error().kind() == ErrorKind::unsupported);
}

TEST_CASE("Debian's containers profile becomes a filter that allows bpf only with "
          "CAP_SYS_ADMIN and never kexec_load",
          "[seccomp]") {
  const std::string path = "/usr/share/containers/seccomp.json";
  if (!std::filesystem::exists(path)) {
    SIFKIT_SKIP(program, path << " is missing (Debian's golang-github-containers-common)");
    return;
  }
  auto profile = nlohmann::json::parse(test::file_bytes(path));
  auto plain = runtime::seccomp_for_container(profile, x86_host({"CAP_CHOWN", "CAP_KILL"}));
  REQUIRE(plain);
  auto allowed = names_with(*plain, "SCMP_ACT_ALLOW");
  CHECK(allowed.contains("read"));
  CHECK(allowed.contains("execve"));
  CHECK_FALSE(allowed.contains("bpf"));
  CHECK_FALSE(allowed.contains("init_module"));
  CHECK_FALSE(allowed.contains("kexec_load"));
  auto admin = runtime::seccomp_for_container(profile, x86_host({"CAP_SYS_ADMIN"}));
  REQUIRE(admin);
  CHECK(names_with(*admin, "SCMP_ACT_ALLOW").contains("bpf"));
  CHECK_FALSE(names_with(*admin, "SCMP_ACT_ALLOW").contains("init_module"));
}
