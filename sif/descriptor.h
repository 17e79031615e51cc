#pragma once

#include <common/error.h>
#include <sif/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace sifkit::sif {

using Extra = std::array<std::byte, k_extra_size>;

struct PartitionInfo {
  std::int32_t fs_type = 0;
  std::int32_t part_type = 0;
  std::array<char, 3> arch{'0', '0', '\0'};
  std::string_view arch_name() const { return arch_from_code({arch.data(), arch.size()}); }
};

struct SignatureInfo {
  std::int32_t hash_type = 0;
  std::array<std::byte, 20> fingerprint{}; // all zero: none (e.g. DSSE signatures)
  bool has_fingerprint() const;
  std::string fingerprint_hex() const; // 40 upper-case hex digits
};

struct CryptoMessageInfo {
  std::int32_t format_type = 0;
  std::int32_t message_type = 0;
};

// A linked ID: an object ID, or (when `is_group`) a group ID; 0 means "no link".
struct Link {
  std::uint32_t id = 0;
  bool is_group = false;
};

// One 585-byte descriptor record, field by field (spec §4). Raw fields are kept so that
// a record read and written back is byte-identical; accessors decode them.
struct Descriptor {
  std::int32_t data_type = 0;
  std::uint8_t used_raw = 0;
  std::uint32_t id = 0;
  std::uint32_t group_raw = 0;
  std::uint32_t link_raw = 0;
  std::int64_t offset = 0;
  std::int64_t size = 0;
  std::int64_t size_with_padding = 0;
  std::int64_t created_at = 0;
  std::int64_t modified_at = 0;
  std::int64_t uid = 0;
  std::int64_t gid = 0;
  std::array<char, k_name_size> name{};
  Extra extra{};

  bool used() const { return used_raw != 0; }
  DataType type() const { return static_cast<DataType>(data_type); }
  std::uint32_t group_id() const { return group_raw & ~k_group_mask; }
  Link link() const;
  std::string name_text() const;

  // Typed views of the extra area; nullopt when the descriptor has another type.
  std::optional<PartitionInfo> partition() const;
  std::optional<SignatureInfo> signature() const;
  std::optional<CryptoMessageInfo> crypto_message() const;
  std::optional<std::int32_t> sbom_format() const;
  // The `sha256:<hex>` digest of an OCI.RootIndex / OCI.Blob object, as stored (cut at
  // the first NUL); nullopt for other types. Use `parse_oci_digest` to validate it.
  std::optional<std::string> oci_digest_text() const;
};

// Serialises `d` into its 585 on-disk bytes.
std::array<std::byte, k_descriptor_size> encode_descriptor(const Descriptor& d);
// Parses 585 on-disk bytes (never fails: values are checked against the file later).
Descriptor decode_descriptor(std::span<const std::byte, k_descriptor_size> bytes);

// Extra-area builders for new objects.
Extra partition_extra(FsType fs, PartType part, std::string_view arch_code3);
Extra signature_extra(HashType hash, std::span<const std::byte> fingerprint);
Extra crypto_message_extra(FormatType format, MessageType message);
Extra sbom_extra(SbomFormat format);
Extra digest_extra(std::string_view digest_text);

// True for the objects of an OCI-SIF: its root index and its blobs.
bool is_oci_object(const Descriptor& d);

// Validates an OCI digest `sha256:<64 lower-case hex>`; `corrupt_input` otherwise.
Result<std::string> parse_oci_digest(std::string_view text);

} // namespace sifkit::sif
