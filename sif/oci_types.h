#pragma once

// The OCI image model as far as an OCI-SIF needs it (spec §13): media types, digests,
// platforms, descriptors, image indexes / Docker manifest lists and image manifests.
// Parsing is in oci_parse.h, serialisation in oci_json.h.
#include <common/digest.h>
#include <common/error.h>

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit::oci {

// Media types of OCI and Docker content.
inline constexpr std::string_view k_media_oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view k_media_oci_manifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view k_media_oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view k_media_oci_layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view k_media_oci_layer_gzip =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view k_media_oci_layer_zstd =
    "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view k_media_oci_empty = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view k_media_docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view k_media_docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view k_media_docker_config =
    "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view k_media_docker_layer =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
// SingularityCE's layer and artifact types (spec §13.4).
inline constexpr std::string_view k_media_squashfs_layer =
    "application/vnd.sylabs.image.layer.v1.squashfs";
inline constexpr std::string_view k_media_ext3_layer = "application/vnd.sylabs.image.layer.v1.ext3";
inline constexpr std::string_view k_artifact_data_container =
    "application/vnd.sylabs.data-container.v1";

// The annotation that names a descriptor in an index ("myimage:v1").
inline constexpr std::string_view k_annotation_ref_name = "org.opencontainers.image.ref.name";

// Manifests, indexes and configs are read into memory up to this size.
inline constexpr std::int64_t k_max_manifest_size = 4 * 1024 * 1024;

// True for an OCI image index or a Docker manifest list.
bool is_index_media_type(std::string_view media_type);
// True for an OCI image manifest or a Docker v2 image manifest.
bool is_image_media_type(std::string_view media_type);

// Content digests are common/digest.h's; an OCI-SIF stores only sha256 ones.
using sifkit::Digest;

// The platform an image runs on (go-containerregistry's v1.Platform).
struct Platform {
  std::string architecture;
  std::string os;
  std::string os_version;
  std::vector<std::string> os_features;
  std::string variant;
  std::vector<std::string> features;

  // "os/arch" or "os/arch/variant".
  std::string to_string() const;
  // Parses "os/arch[/variant]"; `usage` when malformed.
  static Result<Platform> parse(std::string_view text);

  bool operator==(const Platform&) const = default;
};

using Annotations = std::map<std::string, std::string>;

// A content descriptor, with the fields go-containerregistry keeps (unknown fields are
// dropped on a round trip, as there).
struct Descriptor {
  std::string media_type;
  std::int64_t size = 0;
  Digest digest;
  std::optional<std::string> data; // base64, as in the JSON
  std::vector<std::string> urls;
  Annotations annotations;
  std::optional<Platform> platform;
  std::string artifact_type;

  // The `org.opencontainers.image.ref.name` annotation, if any.
  std::optional<std::string> ref_name() const;
};

// An OCI image index or Docker manifest list.
struct Index {
  std::int64_t schema_version = 2;
  std::string media_type;
  std::vector<Descriptor> manifests;
  Annotations annotations;
  std::optional<Descriptor> subject;
};

// An OCI or Docker v2 image manifest.
struct Manifest {
  std::int64_t schema_version = 2;
  std::string media_type;
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  Annotations annotations;
  std::optional<Descriptor> subject;
};

} // namespace sifkit::oci
