// The seccomp part of config.json: the run's profile (or the host's default one) filtered
// for this host and the container's capabilities.
#include <common/file.h>
#include <runtime/spec/seccomp.h>
#include <runtime/spec/spec_parts.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sifkit::runtime::detail {

namespace {

std::set<std::string> bounding_caps(const nlohmann::json& spec) {
  std::set<std::string> caps;
  const auto& process = spec.value("process", nlohmann::json::object());
  const auto& sets = process.value("capabilities", nlohmann::json::object());
  for (const auto& cap : sets.value("bounding", nlohmann::json::array())) {
    if (cap.is_string()) {
      caps.insert(cap.get<std::string>());
    }
  }
  return caps;
}

Result<nlohmann::json> read_profile(const std::string& path) {
  SIFKIT_TRY_ASSIGN(auto text, with_context(read_file(path), "reading seccomp profile " + path));
  auto profile = nlohmann::json::parse(text, nullptr, false);
  if (profile.is_discarded()) {
    return fail(ErrorKind::corrupt_input, "seccomp profile " + path + " is not valid JSON");
  }
  return profile;
}

} // namespace

Result<void> add_seccomp(const SpecInputs& inputs, nlohmann::json& spec) {
  const std::string& choice = inputs.options->seccomp;
  if (choice == k_seccomp_unconfined) {
    return {};
  }
  const bool chosen = !choice.empty();
  const std::string& path = chosen ? choice : inputs.host->seccomp_profile;
  if (path.empty()) {
    note(inputs, "warning: no default seccomp profile (/etc/sifkit/seccomp.json, or "
                 "/usr/share/containers/seccomp.json from Debian's "
                 "golang-github-containers-common): the container runs without a syscall "
                 "filter");
    return {};
  }
  auto profile = read_profile(path);
  if (!profile) {
    auto error = std::move(profile.error());
    if (chosen && error.kind() != ErrorKind::corrupt_input) {
      return fail(ErrorKind::usage, "--security seccomp:" + path + ": " + error.what());
    }
    return std::unexpected(std::move(error));
  }
  SeccompTarget target{inputs.host->machine, inputs.host->kernel_release, bounding_caps(spec)};
  SIFKIT_TRY_ASSIGN(auto filter, with_context(seccomp_for_container(*profile, target),
                                              "seccomp profile " + path));
  spec["linux"]["seccomp"] = std::move(filter);
  return {};
}

} // namespace sifkit::runtime::detail
