#include <sif/types.h>

#include <array>
#include <charconv>
#include <utility>

namespace sifkit::sif {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 13> k_arches{{
    {"01", "386"},      {"02", "amd64"},    {"03", "arm"},     {"04", "arm64"},
    {"05", "ppc64"},    {"06", "ppc64le"},  {"07", "mips"},    {"08", "mipsle"},
    {"09", "mips64"},   {"10", "mips64le"}, {"11", "s390x"},   {"12", "riscv64"},
    {"13", "loong64"},
}};

struct TypeName {
  DataType type;
  std::string_view siftool;
  std::string_view cli;
};

constexpr std::array<TypeName, 11> k_types{{
    {DataType::deffile, "Def.FILE", "deffile"},
    {DataType::env_var, "Env.Vars", "env-vars"},
    {DataType::labels, "JSON.Labels", "labels"},
    {DataType::partition, "FS", "partition"},
    {DataType::signature, "Signature", "signature"},
    {DataType::generic_json, "JSON.Generic", "generic-json"},
    {DataType::generic, "Generic/Raw", "generic"},
    {DataType::crypto_message, "Cryptographic Message", "crypto-message"},
    {DataType::sbom, "SBOM", "sbom"},
    {DataType::oci_root_index, "OCI.RootIndex", "oci-root-index"},
    {DataType::oci_blob, "OCI.Blob", "oci-blob"},
}};

} // namespace

std::string_view data_type_name(std::int32_t type) {
  for (const auto& t : k_types) {
    if (static_cast<std::int32_t>(t.type) == type) {
      return t.siftool;
    }
  }
  return "Unknown";
}

std::string_view fs_type_name(std::int32_t type) {
  switch (type) {
  case 1: return "Squashfs";
  case 2: return "Ext3";
  case 3: return "Archive";
  case 4: return "Raw";
  case 5: return "Encrypted squashfs";
  default: return "Unknown";
  }
}

std::string_view part_type_name(std::int32_t type) {
  switch (type) {
  case 1: return "System";
  case 2: return "*System";
  case 3: return "Data";
  case 4: return "Overlay";
  default: return "Unknown";
  }
}

std::string_view format_type_name(std::int32_t type) {
  switch (type) {
  case 1: return "OpenPGP";
  case 2: return "PEM";
  default: return "Unknown";
  }
}

std::string_view message_type_name(std::int32_t type) {
  switch (type) {
  case 0x100: return "Clear Signature";
  case 0x200: return "RSA-OAEP";
  default: return "Unknown";
  }
}

std::string_view sbom_format_name(std::int32_t format) {
  switch (format) {
  case 1: return "cyclonedx-json";
  case 2: return "cyclonedx-xml";
  case 3: return "github-json";
  case 4: return "spdx-json";
  case 5: return "spdx-rdf";
  case 6: return "spdx-tag-value";
  case 7: return "spdx-yaml";
  case 8: return "syft-json";
  default: return "unknown";
  }
}

std::optional<std::string_view> hash_type_name(std::int32_t type) {
  switch (type) {
  case 1: return "SHA-256";
  case 2: return "SHA-384";
  case 3: return "SHA-512";
  case 4: return "BLAKE2s-256";
  case 5: return "BLAKE2b-256";
  default: return std::nullopt;
  }
}

std::string_view arch_from_code(std::string_view code3) {
  if (code3.size() != 3 || code3[2] != '\0') {
    return "unknown";
  }
  for (const auto& [code, name] : k_arches) {
    if (code3.substr(0, 2) == code) {
      return name;
    }
  }
  return "unknown";
}

std::optional<std::string> arch_code(std::string_view name) {
  for (const auto& [code, arch] : k_arches) {
    if (arch == name) {
      return std::string(code) + '\0';
    }
  }
  return std::nullopt;
}

} // namespace sifkit::sif
