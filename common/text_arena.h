#pragma once

// Many short strings stored once, back to back in large chunks, for as long as the arena
// lives: no allocation (and no allocator overhead) per string.
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace sifkit {

class TextArena {
public:
  TextArena() = default;
  TextArena(TextArena&&) noexcept = default;
  TextArena& operator=(TextArena&&) noexcept = default;
  TextArena(const TextArena&) = delete;
  TextArena& operator=(const TextArena&) = delete;

  // Copies `a` then `b` into the arena, followed by a NUL; returns where `a` starts. The
  // bytes stay put until the arena goes (views of them stay valid).
  const char* store(std::string_view a, std::string_view b = {});
  // Bytes of chunks allocated so far.
  std::size_t capacity() const { return m_capacity; }

private:
  std::vector<std::unique_ptr<char[]>> m_chunks;
  char* m_at = nullptr;
  std::size_t m_left = 0;
  std::size_t m_capacity = 0;
};

} // namespace sifkit
