#include <convert/entry.h>

#include <fmt/format.h>

namespace sifkit::convert {

namespace {

constexpr std::size_t k_max_component = 255; // squashfs and Linux name limit

} // namespace

Result<std::string> normalise_entry_path(std::string_view raw, std::string_view what) {
  if (raw.find('\0') != std::string_view::npos) {
    return fail(ErrorKind::corrupt_input, fmt::format("{}: entry name contains a NUL byte", what));
  }
  if (raw.size() > k_max_entry_path) {
    return fail(ErrorKind::corrupt_input,
                fmt::format("{}: entry name is {} bytes long (at most {})", what, raw.size(),
                            k_max_entry_path));
  }
  std::string out;
  out.reserve(raw.size());
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    std::size_t end = raw.find('/', pos);
    if (end == std::string_view::npos)
      end = raw.size();
    std::string_view part = raw.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".")
      continue;
    if (part == "..") {
      return fail(ErrorKind::corrupt_input,
                  fmt::format("{}: entry \"{}\" escapes the root with \"..\"", what, raw));
    }
    if (part.size() > k_max_component) {
      return fail(ErrorKind::corrupt_input,
                  fmt::format("{}: entry \"{}\" has a name of {} bytes (at most {})", what, raw,
                              part.size(), k_max_component));
    }
    if (!out.empty())
      out += '/';
    out += part;
  }
  return out;
}

} // namespace sifkit::convert
