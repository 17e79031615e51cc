#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace sifkit {

static_assert(std::endian::native == std::endian::little,
              "on-disk little-endian fields are read with memcpy; add byte swaps for big-endian");

// Reads a little-endian `T` at `offset` of `buf`; the caller checks the bounds.
template <typename T>
T load_le(std::span<const std::byte> buf, std::size_t offset) {
  T value;
  std::memcpy(&value, buf.data() + offset, sizeof(T));
  return value;
}

// Writes `value` little-endian at `offset` of `buf`; the caller checks the bounds.
template <typename T>
void store_le(std::span<std::byte> buf, std::size_t offset, T value) {
  std::memcpy(buf.data() + offset, &value, sizeof(T));
}

// Reads a NUL-padded string field of `size` bytes at `offset`, trailing NULs trimmed.
std::string load_padded(std::span<const std::byte> buf, std::size_t offset, std::size_t size);

// Lower-case hexadecimal of `data`.
std::string to_hex(std::span<const std::byte> data);

} // namespace sifkit
