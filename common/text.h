#pragma once

// Small text helpers for ASCII protocol and file text (header names, keys, lines).
#include <string>
#include <string_view>
#include <vector>

namespace sifkit {

// `text` with A-Z turned to a-z; other bytes unchanged.
std::string ascii_lower(std::string text);

// `text` without leading and trailing white space (space, \t, \n, \v, \f, \r).
std::string_view trim_space(std::string_view text);

// The pieces of `text` between `separator`s, empty ones included ("a,,b" gives a, "", b;
// "" gives one empty piece). The views point into `text`.
std::vector<std::string_view> split(std::string_view text, char separator);

} // namespace sifkit
