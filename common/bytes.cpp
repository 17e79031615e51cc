#include <common/bytes.h>

#include <algorithm>

namespace sifkit {

std::string load_padded(std::span<const std::byte> buf, std::size_t offset, std::size_t size) {
  auto field = buf.subspan(offset, size);
  std::size_t end = size;
  while (end > 0 && field[end - 1] == std::byte{0}) {
    --end;
  }
  return std::string(reinterpret_cast<const char*>(field.data()), end);
}

std::string to_hex(std::span<const std::byte> data) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::byte b : data) {
    out += k_digits[std::to_integer<unsigned>(b) >> 4];
    out += k_digits[std::to_integer<unsigned>(b) & 0xf];
  }
  return out;
}

} // namespace sifkit
