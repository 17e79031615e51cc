#pragma once

// Internal to runtime/cgroup/: how much of one cgroup file is read.
#include <cstddef>

namespace sifkit::runtime {

// The most read of one cgroup file (cgroup.controllers, memory.max, ...): they are short.
inline constexpr std::size_t k_max_cgroup_file = std::size_t{64} << 10;

} // namespace sifkit::runtime
