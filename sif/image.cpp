#include <sif/image.h>

#include <algorithm>
#include <limits>

namespace sifkit::sif {

namespace {

// A table larger than this is refused before allocating (585 MiB of descriptors).
constexpr std::int64_t k_max_descriptors = 1 << 20;

std::string range_text(std::int64_t begin, std::int64_t size) {
  return "[" + std::to_string(begin) + ", " + std::to_string(begin) + "+" + std::to_string(size) +
         ")";
}

Result<void> check_header(const Header& h, std::int64_t file_size) {
  auto corrupt = [](std::string what) { return fail(ErrorKind::corrupt_input, std::move(what)); };
  if (h.descriptors_total < 0 || h.descriptors_total >= std::numeric_limits<std::uint32_t>::max()) {
    return corrupt("descriptor count " + std::to_string(h.descriptors_total) + " is invalid");
  }
  if (h.descriptors_free < 0 || h.descriptors_free > h.descriptors_total) {
    return corrupt("free descriptor count " + std::to_string(h.descriptors_free) +
                   " is outside 0.." + std::to_string(h.descriptors_total));
  }
  if (h.descriptors_offset < 0 || h.descriptors_size < 0 || h.data_offset < 0 || h.data_size < 0) {
    return corrupt("negative offset or size in the header");
  }
  std::int64_t table = h.descriptors_total * static_cast<std::int64_t>(k_descriptor_size);
  if (table > h.descriptors_size) {
    return corrupt("descriptor table of " + std::to_string(h.descriptors_total) +
                   " records does not fit its declared size " + std::to_string(h.descriptors_size));
  }
  if (h.descriptors_offset > file_size || table > file_size - h.descriptors_offset) {
    return corrupt("descriptor table " + range_text(h.descriptors_offset, table) +
                   " extends past the end of the file (" + std::to_string(file_size) + " bytes)");
  }
  if (h.descriptors_offset < static_cast<std::int64_t>(k_header_size) && table > 0) {
    return corrupt("descriptor table overlaps the header");
  }
  if (h.descriptors_total > k_max_descriptors) {
    return fail(ErrorKind::unsupported, "descriptor count " + std::to_string(h.descriptors_total) +
                                            " exceeds the supported maximum");
  }
  // New objects are placed from the data offset on, so it must not point back into the
  // header or the table.
  if (h.data_offset < std::max<std::int64_t>(h.descriptors_offset + table, k_header_size)) {
    return corrupt("data offset " + std::to_string(h.data_offset) +
                   " lies inside the header or the descriptor table");
  }
  if (h.data_offset > file_size) {
    return corrupt("data offset " + std::to_string(h.data_offset) +
                   " is past the end of the file (" + std::to_string(file_size) + " bytes)");
  }
  return {};
}

std::string describe(std::size_t slot, const Descriptor& d) {
  return "descriptor " + std::to_string(slot + 1) + " (ID " + std::to_string(d.id) + ", " +
         std::string(data_type_name(d.data_type)) + ")";
}

Result<void> check_objects(const Header& h, const std::vector<Descriptor>& slots,
                           std::int64_t file_size) {
  struct Span {
    std::int64_t begin, end;
    std::size_t slot;
  };
  std::vector<Span> spans;
  std::int64_t table_end =
      h.descriptors_offset + h.descriptors_total * static_cast<std::int64_t>(k_descriptor_size);
  std::vector<std::pair<std::uint32_t, std::size_t>> ids; // (ID, slot)
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const Descriptor& d = slots[i];
    if (!d.used()) {
      continue;
    }
    auto corrupt = [&](const std::string& what) {
      return fail(ErrorKind::corrupt_input, describe(i, d) + ": " + what);
    };
    if (d.id == 0) {
      return corrupt("object ID 0 is invalid");
    }
    if (d.offset < 0 || d.size < 0) {
      return corrupt("negative offset or size " + range_text(d.offset, d.size));
    }
    if (d.offset > file_size || d.size > file_size - d.offset) {
      return corrupt("object " + range_text(d.offset, d.size) +
                     " extends past the end of the file (" + std::to_string(file_size) + " bytes)");
    }
    if (d.size > 0) {
      bool in_header = d.offset < static_cast<std::int64_t>(k_header_size);
      bool in_table = d.offset < table_end && d.offset + d.size > h.descriptors_offset;
      if (in_header || in_table) {
        return corrupt("object " + range_text(d.offset, d.size) +
                       " overlaps the header or the descriptor table");
      }
      spans.push_back({d.offset, d.offset + d.size, i});
    }
    // Even an empty object there would make the next one be written before the data.
    if (d.offset < h.data_offset) {
      return corrupt("object " + range_text(d.offset, d.size) +
                     " starts before the data section (" + std::to_string(h.data_offset) + ")");
    }
    ids.emplace_back(d.id, i);
  }
  std::sort(ids.begin(), ids.end());
  auto same_id = [](const auto& a, const auto& b) { return a.first == b.first; };
  if (auto dup = std::adjacent_find(ids.begin(), ids.end(), same_id); dup != ids.end()) {
    auto [id, first] = dup[0];
    std::size_t second = dup[1].second;
    return fail(ErrorKind::corrupt_input, describe(second, slots[second]) + ": object ID " +
                                              std::to_string(id) + " is also used by " +
                                              describe(first, slots[first]));
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].begin < spans[i - 1].end) {
      return fail(ErrorKind::corrupt_input,
                  describe(spans[i].slot, slots[spans[i].slot]) + " overlaps " +
                      describe(spans[i - 1].slot, slots[spans[i - 1].slot]));
    }
  }
  return {};
}

