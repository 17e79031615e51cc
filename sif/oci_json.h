#pragma once

// Serialisation of OCI indexes byte-for-byte as go-containerregistry writes them (Go's
// encoding/json): compact, struct fields in declaration order, empty optional fields
// omitted, map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped as \uXXXX. An
// OCI-SIF's root index digest depends on these bytes, so they must match exactly.
#include <sif/oci_types.h>

#include <string>
#include <string_view>

namespace sifkit::oci {

// The JSON of `index`: schemaVersion, mediaType, manifests (an empty list is `null`, as
// Go writes a nil slice), annotations, subject.
std::string serialize_index(const Index& index);

// The JSON of one descriptor: mediaType, size, digest, data, urls, annotations,
// platform, artifactType.
std::string serialize_descriptor(const Descriptor& descriptor);

// Appends `text` as a JSON string literal, quoted and escaped as Go's encoding/json
// does (invalid UTF-8 becomes U+FFFD).
void append_json_string(std::string& out, std::string_view text);

} // namespace sifkit::oci
