#include <sif/header.h>

#include <common/bytes.h>

#include <algorithm>
#include <cstring>
#include <openssl/rand.h>
#include <stdexcept>

namespace sifkit::sif {

namespace {

constexpr std::array<char, 10> k_magic{'S', 'I', 'F', '_', 'M', 'A', 'G', 'I', 'C', '\0'};

// Byte offsets of the header fields (spec §3).
enum : std::size_t {
  header_off_launch = 0,
  header_off_magic = 32,
  header_off_version = 42,
  header_off_arch = 45,
  header_off_id = 48,
  header_off_created = 64,
  header_off_modified = 72,
  header_off_desc_free = 80,
  header_off_desc_total = 88,
  header_off_desc_offset = 96,
  header_off_desc_size = 104,
  header_off_data_offset = 112,
  header_off_data_size = 120,
};

} // namespace

std::string Header::launch_script_text() const {
  return load_padded(std::as_bytes(std::span(launch_script)), 0, launch_script.size());
}

std::string_view Header::arch_name() const {
  return arch_from_code(std::string_view(arch.data(), arch.size()));
}

bool Header::has_nil_id() const {
  return std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; });
}

bool Header::is_deterministic() const {
  return has_nil_id() && created_at == k_zero_time && modified_at == k_zero_time;
}

std::array<std::byte, k_header_size> encode_header(const Header& h) {
  std::array<std::byte, k_header_size> out{};
  std::span<std::byte> buf(out);
  std::memcpy(buf.data() + header_off_launch, h.launch_script.data(), h.launch_script.size());
  std::memcpy(buf.data() + header_off_magic, k_magic.data(), k_magic.size());
  std::memcpy(buf.data() + header_off_version, h.version.data(), h.version.size());
  std::memcpy(buf.data() + header_off_arch, h.arch.data(), h.arch.size());
  std::memcpy(buf.data() + header_off_id, h.id.data(), h.id.size());
  store_le(buf, header_off_created, h.created_at);
  store_le(buf, header_off_modified, h.modified_at);
  store_le(buf, header_off_desc_free, h.descriptors_free);
  store_le(buf, header_off_desc_total, h.descriptors_total);
  store_le(buf, header_off_desc_offset, h.descriptors_offset);
  store_le(buf, header_off_desc_size, h.descriptors_size);
  store_le(buf, header_off_data_offset, h.data_offset);
  store_le(buf, header_off_data_size, h.data_size);
  return out;
}

Result<Header> decode_header(std::span<const std::byte, k_header_size> bytes) {
  std::span<const std::byte> buf(bytes);
  if (std::memcmp(buf.data() + header_off_magic, k_magic.data(), k_magic.size()) != 0) {
    return fail(ErrorKind::corrupt_input, "invalid SIF magic (not a SIF file)");
  }
  Header h;
  std::memcpy(h.version.data(), buf.data() + header_off_version, h.version.size());
  if (h.version != std::array<char, 3>{'0', '1', '\0'}) {
    return fail(ErrorKind::unsupported, "incompatible SIF version (only version 01 is known)");
  }
  std::memcpy(h.launch_script.data(), buf.data() + header_off_launch, h.launch_script.size());
  std::memcpy(h.arch.data(), buf.data() + header_off_arch, h.arch.size());
  std::memcpy(h.id.data(), buf.data() + header_off_id, h.id.size());
  h.created_at = load_le<std::int64_t>(buf, header_off_created);
  h.modified_at = load_le<std::int64_t>(buf, header_off_modified);
  h.descriptors_free = load_le<std::int64_t>(buf, header_off_desc_free);
  h.descriptors_total = load_le<std::int64_t>(buf, header_off_desc_total);
  h.descriptors_offset = load_le<std::int64_t>(buf, header_off_desc_offset);
  h.descriptors_size = load_le<std::int64_t>(buf, header_off_desc_size);
  h.data_offset = load_le<std::int64_t>(buf, header_off_data_offset);
  h.data_size = load_le<std::int64_t>(buf, header_off_data_size);
  return h;
}

std::string format_uuid(const Uuid& id) {
  std::string hex = to_hex(std::as_bytes(std::span(id)));
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
         hex.substr(16, 4) + '-' + hex.substr(20);
}

std::optional<Uuid> parse_uuid(std::string_view text) {
  if (text.size() != 36) {
    return std::nullopt;
  }
  Uuid id{};
  std::size_t nibble = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') {
        return std::nullopt;
      }
      continue;
    }
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    id[nibble / 2] = static_cast<std::uint8_t>(id[nibble / 2] | (nibble % 2 ? v : v << 4));
    ++nibble;
  }
  return id;
}

Uuid random_uuid() {
  Uuid id{};
  if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1) {
    throw std::runtime_error("OpenSSL: no random bytes for a UUID");
  }
  id[6] = static_cast<std::uint8_t>((id[6] & 0x0f) | 0x40); // version 4
  id[8] = static_cast<std::uint8_t>((id[8] & 0x3f) | 0x80); // RFC 4122 variant
  return id;
}

} // namespace sifkit::sif
