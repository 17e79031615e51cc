#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace sifkit {

// Streaming SHA-256 (OpenSSL EVP). Feed bytes with `update`, then read `hex_digest` once.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::span<const std::byte> data);
  void update(std::string_view data);
  // Finishes the hash and returns its 64 lower-case hex digits; the object is then reset.
  std::string hex_digest();
  // Finishes the hash and returns its 32 bytes; the object is then reset.
  std::array<std::byte, 32> digest();

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Returns the 64 lower-case hex digits of sha256(`data`).
std::string sha256_hex(std::string_view data);

} // namespace sifkit
