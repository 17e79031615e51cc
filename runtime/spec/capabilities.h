#pragma once

// Linux capability names and the process capability sets of a container, as SingularityCE's
// OCI mode computes them: a default set, the caller's set with --keep-privs, --add-caps and
// --drop-caps applied, and nothing at all with --no-privs.
#include <runtime/spec/spec.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit::runtime {

// Every capability the kernel defines (numbers 0..40), as "CAP_X" names, in number order.
const std::vector<std::string>& all_capability_names();

// `text` ("net_raw", "CAP_NET_RAW", "Cap_Net_Raw") as a known "CAP_X" name; nullopt when
// no capability has that name.
std::optional<std::string> normalize_capability(std::string_view text);

// The 15 capabilities a container gets by default (runc's defaults plus CAP_AUDIT_READ).
const std::vector<std::string>& default_capabilities();

// The names of the bits set in `mask` (a CapEff value), in number order; unknown bits
// are left out.
std::vector<std::string> capabilities_from_mask(std::uint64_t mask);

// The five sets of the runtime-spec's process.capabilities, each in number order.
struct CapabilitySets {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
};

// The sets for a process running as `target_uid`: the default set (or `caller_effective`
// with --keep-privs), plus `options.add_caps`, minus `options.drop_caps` ("ALL" in either
// means every capability). Uid 0 gets the set as bounding, permitted and effective; any
// other uid gets it as bounding only and the explicitly added capabilities (minus the
// dropped ones) in the other four. --no-privs empties every set. Names are expected to
// be normalised already; unknown names are ignored.
CapabilitySets compute_capabilities(const RunOptions& options,
                                    const std::vector<std::string>& caller_effective,
                                    std::uint32_t target_uid);

} // namespace sifkit::runtime
