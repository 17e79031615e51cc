#pragma once

#include <common/error.h>
#include <sif/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sifkit::sif {

using Uuid = std::array<std::uint8_t, 16>;

// The 128-byte global header, field by field. Fixed-size text fields are kept raw so
// that a header read and written back is byte-identical.
struct Header {
  std::array<char, k_launch_script_size> launch_script{};
  std::array<char, 3> version{'0', '1', '\0'};
  std::array<char, 3> arch{'0', '0', '\0'};
  Uuid id{};
  std::int64_t created_at = k_zero_time;
  std::int64_t modified_at = k_zero_time;
  std::int64_t descriptors_free = 0;
  std::int64_t descriptors_total = 0;
  std::int64_t descriptors_offset = k_default_descriptors_offset;
  std::int64_t descriptors_size = 0;
  std::int64_t data_offset = 0;
  std::int64_t data_size = 0;

  // The launch script with trailing NULs trimmed.
  std::string launch_script_text() const;
  // Go architecture name of the primary partition ("amd64"), "unknown" when none.
  std::string_view arch_name() const;
  bool has_nil_id() const;
  // True when the image carries no identity or times (nil UUID, both times unset); such
  // images keep unset times when modified.
  bool is_deterministic() const;
};

// Serialises `header` into its 128 on-disk bytes.
std::array<std::byte, k_header_size> encode_header(const Header& header);

// Parses 128 on-disk bytes; fails with `corrupt_input` on a bad magic and `unsupported`
// on a SIF version other than 01. Field values are checked later, against the file.
Result<Header> decode_header(std::span<const std::byte, k_header_size> bytes);

// Formats `id` as the canonical 8-4-4-4-12 lower-case UUID string.
std::string format_uuid(const Uuid& id);
// Parses a canonical UUID string; nullopt when malformed.
std::optional<Uuid> parse_uuid(std::string_view text);
// A random version 4 UUID (OpenSSL RAND_bytes).
Uuid random_uuid();

} // namespace sifkit::sif
