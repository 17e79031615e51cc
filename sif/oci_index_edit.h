#pragma once

// Editing an image index the way go-containerregistry's mutate package does, so that
// edited root indexes are byte-identical to those oci-tools writes (spec §13.3):
// describing a manifest for an index entry, appending with a reference name, removing
// entries that a matcher selects.
#include <common/error.h>
#include <sif/oci_blob_source.h>
#include <sif/oci_types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::oci {

// Selects index entries; an empty matcher selects every entry.
using DescriptorMatcher = std::function<bool(const Descriptor&)>;

// Entries whose platform equals `platform` (os, architecture, variant, os.version and
// the feature lists, order-insensitive); entries without a platform never match.
DescriptorMatcher match_platform(Platform platform);
// Entries whose `org.opencontainers.image.ref.name` annotation is `name`.
DescriptorMatcher match_ref_name(std::string name);

// The index entry for manifest or index `bytes`: its media type (sniffed when the JSON
// has none), size and digest, and for an image the artifactType go-containerregistry
// records (the manifest's artifactType, else its config's media type). Fails with
// `corrupt_input` when `bytes` is not a valid manifest or index.
Result<Descriptor> describe_manifest(std::string_view bytes);

// Reads the manifest or index `digest` from `blobs` (verified) and describes it.
Result<Descriptor> describe_blob(const BlobSource& blobs, const Digest& digest);

// An OCI image index without entries (serialises with "manifests":null).
Index empty_index();

// The serialised root index that holds only `descriptor` (how oci-tools' callers wrap one
// image: mutate.AppendManifests(empty.Index, image)).
std::string new_index_around(const Descriptor& descriptor);

// Removes the entries that `matcher` selects (all when it is empty).
void remove_manifests(Index& index, const DescriptorMatcher& matcher);

// Appends `descriptor`. With `ref_name`, the ref.name annotation with that value is first
// removed from every existing entry, then set on the new one.
void append_manifest(Index& index, Descriptor descriptor,
                     const std::optional<std::string>& ref_name = std::nullopt);

} // namespace sifkit::oci
