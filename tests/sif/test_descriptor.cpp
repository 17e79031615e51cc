// Descriptor records built from object inputs match upstream's TestNewDescriptorInput
// goldens (585 bytes each), and decode/encode is lossless.
#include "support/fixtures.h"

#include <common/sha256.h>
#include <sif/image.h>

#include <catch2/catch.hpp>

#include <cstring>

using namespace sifkit;
using namespace sifkit::sif;

namespace {

std::string record_bytes(const ObjectInput& in) {
  auto bytes = encode_descriptor(make_descriptor(in, k_zero_time));
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string golden(const std::string& name) {
  return test::fixture_bytes("sif-upstream/pkg/sif/testdata/TestNewDescriptorInput/" + name +
                             ".golden");
}

Extra raw_extra(std::string_view text) {
  Extra e{};
  std::memcpy(e.data(), text.data(), text.size());
  return e;
}

} // namespace

TEST_CASE("descriptor records match upstream's TestNewDescriptorInput goldens", "[sif][golden]") {
  auto input = [](DataType type) {
    ObjectInput in;
    in.type = type;
    return in;
  };
  ObjectInput in = input(DataType::generic);
  CHECK(record_bytes(in) == golden("Empty"));

  in = input(DataType::generic);
  in.group = 0;
  CHECK(record_bytes(in) == golden("OptNoGroup"));

  in = input(DataType::generic);
  in.group = 2;
  CHECK(record_bytes(in) == golden("OptGroupID"));

  in = input(DataType::generic);
  in.link = {1, false};
  CHECK(record_bytes(in) == golden("OptLinkedID"));

  in = input(DataType::generic);
  in.link = {1, true};
  CHECK(record_bytes(in) == golden("OptLinkedGroupID"));

  in = input(DataType::generic);
  in.alignment = 8;
  CHECK(record_bytes(in) == golden("OptObjectAlignment"));

  in = input(DataType::generic);
  in.name = "name";
  CHECK(record_bytes(in) == golden("OptObjectName"));

  in = input(DataType::generic);
  in.time = 946702800;
  CHECK(record_bytes(in) == golden("OptObjectTime"));

  in = input(DataType::generic);
  in.extra = raw_extra(R"({"Value":100})");
  CHECK(record_bytes(in) == golden("OptMetadata"));

  in = input(DataType::crypto_message);
  in.extra = crypto_message_extra(FormatType::openpgp, MessageType::clear_signature);
  CHECK(record_bytes(in) == golden("OptCryptoMessageMetadata"));

  in = input(DataType::partition);
  in.extra = partition_extra(FsType::squashfs, PartType::primary_system, *arch_code("386"));
  CHECK(record_bytes(in) == golden("OptPartitionMetadata"));

  const unsigned char fp[20] = {0x12, 0x04, 0x5C, 0x8C, 0x0B, 0x10, 0x04, 0xD0, 0x58, 0xDE,
                                0x4B, 0xED, 0xA2, 0x0C, 0x27, 0xEE, 0x7F, 0xF7, 0xBA, 0x84};
  in = input(DataType::signature);
  in.extra = signature_extra(HashType::sha256, std::as_bytes(std::span(fp)));
  CHECK(record_bytes(in) == golden("OptSignatureMetadata"));

  in = input(DataType::sbom);
  in.extra = sbom_extra(SbomFormat::cyclonedx_json);
  CHECK(record_bytes(in) == golden("OptSBOMMetadata"));

  for (auto [type, name] : {std::pair{DataType::oci_root_index, "DataOCIRootIndex"},
                            std::pair{DataType::oci_blob, "DataOCIBlob"}}) {
    in = input(type);
    in.extra = digest_extra("sha256:" + sha256_hex(""));
    CHECK(record_bytes(in) == golden(name));
  }
}

TEST_CASE("typed views decode the extra area of each descriptor type", "[sif]") {
  auto d = decode_descriptor(std::span<const std::byte, k_descriptor_size>(
      reinterpret_cast<const std::byte*>(golden("OptPartitionMetadata").data()),
      k_descriptor_size));
  REQUIRE(d.partition().has_value());
  CHECK(d.partition()->fs_type == 1);
  CHECK(d.partition()->part_type == 2);
  CHECK(d.partition()->arch_name() == "386");
  CHECK_FALSE(d.signature().has_value());
  CHECK(d.group_id() == 1);

  std::string sig = golden("OptSignatureMetadata");
  auto s = decode_descriptor(
      std::span<const std::byte, k_descriptor_size>(reinterpret_cast<const std::byte*>(sig.data()),
                                                    k_descriptor_size));
  REQUIRE(s.signature().has_value());
  CHECK(s.signature()->fingerprint_hex() == "12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84");

  std::string linked = golden("OptLinkedGroupID");
  auto l = decode_descriptor(std::span<const std::byte, k_descriptor_size>(
      reinterpret_cast<const std::byte*>(linked.data()), k_descriptor_size));
  CHECK(l.link().id == 1);
  CHECK(l.link().is_group);
}

TEST_CASE("OCI digests must be sha256 with 64 lower-case hex digits", "[sif]") {
  CHECK(parse_oci_digest("sha256:" + sha256_hex("")).has_value());
  CHECK_FALSE(parse_oci_digest("sha256:" + sha256_hex("").substr(1)).has_value());
  CHECK_FALSE(parse_oci_digest("sha512:" + sha256_hex("")).has_value());
  std::string upper = "sha256:" + sha256_hex("");
  upper[10] = 'A';
  CHECK(parse_oci_digest(upper).error().kind() == ErrorKind::corrupt_input);
  CHECK_FALSE(parse_oci_digest("sha256:../../etc/passwd").has_value());
}
