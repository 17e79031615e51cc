#pragma once

// Parsing OCI JSON (indexes, manifests, image configs) into the model of oci_types.h.
// Nothing here trusts its input: malformed or maliciously shaped JSON (wrong types,
// missing fields, invalid digests, deep nesting, huge documents) is a `corrupt_input`
// error, never a crash or an exception. Unknown fields are ignored, as Go does.
#include <common/error.h>
#include <sif/oci_types.h>

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::oci {

// Parses an image index / manifest list; `corrupt_input` for malformed JSON, wrong field
// types, missing required fields or invalid digests; `unsupported` for a schema version
// other than 2. Inputs larger than k_max_manifest_size are refused.
Result<Index> parse_index(std::string_view json);
// Parses an image manifest, with the same rules as parse_index.
Result<Manifest> parse_manifest(std::string_view json);
// Reads the platform fields (architecture, os, os.version, os.features, variant) of an
// image config; `corrupt_input` when malformed.
Result<Platform> parse_config_platform(std::string_view json);

// Parses `text` as one JSON object of at most k_max_manifest_size bytes nested at most 32
// levels deep; `corrupt_input` naming `what` otherwise. Every OCI document is read this way.
Result<nlohmann::json> parse_json_object(std::string_view text, std::string_view what);

// The media type of manifest or index `json`: its "mediaType" field, else guessed from
// its shape ("manifests" → OCI index, otherwise OCI manifest); `corrupt_input` if not
// a JSON object.
Result<std::string> sniff_media_type(std::string_view json);

} // namespace sifkit::oci
