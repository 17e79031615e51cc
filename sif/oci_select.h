#pragma once

// Resolving the images of an OCI-SIF: listing every image reachable from the root index
// (through nested indexes and Docker manifest lists) with its platform, and selecting
// one by digest or platform.
#include <common/error.h>
#include <sif/oci_sif.h>
#include <sif/oci_types.h>

#include <optional>
#include <string>
#include <vector>

namespace sifkit::oci {

// One image reachable from the root index.
struct ImageEntry {
  Descriptor descriptor;               // the manifest, as its index references it
  Platform platform;                   // from the descriptor, else from the image config
  std::optional<Digest> parent;        // the nested index listing it; none: the root index
  std::optional<std::string> ref_name; // nearest ref.name annotation on the way down
};

// An image with its manifest and config read, verified and parsed.
struct ResolvedImage {
  Descriptor descriptor;
  std::string manifest_bytes;
  Manifest manifest;
  std::string config_bytes;
  Platform platform;
};

// How to pick an image. With neither field set: the only image that has a platform, else
// the first image for the host platform.
struct ImageSelector {
  std::optional<Digest> digest;     // a manifest digest
  std::optional<Platform> platform; // os and architecture must match; variant if given
};

// The platform this program runs on ("linux/amd64", "linux/arm64/v8", ...).
Platform host_platform();

// True when image platform `have` satisfies request `want`: same os and architecture,
// and the same variant when `want` names one (arm64 without variant counts as v8).
bool platform_matches(const Platform& want, const Platform& have);

// Lists the images reachable from the root index, in index order, depth first. Fails
// with `corrupt_input` on malformed or missing manifests, indexes or configs.
Result<std::vector<ImageEntry>> list_images(const OciSif& sif);

// Selects one image; `not_found` when nothing matches (the message lists the
// platforms present).
Result<ResolvedImage> select_image(const OciSif& sif, const ImageSelector& selector = {});

// Reads, verifies and parses the image that `descriptor` references.
Result<ResolvedImage> resolve_image(const OciSif& sif, const Descriptor& descriptor);

} // namespace sifkit::oci
