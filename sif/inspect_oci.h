#pragma once

// The OCI view of an OCI-SIF for `sif-inspect oci`: every image reachable from the root
// index with its platform, manifest, config summary, layers and history.
#include <common/error.h>
#include <sif/image.h>

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::sif {

// JSON form (stable field names):
// {"root_index": {digest, media_type, size},
//  "images": [{manifest_digest, media_type, platform ("os/arch[/variant]"), ref_name
//    (null when none), parent_index (digest of the nested index; null: the root index),
//    config: {digest, media_type, created, author, entrypoint, cmd, env, user,
//             working_dir, labels, exposed_ports, volumes, stop_signal},
//    layers: [{media_type, size, digest}], layers_size (sum of layer sizes),
//    history: [{created, created_by, comment, empty_layer}]}]}
// Fails with `not_found` when `image` is not an OCI-SIF, `corrupt_input` when its
// index, manifests or configs are malformed or do not match their digests.
Result<nlohmann::ordered_json> oci_json(const Image& image);

// The same as an indented human-readable text.
Result<std::string> format_oci(const Image& image);

} // namespace sifkit::sif
