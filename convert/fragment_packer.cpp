#include <convert/fragment_packer.h>
#include <convert/squashfs_writer_state.h>

#include <algorithm>
#include <cstring>

namespace sifkit::convert {

namespace {

// Wraps a block writer: blocks submitted with this object as their user pointer are
// fragment blocks, written in the order they were submitted (the processor keeps it),
// so the n-th one has the n-th fragment table entry.
struct FragmentBlockWriter {
  sqfs_block_writer_t base; // first: libsquashfs sees this object as a block writer
  sqfs_block_writer_t* inner = nullptr;
  sqfs_frag_table_t* table = nullptr;
  std::uint32_t written = 0;
};

int write_block(sqfs_block_writer_t* base, void* user, sqfs_u32 size, sqfs_u32 checksum,
                sqfs_u32 flags, const sqfs_u8* data, sqfs_u64* location) {
  auto* self = reinterpret_cast<FragmentBlockWriter*>(base);
  if (user != self) {
    return self->inner->write_data_block(self->inner, user, size, checksum, flags, data, location);
  }
  flags |= SQFS_BLK_FRAGMENT_BLOCK;
  int rc =
      self->inner->write_data_block(self->inner, nullptr, size, checksum, flags, data, location);
  if (rc != 0)
    return rc;
  sqfs_u32 on_disk = size;
  if (!(flags & SQFS_BLK_IS_COMPRESSED))
    on_disk |= 1U << 24;
  return sqfs_frag_table_set(self->table, self->written++, *location, on_disk);
}

sqfs_u64 block_count(const sqfs_block_writer_t* base) {
  const auto* self = reinterpret_cast<const FragmentBlockWriter*>(base);
  return self->inner->get_block_count(self->inner);
}

// Not copyable, as libsquashfs's own block writer (sqfs_copy gives NULL).
sqfs_object_t* copy_writer(const sqfs_object_t*) {
  return nullptr;
}

void destroy_writer(sqfs_object_t* base) {
  delete reinterpret_cast<FragmentBlockWriter*>(base);
}

bool all_zero(std::span<const std::byte> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

} // namespace

std::size_t FragmentPacker::slot_of(const std::array<std::byte, 16>& digest,
                                    std::uint32_t size) const {
  // The digest's bits are as good as random: its first word is the hash.
  std::size_t mask = m_slots.size() - 1;
  std::size_t at = 0;
  std::memcpy(&at, digest.data(), sizeof(at));
  for (at &= mask;; at = (at + 1) & mask) {
    std::uint32_t n = m_slots[at];
    if (n == 0 || (m_seen[n - 1].size == size && m_seen[n - 1].digest == digest))
      return at;
  }
}

void FragmentPacker::grow() {
  std::vector<std::uint32_t> old(std::max<std::size_t>(m_slots.size() * 2, 1024), 0);
  old.swap(m_slots);
  for (std::uint32_t n : old) {
    if (n != 0)
      m_slots[slot_of(m_seen[n - 1].digest, m_seen[n - 1].size)] = n;
  }
}

FragmentPacker::FragmentPacker(std::uint32_t block_size, sqfs_frag_table_t* table)
    : m_block_size(block_size), m_table(table), m_block(block_size) {}

FragmentPacker::~FragmentPacker() = default;

sqfs_block_writer_t* FragmentPacker::make_writer(sqfs_block_writer_t* inner) {
  auto* writer = new FragmentBlockWriter;
  writer->base.base.destroy = destroy_writer;
  writer->base.base.copy = copy_writer;
  writer->base.write_data_block = write_block;
  writer->base.get_block_count = block_count;
  writer->inner = inner;
  writer->table = m_table;
  m_writer = &writer->base;
  return &writer->base;
}

Result<TailPlace> FragmentPacker::add(std::span<const std::byte> tail) {
  if (tail.empty())
    return TailPlace{};
  // As libsquashfs: an all-zero tail is a hole, never deduplicated or packed.
  if (all_zero(tail))
    return TailPlace{k_no_fragment, k_no_fragment, true};
  m_sha.update(tail);
  auto digest = m_sha.digest();
  Seen seen;
  std::copy_n(digest.begin(), seen.digest.size(), seen.digest.begin());
  seen.size = static_cast<std::uint32_t>(tail.size());
  if ((m_seen.size() + 1) * 2 > m_slots.size())
    grow();
  std::size_t slot = slot_of(seen.digest, seen.size);
  if (std::uint32_t n = m_slots[slot]; n != 0)
    return TailPlace{m_seen[n - 1].fragment, m_seen[n - 1].offset, false};
  if (m_used + tail.size() > m_block_size)
    SIFKIT_TRY(flush());
  if (m_used == 0) {
    if (int rc = sqfs_frag_table_append(m_table, 0, 0, &m_index); rc != 0)
      return sqfs_fail(rc, "adding a fragment block");
  }
  seen.fragment = m_index;
  seen.offset = static_cast<std::uint32_t>(m_used);
  std::memcpy(m_block.data() + m_used, tail.data(), tail.size());
  m_used += tail.size();
  m_seen.push_back(seen);
  m_slots[slot] = static_cast<std::uint32_t>(m_seen.size());
  return TailPlace{seen.fragment, seen.offset, false};
}

Result<void> FragmentPacker::flush() {
  if (m_used == 0)
    return {};
  int rc = sqfs_block_processor_submit_block(m_processor, m_writer, 0, m_block.data(), m_used);
  if (rc != 0)
    return sqfs_fail(rc, "writing a fragment block");
  m_used = 0;
  return {};
}

Result<void> FragmentPacker::finish() {
  SIFKIT_TRY(flush());
  std::vector<Seen>().swap(m_seen);
  std::vector<std::uint32_t>().swap(m_slots);
  return {};
}

} // namespace sifkit::convert
