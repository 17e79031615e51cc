#include <cache/units.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace sifkit::cache {

namespace {

// Splits "1.5G" into 1.5 and "G"; fails when the number part is missing or malformed.
bool split_number(std::string_view text, double& number, std::string& unit) {
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, number);
  if (ec != std::errc() || rest == text.data() || number < 0 || !std::isfinite(number)) {
    return false;
  }
  unit.clear();
  for (const char* c = rest; c != end; ++c) {
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
  }
  return true;
}

} // namespace

Result<std::int64_t> parse_byte_size(std::string_view text) {
  double number = 0;
  std::string unit;
  auto bad = [&] {
    return fail(ErrorKind::usage,
                "invalid size \"" + std::string(text) + "\" (want e.g. 1048576, 500M, 10G)");
  };
  if (!split_number(text, number, unit)) {
    return bad();
  }
  if (unit.ends_with("ib")) {
    unit.resize(unit.size() - 2);
  } else if (unit.size() > 1 && unit.ends_with("b")) {
    unit.resize(unit.size() - 1);
  } else if (unit == "b") {
    unit.clear();
  }
  static constexpr std::string_view k_units = "kmgtp";
  double scale = 1;
  if (!unit.empty()) {
    auto at = unit.size() == 1 ? k_units.find(unit[0]) : std::string_view::npos;
    if (at == std::string_view::npos) {
      return bad();
    }
    scale = std::pow(1024.0, static_cast<double>(at + 1));
  }
  double bytes = number * scale;
  if (bytes > 9.0e18) {
    return bad();
  }
  return static_cast<std::int64_t>(bytes);
}

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  double number = 0;
  std::string unit;
  if (!split_number(text, number, unit)) {
    return fail(ErrorKind::usage, "invalid duration \"" + std::string(text) +
                                      "\" (want e.g. 90s, 15m, 12h, 30d, 2w)");
  }
  double scale = unit.empty() || unit == "s" ? 1
                 : unit == "m"               ? 60
                 : unit == "h"               ? 3600
                 : unit == "d"               ? 86400
                 : unit == "w"               ? 7 * 86400
                                             : -1;
  if (scale < 0 || number * scale > 1.0e15) {
    return fail(ErrorKind::usage,
                "invalid duration \"" + std::string(text) + "\" (units: s, m, h, d, w)");
  }
  return std::chrono::seconds(static_cast<std::int64_t>(number * scale));
}

} // namespace sifkit::cache
