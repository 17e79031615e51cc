#include <common/bytes.h>
#include <common/digest.h>
#include <sif/descriptor.h>

#include <algorithm>
#include <cstring>

namespace sifkit::sif {

namespace {

enum : std::size_t {
  off_type = 0,
  off_used = 4,
  off_id = 5,
  off_group = 9,
  off_link = 13,
  off_offset = 17,
  off_size = 25,
  off_padded = 33,
  off_created = 41,
  off_modified = 49,
  off_uid = 57,
  off_gid = 65,
  off_name = 73,
  off_extra = 201,
};

std::span<const std::byte> extra_view(const Extra& e) {
  return std::span(e);
}

} // namespace

Link Descriptor::link() const {
  if ((link_raw & k_group_mask) == k_group_mask) {
    return {link_raw & ~k_group_mask, true};
  }
  return {link_raw, false};
}

std::string Descriptor::name_text() const {
  return load_padded(std::as_bytes(std::span(name)), 0, name.size());
}

std::optional<PartitionInfo> Descriptor::partition() const {
  if (type() != DataType::partition) {
    return std::nullopt;
  }
  PartitionInfo p;
  p.fs_type = load_le<std::int32_t>(extra_view(extra), 0);
  p.part_type = load_le<std::int32_t>(extra_view(extra), 4);
  std::memcpy(p.arch.data(), extra.data() + 8, 3);
  return p;
}

bool SignatureInfo::has_fingerprint() const {
  return std::any_of(fingerprint.begin(), fingerprint.end(),
                     [](std::byte b) { return b != std::byte{0}; });
}

std::string SignatureInfo::fingerprint_hex() const {
  std::string hex = to_hex(fingerprint);
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](char c) { return static_cast<char>(std::toupper(c)); });
  return hex;
}

std::optional<SignatureInfo> Descriptor::signature() const {
  if (type() != DataType::signature) {
    return std::nullopt;
  }
  SignatureInfo s;
  s.hash_type = load_le<std::int32_t>(extra_view(extra), 0);
  std::memcpy(s.fingerprint.data(), extra.data() + 4, s.fingerprint.size());
  return s;
}

std::optional<CryptoMessageInfo> Descriptor::crypto_message() const {
  if (type() != DataType::crypto_message) {
    return std::nullopt;
  }
  return CryptoMessageInfo{load_le<std::int32_t>(extra_view(extra), 0),
                           load_le<std::int32_t>(extra_view(extra), 4)};
}

std::optional<std::int32_t> Descriptor::sbom_format() const {
  if (type() != DataType::sbom) {
    return std::nullopt;
  }
  return load_le<std::int32_t>(extra_view(extra), 0);
}

std::optional<std::string> Descriptor::oci_digest_text() const {
  if (type() != DataType::oci_blob && type() != DataType::oci_root_index) {
    return std::nullopt;
  }
  const char* begin = reinterpret_cast<const char*>(extra.data());
  const char* end = std::find(begin, begin + extra.size(), '\0');
  return std::string(begin, end);
}

std::array<std::byte, k_descriptor_size> encode_descriptor(const Descriptor& d) {
  std::array<std::byte, k_descriptor_size> out{};
  std::span<std::byte> buf(out);
  store_le(buf, off_type, d.data_type);
  store_le(buf, off_used, d.used_raw);
  store_le(buf, off_id, d.id);
  store_le(buf, off_group, d.group_raw);
  store_le(buf, off_link, d.link_raw);
  store_le(buf, off_offset, d.offset);
  store_le(buf, off_size, d.size);
  store_le(buf, off_padded, d.size_with_padding);
  store_le(buf, off_created, d.created_at);
  store_le(buf, off_modified, d.modified_at);
  store_le(buf, off_uid, d.uid);
  store_le(buf, off_gid, d.gid);
  std::memcpy(buf.data() + off_name, d.name.data(), d.name.size());
  std::memcpy(buf.data() + off_extra, d.extra.data(), d.extra.size());
  return out;
}

Descriptor decode_descriptor(std::span<const std::byte, k_descriptor_size> bytes) {
  std::span<const std::byte> buf(bytes);
  Descriptor d;
  d.data_type = load_le<std::int32_t>(buf, off_type);
  d.used_raw = load_le<std::uint8_t>(buf, off_used);
  d.id = load_le<std::uint32_t>(buf, off_id);
  d.group_raw = load_le<std::uint32_t>(buf, off_group);
  d.link_raw = load_le<std::uint32_t>(buf, off_link);
  d.offset = load_le<std::int64_t>(buf, off_offset);
  d.size = load_le<std::int64_t>(buf, off_size);
  d.size_with_padding = load_le<std::int64_t>(buf, off_padded);
  d.created_at = load_le<std::int64_t>(buf, off_created);
  d.modified_at = load_le<std::int64_t>(buf, off_modified);
  d.uid = load_le<std::int64_t>(buf, off_uid);
  d.gid = load_le<std::int64_t>(buf, off_gid);
  std::memcpy(d.name.data(), buf.data() + off_name, d.name.size());
  std::memcpy(d.extra.data(), buf.data() + off_extra, d.extra.size());
  return d;
}

Extra partition_extra(FsType fs, PartType part, std::string_view arch_code3) {
  Extra e{};
  store_le(std::span(e), 0, static_cast<std::int32_t>(fs));
  store_le(std::span(e), 4, static_cast<std::int32_t>(part));
  if (!arch_code3.empty()) {
    std::memcpy(e.data() + 8, arch_code3.data(), std::min<std::size_t>(3, arch_code3.size()));
  }
  return e;
}

Extra signature_extra(HashType hash, std::span<const std::byte> fingerprint) {
  Extra e{};
  store_le(std::span(e), 0, static_cast<std::int32_t>(hash));
  if (!fingerprint.empty()) { // an empty span may have a null data()
    std::memcpy(e.data() + 4, fingerprint.data(), std::min<std::size_t>(256, fingerprint.size()));
  }
  return e;
}

Extra crypto_message_extra(FormatType format, MessageType message) {
  Extra e{};
  store_le(std::span(e), 0, static_cast<std::int32_t>(format));
  store_le(std::span(e), 4, static_cast<std::int32_t>(message));
  return e;
}

Extra sbom_extra(SbomFormat format) {
  Extra e{};
  store_le(std::span(e), 0, static_cast<std::int32_t>(format));
  return e;
}

Extra digest_extra(std::string_view digest_text) {
  Extra e{};
  if (!digest_text.empty()) {
    std::memcpy(e.data(), digest_text.data(), std::min(e.size(), digest_text.size()));
  }
  return e;
}

Result<std::string> parse_oci_digest(std::string_view text) {
  SIFKIT_TRY_ASSIGN(auto digest, Digest::parse(text));
  return digest.text();
}

bool is_oci_object(const Descriptor& d) {
  return d.type() == DataType::oci_root_index || d.type() == DataType::oci_blob;
}

} // namespace sifkit::sif
