#pragma once

// Choosing the image of an OCI layout's index.json that a reference names; shared by
// the oci: and oci-archive: transports.
#include <common/error.h>
#include <registry/image_source.h>
#include <sif/oci_types.h>

#include <optional>
#include <string>

namespace sifkit::registry {

// The entry of `index` whose ref.name annotation is `tag`, or whose digest is `digest`;
// with neither: the only entry, else the one tagged "latest". `not_found` naming
// `where` and listing the tags present when nothing matches; `usage` when the choice
// is ambiguous.
Result<oci::Descriptor> select_layout_entry(const oci::Index& index, const std::string& tag,
                                            const std::optional<Digest>& digest,
                                            const std::string& where);

// Wraps manifest bytes read for `descriptor`: media type from the descriptor, else
// sniffed. `corrupt_input` when the bytes do not hash to the descriptor's digest or
// differ from its size.
Result<FetchedManifest> fetched_manifest(std::string bytes, const oci::Descriptor& descriptor);

} // namespace sifkit::registry
