#pragma once

// Sizes and durations as users type them on the command line.

#include <common/error.h>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace sifkit::cache {

// "1048576", "500K", "10M", "1.5G", "2T" (binary units: K = 1024; optional "iB"/"B"
// suffix, any case). Fails with `usage` naming `text`.
Result<std::int64_t> parse_byte_size(std::string_view text);

// "90s", "15m", "12h", "30d", "2w"; a bare number is seconds. Fails with `usage`.
Result<std::chrono::seconds> parse_duration(std::string_view text);

} // namespace sifkit::cache
