// Writing objects into an image: placement, alignment and bookkeeping (spec §8), shared
// by `Image::create` and `Image::add_object`.
#include <common/sha256.h>
#include <sif/image.h>

#include <chrono>
#include <limits>
#include <vector>

namespace sifkit::sif {

namespace {

constexpr std::size_t k_copy_buffer = 1 << 20;

Result<std::int64_t> next_aligned(std::int64_t offset, std::int64_t alignment) {
  if (alignment <= 0 || offset % alignment == 0) {
    return offset;
  }
  std::int64_t up = alignment - offset % alignment;
  if (offset > std::numeric_limits<std::int64_t>::max() - up) {
    return fail(ErrorKind::usage, "alignment overflows the file offset");
  }
  return offset + up;
}

bool is_oci(DataType t) {
  return t == DataType::oci_blob || t == DataType::oci_root_index;
}

} // namespace

Descriptor make_descriptor(const ObjectInput& object, std::int64_t time) {
  Descriptor d;
  d.data_type = static_cast<std::int32_t>(object.type);
  d.group_raw = object.group | k_group_mask;
  d.link_raw = object.link.id == 0    ? 0
               : object.link.is_group ? object.link.id | k_group_mask
                                      : object.link.id;
  d.created_at = d.modified_at = object.time.value_or(time);
  std::copy_n(object.name.begin(), std::min(object.name.size(), k_name_size), d.name.begin());
  d.extra = object.extra;
  return d;
}

std::int64_t Image::operation_time(const std::optional<std::int64_t>& explicit_time) const {
  if (explicit_time) {
    return *explicit_time;
  }
  if (m_header.is_deterministic()) {
    return k_zero_time;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t Image::data_end() const {
  std::int64_t end = m_header.data_offset;
  bool any = false;
  for (const auto& d : m_slots) {
    if (d.used()) {
      end = any ? std::max(end, d.offset + d.size) : d.offset + d.size;
      any = true;
    }
  }
  return any ? end : m_header.data_offset;
}

Result<void> Image::require_writable() const {
  if (m_mode != OpenMode::read_write) {
    return fail(ErrorKind::usage, path() + " is open read-only");
  }
  return {};
}

Result<void> Image::write_object(std::size_t slot, ObjectInput& object, std::int64_t time) {
  if (slot >= m_slots.size()) {
    return fail(ErrorKind::capacity,
                "insufficient descriptor capacity to add data object(s) to image");
  }
  if (object.name.size() > k_name_size) {
    return fail(ErrorKind::usage, "object name longer than 128 bytes");
  }
  if (object.group > ~k_group_mask || object.link.id > ~k_group_mask) {
    return fail(ErrorKind::usage, "group or link ID too large");
  }
  Descriptor d = make_descriptor(object, time);
  std::optional<PartitionInfo> part = d.partition();
  if (part && part->part_type == static_cast<std::int32_t>(PartType::primary_system)) {
    for (const auto& other : m_slots) {
      auto p = other.partition();
      if (other.used() && p &&
          p->part_type == static_cast<std::int32_t>(PartType::primary_system)) {
        return fail(ErrorKind::conflict, "image already contains a primary partition");
      }
    }
  }

  std::int64_t unaligned = data_end();
  std::int64_t alignment = object.alignment.value_or(object.type == DataType::partition ? 4096 : 0);
  SIFKIT_TRY_ASSIGN(auto offset, next_aligned(unaligned, alignment));

  std::vector<std::byte> buf(k_copy_buffer);
  Sha256 hash;
  std::int64_t size = 0;
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto n, object.data ? object.data(buf) : Result<std::size_t>(0));
    if (n == 0) {
      break;
    }
    std::span<const std::byte> chunk(buf.data(), n);
    if (is_oci(object.type)) {
      hash.update(chunk);
    }
    SIFKIT_TRY(m_file.pwrite_all(chunk, offset + size));
    size += static_cast<std::int64_t>(n);
  }
  if (is_oci(object.type)) {
    d.extra = digest_extra("sha256:" + hash.hex_digest());
  }

  d.used_raw = 1;
  d.id = static_cast<std::uint32_t>(slot + 1);
  d.offset = offset;
  d.size = size;
  d.size_with_padding = offset - unaligned + size;

  if (part && part->part_type == static_cast<std::int32_t>(PartType::primary_system)) {
    m_header.arch = part->arch;
  }
  m_slots[slot] = d;
  m_header.descriptors_free -= 1;
  m_header.data_size = offset + size - m_header.data_offset;
  m_file_size = std::max(m_file_size, offset + size);
  return {};
}

Result<void> Image::write_slot(std::size_t slot) {
  auto bytes = encode_descriptor(m_slots[slot]);
  return m_file.pwrite_all(bytes, m_header.descriptors_offset +
                                      static_cast<std::int64_t>(slot * k_descriptor_size));
}

Result<void> Image::write_header() {
  auto bytes = encode_header(m_header);
  return m_file.pwrite_all(bytes, 0);
}

Result<void> Image::write_metadata() {
  SIFKIT_TRY(require_writable());
  std::vector<std::byte> table;
  table.reserve(m_slots.size() * k_descriptor_size);
  for (const auto& d : m_slots) {
    auto bytes = encode_descriptor(d);
    table.insert(table.end(), bytes.begin(), bytes.end());
  }
  SIFKIT_TRY(m_file.pwrite_all(table, m_header.descriptors_offset));
  return write_header();
}

} // namespace sifkit::sif
