#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::sif {

inline constexpr std::size_t k_header_size = 128;
inline constexpr std::size_t k_descriptor_size = 585;
inline constexpr std::size_t k_extra_size = 384;
inline constexpr std::size_t k_name_size = 128;
inline constexpr std::size_t k_launch_script_size = 32;
// Go's zero time.Time as Unix seconds: the "unset" time of deterministic images.
inline constexpr std::int64_t k_zero_time = -62135596800;
inline constexpr std::uint32_t k_group_mask = 0xF0000000;
inline constexpr std::int64_t k_default_capacity = 48;
inline constexpr std::int64_t k_default_descriptors_offset = 4096;

// Data object types (descriptor field 0).
enum class DataType : std::int32_t {
  deffile = 0x4001,
  env_var = 0x4002,
  labels = 0x4003,
  partition = 0x4004,
  signature = 0x4005,
  generic_json = 0x4006,
  generic = 0x4007,
  crypto_message = 0x4008,
  sbom = 0x4009,
  oci_root_index = 0x400A,
  oci_blob = 0x400B,
};

enum class FsType : std::int32_t { squashfs = 1, ext3 = 2, immutable_object = 3, raw = 4, encrypted_squashfs = 5 };
enum class PartType : std::int32_t { system = 1, primary_system = 2, data = 3, overlay = 4 };
enum class HashType : std::int32_t { sha256 = 1, sha384 = 2, sha512 = 3, blake2s_256 = 4, blake2b_256 = 5 };
enum class FormatType : std::int32_t { openpgp = 1, pem = 2 };
enum class MessageType : std::int32_t { clear_signature = 0x100, rsa_oaep = 0x200 };
enum class SbomFormat : std::int32_t {
  cyclonedx_json = 1, cyclonedx_xml = 2, github_json = 3, spdx_json = 4,
  spdx_rdf = 5, spdx_tag_value = 6, spdx_yaml = 7, syft_json = 8,
};

// siftool's names: "FS", "OCI.Blob", ...; "Unknown" for values not in the table.
std::string_view data_type_name(std::int32_t type);
std::string_view fs_type_name(std::int32_t type);        // "Squashfs", ..., "Unknown"
std::string_view part_type_name(std::int32_t type);      // "System", "*System", ..., "Unknown"
std::string_view format_type_name(std::int32_t type);    // "OpenPGP", "PEM", "Unknown"
std::string_view message_type_name(std::int32_t type);   // "Clear Signature", ..., "Unknown"
std::string_view sbom_format_name(std::int32_t format);  // "cyclonedx-json", ..., "unknown"
// Go's crypto.Hash names ("SHA-256", ...); nullopt for values SIF does not define.
std::optional<std::string_view> hash_type_name(std::int32_t type);

// Go architecture name ("amd64") of a 3-byte SIF arch code ("02\0"); "unknown" otherwise.
std::string_view arch_from_code(std::string_view code3);
// The 3-byte SIF code of Go architecture `name`; nullopt when SIF has no code for it.
std::optional<std::string> arch_code(std::string_view name);

} // namespace sifkit::sif
