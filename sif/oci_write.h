#pragma once

// Writing a new OCI-SIF (spec §13.2), byte-identical to oci-tools' sif.Write.
#include <common/error.h>
#include <sif/image.h>
#include <sif/oci_blob_source.h>
#include <sif/oci_types.h>
#include <sif/oci_walk.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit::oci {

// SingularityCE leaves this many free descriptors so overlays and signatures can be added
// in place.
inline constexpr std::int64_t k_singularity_spare_descriptors = 8;

struct WriteOptions {
  std::int64_t spare_descriptors = 0; // free slots beyond those the content needs
};

// Writes a new OCI-SIF at `path`: every blob that `root_index` references (walked as in
// §13.2, each digest once) as an OCI.Blob object in walk order, then `root_index`
// verbatim as the OCI.RootIndex object; capacity = objects + spare, deterministic
// header, group 1, no alignment. Each blob is read from `blobs` and verified against
// its digest and declared size while it is copied. Fails with `corrupt_input` (a blob
// that does not match, malformed JSON), `not_found` (a missing blob), `usage` or `io`;
// on failure no file is left at `path` (the image is built under a temporary name).
Result<void> write_oci_sif(const std::string& path, std::string_view root_index,
                           const BlobSource& blobs, const WriteOptions& options = {});

// Writes the image or index `digest` from `blobs` as the only entry of a fresh root index
// (how SingularityCE writes one image, and how TestWrite/DockerManifest was made); the
// entry carries media type, size, digest and, for an image, its artifactType. Same
// failures as write_oci_sif.
Result<void> write_oci_sif_around(const std::string& path, const Digest& digest,
                                  const BlobSource& blobs, const WriteOptions& options = {});

// The object for blob `entry`: its bytes from `entry.bytes` when the walk read them,
// else streamed from `blobs` on first read and verified (digest and size). `blobs` must
// outlive the returned object.
sif::ObjectInput blob_object(const WalkEntry& entry, const BlobSource& blobs);

// The object holding root index `bytes`.
sif::ObjectInput root_index_object(std::string bytes);

// Reads the verified bytes of the manifest or index `d` from `blobs` (a ManifestReader).
Result<std::string> read_manifest_blob(const BlobSource& blobs, const Descriptor& d);

} // namespace sifkit::oci
