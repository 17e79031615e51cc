#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace sifkit::cache {

// Told how a long operation advances: the step ("hashing", "removing"), how many units
// are done and how many there are in all (0 when unknown). Storage code never prints;
// the tools decide how to show this.
using Progress = std::function<void(std::string_view step, std::int64_t done, std::int64_t total)>;

} // namespace sifkit::cache
