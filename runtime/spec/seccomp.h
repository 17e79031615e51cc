#pragma once

// Seccomp filters for containers: a profile in the containers/Docker format (rules with
// "includes"/"excludes" by architecture, capability and kernel version, an "archMap")
// or already in the OCI format, turned into the runtime-spec's "linux.seccomp" for one
// container on this host.
#include <common/error.h>

#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

// What a profile's conditions are tested against.
struct SeccompTarget {
  std::string machine;        // uname(2) machine: x86_64, aarch64, ...
  std::string kernel_release; // uname(2) release: 6.1.0-18-amd64, ...
  std::set<std::string> caps; // the container's bounding set, "CAP_X" names
};

// The profiles looked for when a run names none, first found wins: a site's own, then
// the one Debian's golang-github-containers-common ships (podman's default).
inline constexpr std::string_view k_default_seccomp_profiles[] = {
    "/etc/sifkit/seccomp.json",
    "/usr/share/containers/seccomp.json",
};

// The first of k_default_seccomp_profiles that exists, or "" when none does.
std::string find_default_seccomp_profile();

// `profile` turned into an OCI "linux.seccomp" object for `target`: the architectures of
// the host's entry in "archMap" (or the profile's "architectures"), and every rule whose
// conditions hold, with its action, errno and argument filters. `unsupported` when the
// host's architecture is unknown to the converter, `corrupt_input` when `profile` is
// malformed (names the field).
Result<nlohmann::json> seccomp_for_container(const nlohmann::json& profile,
                                             const SeccompTarget& target);

// The uname(2) machine and release of this host.
SeccompTarget host_seccomp_target();

} // namespace sifkit::runtime