// Writers give a new object the first free slot and the ID slot + 1, and count free slots
// in the header (spec §8). Readers do not depend on this, but modifying an image that
// breaks it would duplicate an ID or make the free count negative.
Result<void> check_modifiable(const Header& h, const std::vector<Descriptor>& slots) {
  std::int64_t unused = 0;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const Descriptor& d = slots[i];
    if (!d.used()) {
      ++unused;
    } else if (d.id != i + 1) {
      return fail(ErrorKind::corrupt_input,
                  describe(i, d) + ": the ID does not match the slot, so the image cannot "
                                   "be modified safely");
    }
  }
  if (unused != h.descriptors_free) {
    return fail(ErrorKind::corrupt_input,
                "the header counts " + std::to_string(h.descriptors_free) +
                    " free descriptors but " + std::to_string(unused) +
                    " slots are unused, so the image cannot be modified safely");
  }
  return {};
}

} // namespace

Image::Image(File file, Header header, std::vector<Descriptor> slots, std::int64_t file_size)
    : m_file(std::move(file)), m_header(header), m_slots(std::move(slots)), m_file_size(file_size) {
}

Result<Image> Image::open(const std::string& path, OpenMode mode) {
  SIFKIT_TRY_ASSIGN(auto file, File::open(path, mode));
  SIFKIT_TRY_ASSIGN(auto size, file.size());
  auto in_file = [&](Error e) { return std::unexpected(std::move(e).with_context(path)); };
  if (size < static_cast<std::int64_t>(k_header_size)) {
    return in_file(Error(ErrorKind::corrupt_input, "truncated header (file is " +
                                                       std::to_string(size) +
                                                       " bytes, a SIF header is 128)"));
  }
  std::array<std::byte, k_header_size> raw{};
  SIFKIT_TRY(file.pread_exact(raw, 0));
  auto header = decode_header(raw);
  if (!header) {
    return in_file(header.error());
  }
  if (auto ok = check_header(*header, size); !ok) {
    return in_file(ok.error());
  }

  auto count = static_cast<std::size_t>(header->descriptors_total);
  std::vector<std::byte> table(count * k_descriptor_size);
  SIFKIT_TRY(file.pread_exact(table, header->descriptors_offset));
  std::vector<Descriptor> slots;
  slots.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    slots.push_back(decode_descriptor(std::span<const std::byte, k_descriptor_size>(
        table.data() + i * k_descriptor_size, k_descriptor_size)));
  }
  if (auto ok = check_objects(*header, slots, size); !ok) {
    return in_file(ok.error());
  }
  if (mode == OpenMode::read_write) {
    if (auto ok = check_modifiable(*header, slots); !ok) {
      return in_file(ok.error());
    }
  }
  Image image(std::move(file), *header, std::move(slots), size);
  image.m_mode = mode;
  return image;
}

std::vector<const Descriptor*> Image::descriptors() const {
  return select([](const Descriptor&) { return true; });
}

std::vector<const Descriptor*>
Image::select(const std::function<bool(const Descriptor&)>& pred) const {
  std::vector<const Descriptor*> out;
  for (const auto& d : m_slots) {
    if (d.used() && pred(d)) {
      out.push_back(&d);
    }
  }
  return out;
}

Result<const Descriptor*> Image::find(std::uint32_t id) const {
  for (const auto& d : m_slots) {
    if (d.used() && d.id == id) {
      return &d;
    }
  }
  return fail(ErrorKind::not_found, path() + ": no object with ID " + std::to_string(id));
}

Result<std::string> Image::read_object(const Descriptor& d, std::int64_t max_bytes) const {
  if (d.size > max_bytes) {
    return fail(ErrorKind::usage, path() + ": object " + std::to_string(d.id) + " is " +
                                      std::to_string(d.size) +
                                      " bytes, more than this reader accepts");
  }
  std::string data(static_cast<std::size_t>(d.size), '\0');
  SIFKIT_TRY(m_file.pread_exact(std::as_writable_bytes(std::span(data)), d.offset));
  return data;
}

ByteSource Image::object_source(const Descriptor& d) const {
  return source_from_fd_range(m_file.fd(), d.offset, d.size, path());
}

} // namespace sifkit::sif
