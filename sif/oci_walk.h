#pragma once

// The walk of an index that decides which blobs an OCI-SIF holds and in which order
// (spec §13.2 step 3, §13.3 step 3): for each entry of `manifests`, depth first, an
// image contributes its layers, its config, then its manifest; a nested index its
// children, then itself; any other media type the referenced blob.
#include <common/error.h>
#include <sif/oci_types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sifkit::oci {

enum class BlobKind { layer, config, manifest, index, other };

// One blob in walk order.
struct WalkEntry {
  Descriptor descriptor;             // as its parent references it (digest, size, type)
  BlobKind kind = BlobKind::other;
  std::optional<std::string> bytes;  // manifests and nested indexes: read and verified
};

// What an index entry of a media type other than image or index means.
enum class UnknownMediaType {
  as_blob, // a plain blob to store (sif.Write)
  reject,  // an `unsupported` error (UpdateRootIndex)
};

// Returns the verified bytes of the manifest or index that `descriptor` references.
using ManifestReader = std::function<Result<std::string>(const Descriptor& descriptor)>;

// Nested indexes deeper than this are refused as `corrupt_input`.
inline constexpr int k_max_index_depth = 8;

// Lists the blobs referenced from `index` in walk order, each digest once (at its first
// occurrence: a blob shared by two images is stored once). Manifests and nested indexes
// are read through `read`; its errors are passed on with context.
Result<std::vector<WalkEntry>> walk_index(const Index& index, const ManifestReader& read,
                                          UnknownMediaType unknown);

} // namespace sifkit::oci
