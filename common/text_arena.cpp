#include <common/text_arena.h>

#include <algorithm>

namespace sifkit {

namespace {

constexpr std::size_t k_chunk = 64 * 1024;

} // namespace

const char* TextArena::store(std::string_view a, std::string_view b) {
  std::size_t size = a.size() + b.size() + 1;
  if (size > m_left) {
    std::size_t chunk = std::max(size, k_chunk);
    m_chunks.push_back(std::make_unique_for_overwrite<char[]>(chunk));
    m_at = m_chunks.back().get();
    m_left = chunk;
    m_capacity += chunk;
  }
  char* out = m_at;
  // An empty view may hold a null pointer, which memcpy must never be given.
  std::copy(a.begin(), a.end(), out);
  std::copy(b.begin(), b.end(), out + a.size());
  out[a.size() + b.size()] = '\0';
  m_at += size;
  m_left -= size;
  return out;
}

} // namespace sifkit
