#pragma once

// Updating an OCI-SIF in place (spec §13.3), byte-identical to oci-tools: replace the
// root index, keeping the blobs it still references, deleting the others (zero +
// compact) and adding the new ones; and the edits built on it (append, remove,
// replace, remove a blob).
//
// Every function takes an image opened `read_write`. Before anything is changed, the new
// index is walked (manifests read from the image or from `blobs`), every blob to add is
// read once from `blobs` and verified, and the free descriptor capacity is checked; a
// missing or corrupt blob therefore fails with the image untouched (at the cost of
// reading new blobs twice). Not thread-safe; no other process may modify the file
// meanwhile.
#include <common/error.h>
#include <sif/image.h>
#include <sif/oci_blob_source.h>
#include <sif/oci_index_edit.h>
#include <sif/oci_types.h>

#include <optional>
#include <string>
#include <string_view>

namespace sifkit::oci {

// Makes `new_index` the root index of `image`: nothing happens when its digest equals the
// stored root index's; otherwise blobs it references that the image holds are kept in
// place, every other OCI.Blob / OCI.RootIndex object is deleted (zero-filled, file
// compacted), then the missing blobs are added from `blobs` in walk order and
// `new_index` last. Fails with `not_found` (not an OCI-SIF, a blob in neither place),
// `corrupt_input` (malformed JSON, a blob that does not match its digest or size),
// `unsupported` (an index entry that is neither image nor index), `capacity` or `io`.
Result<void> update_root_index(sif::Image& image, std::string_view new_index,
                               const BlobSource& blobs);

struct AppendOptions {
  // Set as `org.opencontainers.image.ref.name` on the new entry and removed from any
  // existing entry that carries the same name.
  std::optional<std::string> ref_name;
};

// Appends the image manifest `manifest` (read with its blobs from `blobs`) to the root
// index; `usage` when `manifest` is not an image manifest.
Result<void> append_image(sif::Image& image, const Digest& manifest, const BlobSource& blobs,
                          const AppendOptions& options = {});

// Appends the image index / manifest list `index` (with everything below it) to the root
// index; `usage` when `index` is not an index.
Result<void> append_index(sif::Image& image, const Digest& index, const BlobSource& blobs,
                          const AppendOptions& options = {});

// Removes the root index entries that `matcher` selects (all when empty) and the blobs
// no longer referenced. The root index is re-serialised even when nothing matches.
Result<void> remove_manifests(sif::Image& image, const DescriptorMatcher& matcher);

// Removes the entries that `matcher` selects (all when empty), then appends the image or
// index `digest` from `blobs` (kind taken from its media type).
Result<void> replace_manifests(sif::Image& image, const Digest& digest, const BlobSource& blobs,
                               const DescriptorMatcher& matcher,
                               const AppendOptions& options = {});

// Deletes the object storing blob `digest` (zero-filled, file compacted) without touching
// the root index; `not_found` when no object stores it.
Result<void> remove_blob(sif::Image& image, const Digest& digest);

} // namespace sifkit::oci
