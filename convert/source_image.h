#pragma once

// The image a conversion reads: its manifest and config from a BlobSource, checked, and
// one LayerInput per layer that streams the verified blob through the tar reader.
#include <common/error.h>
#include <convert/squash.h>
#include <sif/oci_blob_source.h>
#include <sif/oci_types.h>

#include <string>
#include <vector>

namespace sifkit::convert {

struct SourceImage {
  Digest manifest_digest;
  oci::Manifest manifest; // media_type always set (sniffed when the JSON lacks it)
  std::string config_bytes;
  std::vector<LayerInput> layers; // oldest first; they read from the BlobSource
};

// Reads manifest `manifest_digest` and its config from `blobs` (which must outlive the
// result). `unsupported` for an index or a layer that is not a tar (a squashfs layer:
// already converted), `corrupt_input` for malformed or mismatching JSON, `not_found`.
Result<SourceImage> read_source_image(const oci::BlobSource& blobs, const Digest& manifest_digest);

// "layer 2 (sha256:ab12cd34ef56…)": how messages name layer `index` (0-based) of a
// manifest.
std::string layer_name(std::size_t index, const Digest& digest);

} // namespace sifkit::convert
