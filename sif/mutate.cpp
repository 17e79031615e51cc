// In-place modification of an open image: add, delete, set (spec §8-§10). Data is
// written before descriptors, descriptors before the header, so an interrupted update
// leaves at worst unreferenced bytes.
#include <sif/image.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace sifkit::sif {

namespace {

bool is_primary(const Descriptor& d) {
  auto p = d.partition();
  return p && p->part_type == static_cast<std::int32_t>(PartType::primary_system);
}

} // namespace

Descriptor* Image::find_mutable(std::uint32_t id) {
  for (auto& d : m_slots) {
    if (d.used() && d.id == id) {
      return &d;
    }
  }
  return nullptr;
}

Result<std::uint32_t> Image::add_object(ObjectInput object, const ModifyOptions& options) {
  SIFKIT_TRY(require_writable());
  auto free_slot =
      std::find_if(m_slots.begin(), m_slots.end(), [](const Descriptor& d) { return !d.used(); });
  auto slot = static_cast<std::size_t>(free_slot - m_slots.begin());
  std::int64_t time = operation_time(options.time);
  Header saved_header = m_header;
  std::int64_t saved_size = m_file_size;
  auto written = write_object(slot, object, time);
  if (!written) {
    // Drop whatever part of the object reached the file; the table was not touched.
    m_header = saved_header;
    if (slot < m_slots.size()) {
      m_slots[slot] = Descriptor{};
    }
    if (auto size = m_file.size(); size && *size > saved_size) {
      (void)m_file.truncate(saved_size);
    }
    m_file_size = saved_size;
    return std::unexpected(std::move(written.error()).with_context(path()));
  }
  m_header.modified_at = time;
  SIFKIT_TRY(write_slot(slot));
  SIFKIT_TRY(write_header());
  return m_slots[slot].id;
}

Result<void> Image::delete_object(std::uint32_t id, const DeleteOptions& options) {
  if (find_mutable(id) == nullptr) {
    return fail(ErrorKind::not_found, path() + ": no object with ID " + std::to_string(id));
  }
  return delete_objects([id](const Descriptor& d) { return d.id == id; }, options);
}

Result<void> Image::delete_objects(const std::function<bool(const Descriptor&)>& pred,
                                   const DeleteOptions& options) {
  SIFKIT_TRY(require_writable());
  if (!pred) {
    return fail(ErrorKind::usage, path() + ": no selection function given for deletion");
  }
  std::vector<std::size_t> victims;
  for (std::size_t i = 0; i < m_slots.size(); ++i) {
    if (m_slots[i].used() && pred(m_slots[i])) {
      victims.push_back(i);
    }
  }
  if (victims.empty()) {
    return fail(ErrorKind::not_found, path() + ": object not found");
  }
  std::int64_t time = operation_time(options.time);
  std::vector<std::byte> zeros;
  for (std::size_t slot : victims) {
    Descriptor& d = m_slots[slot];
    if (options.zero == Zero::yes) {
      zeros.assign(static_cast<std::size_t>(std::min<std::int64_t>(d.size, 1 << 20)), std::byte{0});
      for (std::int64_t done = 0; done < d.size;) {
        auto n = std::min<std::int64_t>(d.size - done, static_cast<std::int64_t>(zeros.size()));
        SIFKIT_TRY(m_file.pwrite_all(std::span(zeros).first(static_cast<std::size_t>(n)),
                                     d.offset + done));
        done += n;
      }
    }
    if (is_primary(d)) {
      m_header.arch = {'0', '0', '\0'};
    }
    d = Descriptor{};
    m_header.descriptors_free += 1;
  }
  m_header.modified_at = time;
  if (options.compact == Compact::yes) {
    m_header.data_size = data_end() - m_header.data_offset;
    SIFKIT_TRY(m_file.truncate(m_header.data_offset + m_header.data_size));
    m_file_size = m_header.data_offset + m_header.data_size;
  }
  for (std::size_t slot : victims) {
    SIFKIT_TRY(write_slot(slot));
  }
  return write_header();
}

Result<void> Image::set_primary_partition(std::uint32_t id, const ModifyOptions& options) {
  SIFKIT_TRY(require_writable());
  Descriptor* target = find_mutable(id);
  if (target == nullptr) {
    return fail(ErrorKind::not_found, path() + ": no object with ID " + std::to_string(id));
  }
  auto part = target->partition();
  if (!part) {
    return fail(ErrorKind::usage,
                path() + ": object " + std::to_string(id) + " is not a partition");
  }
  if (part->part_type == static_cast<std::int32_t>(PartType::primary_system)) {
    return {};
  }
  if (part->part_type != static_cast<std::int32_t>(PartType::system)) {
    return fail(ErrorKind::usage,
                path() + ": object " + std::to_string(id) + " is not a system partition");
  }
  std::int64_t time = operation_time(options.time);
  auto set_part_type = [&](Descriptor& d, PartType type) {
    auto p = *d.partition();
    d.extra = partition_extra(static_cast<FsType>(p.fs_type), type,
                              std::string_view(p.arch.data(), p.arch.size()));
    d.modified_at = time;
  };
  for (std::size_t i = 0; i < m_slots.size(); ++i) {
    if (m_slots[i].used() && is_primary(m_slots[i])) {
      set_part_type(m_slots[i], PartType::system);
      SIFKIT_TRY(write_slot(i));
    }
  }
  set_part_type(*target, PartType::primary_system);
  m_header.arch = part->arch;
  m_header.modified_at = time;
  SIFKIT_TRY(write_slot(static_cast<std::size_t>(target - m_slots.data())));
  return write_header();
}

Result<void> Image::set_metadata(std::uint32_t id, std::span<const std::byte> metadata,
                                 const ModifyOptions& options) {
  SIFKIT_TRY(require_writable());
  Descriptor* d = find_mutable(id);
  if (d == nullptr) {
    return fail(ErrorKind::not_found, path() + ": no object with ID " + std::to_string(id));
  }
  if (metadata.size() > k_extra_size) {
    return fail(ErrorKind::usage, "metadata larger than 384 bytes");
  }
  std::int64_t time = operation_time(options.time);
  d->extra = Extra{};
  std::memcpy(d->extra.data(), metadata.data(), metadata.size());
  d->modified_at = time;
  m_header.modified_at = time;
  SIFKIT_TRY(write_slot(static_cast<std::size_t>(d - m_slots.data())));
  return write_header();
}

Result<void> Image::set_oci_blob_digest(std::uint32_t id, std::string_view digest,
                                        const ModifyOptions& options) {
  SIFKIT_TRY_ASSIGN(auto found, find(id));
  if (found->type() != DataType::oci_blob && found->type() != DataType::oci_root_index) {
    return fail(ErrorKind::usage,
                path() + ": object " + std::to_string(id) + " is not an OCI blob or root index");
  }
  SIFKIT_TRY_ASSIGN(auto valid, parse_oci_digest(digest));
  return set_metadata(id, std::as_bytes(std::span(valid)), options);
}

} // namespace sifkit::sif
