#include <common/text_escape.h>

#include <cstdint>

namespace sifkit {

namespace {

void append_hex_escape(std::string& out, unsigned char c) {
  static constexpr char k_digits[] = "0123456789abcdef";
  out += "\\x";
  out += k_digits[c >> 4];
  out += k_digits[c & 0xf];
}

// The length of the well-formed UTF-8 sequence starting at `text[at]` (a lead byte of
// 0x80 or above), or 0 when it is malformed, overlong, a surrogate or above U+10FFFF.
std::size_t utf8_sequence(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  std::size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
  if (length == 0 || at + length > text.size()) {
    return 0;
  }
  std::uint32_t point = lead & (0xff >> (length + 1));
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) {
      return 0;
    }
    point = (point << 6) | (byte(at + i) & 0x3f);
  }
  static constexpr std::uint32_t k_smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  bool valid = point >= k_smallest[length] && point <= 0x10ffff &&
               !(point >= 0xd800 && point <= 0xdfff) && !(point >= 0x80 && point <= 0x9f);
  return valid ? length : 0;
}

} // namespace

std::string escape_control(std::string_view text, KeepLineBreaks keep) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (keep == KeepLineBreaks::yes && (c == '\n' || c == '\t')) {
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      append_hex_escape(out, c);
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if (std::size_t length = utf8_sequence(text, i); length > 0) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      append_hex_escape(out, c);
      ++i;
    }
  }
  return out;
}

} // namespace sifkit
