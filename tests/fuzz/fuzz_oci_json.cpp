// libFuzzer target: the OCI JSON parsers that read registry and archive input (index,
// manifest, image config, config platform, media type sniffing), all on every input. Each either
// fails with the kinds its header names or returns a model that keeps its contract: schema version
// 2, sizes not negative, digests valid, serialising and parsing again gives the same bytes, and the
// parsers that read the same fields agree on them.
#include <sif/oci_config.h>
#include <sif/oci_json.h>
#include <sif/oci_parse.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "memfd_input.h"

using namespace sifkit;
using namespace sifkit::oci;

namespace {

void check_failure(const Error& error, bool may_be_unsupported) {
  FUZZ_CHECK(error.kind() == ErrorKind::corrupt_input ||
             (may_be_unsupported && error.kind() == ErrorKind::unsupported));
  FUZZ_CHECK(!error.what().empty());
}

void check_digest(const Digest& digest) {
  auto again = Digest::parse(digest.text());
  FUZZ_CHECK(again && *again == digest);
}

void check_descriptor(const Descriptor& d) {
  FUZZ_CHECK(d.size >= 0);
  check_digest(d.digest);
}

void check_index(std::string_view json) {
  auto index = parse_index(json);
  if (!index) {
    check_failure(index.error(), true);
    return;
  }
  FUZZ_CHECK(index->schema_version == 2);
  for (const Descriptor& d : index->manifests) {
    check_descriptor(d);
  }
  if (index->subject) {
    check_descriptor(*index->subject);
  }
  std::string bytes = serialize_index(*index);
  auto again = parse_index(bytes);
  FUZZ_CHECK(again && serialize_index(*again) == bytes);

  // Without a media type, "manifests" or "config" a document has no kind to sniff:
  // parse_index takes it as an empty index (Go's nil list), sniff_media_type refuses it.
  auto sniffed = sniff_media_type(json);
  if (!index->media_type.empty()) {
    FUZZ_CHECK(sniffed && *sniffed == index->media_type);
  } else if (!index->manifests.empty()) {
    FUZZ_CHECK(sniffed && *sniffed == k_media_oci_index);
  }
}

void check_manifest(std::string_view json) {
  auto manifest = parse_manifest(json);
  if (!manifest) {
    check_failure(manifest.error(), true);
    return;
  }
  FUZZ_CHECK(manifest->schema_version == 2);
  check_descriptor(manifest->config);
  for (const Descriptor& d : manifest->layers) {
    check_descriptor(d);
  }
  // Its descriptors, written as Go writes them into a minimal manifest, read back the same.
  std::string bytes =
      "{\"schemaVersion\":2,\"config\":" + serialize_descriptor(manifest->config) + ",\"layers\":[";
  for (std::size_t i = 0; i < manifest->layers.size(); ++i) {
    bytes += (i == 0 ? "" : ",") + serialize_descriptor(manifest->layers[i]);
  }
  bytes += "]}";
  auto again = parse_manifest(bytes);
  FUZZ_CHECK(again && again->layers.size() == manifest->layers.size());
  FUZZ_CHECK(serialize_descriptor(again->config) == serialize_descriptor(manifest->config));
  for (std::size_t i = 0; i < manifest->layers.size(); ++i) {
    FUZZ_CHECK(serialize_descriptor(again->layers[i]) == serialize_descriptor(manifest->layers[i]));
  }

  auto sniffed = sniff_media_type(json);
  FUZZ_CHECK(sniffed && (manifest->media_type.empty() || *sniffed == manifest->media_type));
}

void check_config(std::string_view json) {
  auto config = parse_image_config(json);
  auto platform = parse_config_platform(json);
  if (!platform) {
    check_failure(platform.error(), false);
  }
  if (!config) {
    check_failure(config.error(), false);
    return;
  }
  for (const Digest& id : config->diff_ids) {
    check_digest(id);
  }
  if (platform) {
    FUZZ_CHECK(platform->architecture == config->platform.architecture &&
               platform->os == config->platform.os &&
               platform->os_version == config->platform.os_version &&
               platform->os_features == config->platform.os_features &&
               platform->variant == config->platform.variant);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  check_index(json);
  check_manifest(json);
  check_config(json);
  auto sniffed = sniff_media_type(json);
  if (!sniffed) {
    check_failure(sniffed.error(), false);
  }
  return 0;
}
