#pragma once

// The config and manifest of a converted image (reference "Step 4"): the source's
// config with new diff IDs and one history entry, and a manifest naming the squashfs
// layers. Same inputs, same bytes.
#include <common/digest.h>
#include <common/error.h>
#include <sif/oci_types.h>

#include <string>
#include <string_view>
#include <vector>

namespace sifkit::convert {

// The source config `config_json` with rootfs.diff_ids replaced by `diff_ids` and the
// history replaced by one entry (the source's "created" time if any, created_by
// k_creator, comment "oci-sif created from <hex of source_manifest>"); every other field
// is kept in its order. `corrupt_input` when the config is not a JSON object.
Result<std::string> rewrite_config(std::string_view config_json,
                                   const std::vector<Digest>& diff_ids,
                                   const Digest& source_manifest);

// A minimal OCI config for a root filesystem: `platform`, a default PATH, the diff IDs
// and one history entry without a time.
std::string rootfs_config(const oci::Platform& platform, const std::vector<Digest>& diff_ids);

// The JSON of `manifest` in go-containerregistry's field order (schemaVersion,
// mediaType, artifactType, config, layers, annotations, subject), compact.
std::string serialize_manifest(const oci::Manifest& manifest);

} // namespace sifkit::convert
