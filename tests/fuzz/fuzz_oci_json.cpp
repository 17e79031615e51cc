// libFuzzer target: the OCI JSON parsers that read registry and archive input (index,
// manifest, image config, config platform, media type sniffing) and the config rewrite of
// a conversion, all on every input. Each either fails with the kinds its header names or
// returns a model that keeps its contract: schema version 2, sizes not negative, digests
// valid, serialising and parsing again gives the same bytes, and the parsers that read
// the same fields agree on them.
#include <convert/oci_rewrite.h>
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

  auto sniffed = sniff_media_type(json);
  FUZZ_CHECK(sniffed && (index->media_type.empty() || *sniffed == index->media_type));
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
  std::string bytes = convert::serialize_manifest(*manifest);
  auto again = parse_manifest(bytes);
  FUZZ_CHECK(again && convert::serialize_manifest(*again) == bytes);

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

  // A conversion rewrites what parse_image_config accepted; the result still parses, with
  // the new diff IDs and the source's platform and runtime defaults.
  const Digest layer = Digest::of("layer");
  auto rewritten = convert::rewrite_config(json, {layer}, Digest::of("manifest"));
  FUZZ_CHECK(rewritten);
  auto reread = parse_image_config(*rewritten);
  FUZZ_CHECK(reread);
  FUZZ_CHECK(reread->diff_ids.size() == 1 && reread->diff_ids.front() == layer);
  FUZZ_CHECK(reread->history.size() == 1);
  FUZZ_CHECK(reread->platform == config->platform);
  FUZZ_CHECK(reread->config.entrypoint == config->config.entrypoint &&
             reread->config.cmd == config->config.cmd && reread->config.env == config->config.env);
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
