#pragma once

// Reading an OCI-SIF (spec §13.1): its root index and its blobs, addressed by digest.
#include <common/error.h>
#include <sif/image.h>
#include <sif/oci_blob_source.h>
#include <sif/oci_types.h>

#include <string>

namespace sifkit::oci {

// True when `image` holds an OCI.RootIndex object (SingularityCE's test for OCI-SIF).
bool is_oci_sif(const sif::Image& image);

// A read view of an OCI-SIF over an open sif::Image, which must outlive it and must not
// be modified while it is in use (open a new view after an update). Not thread-safe.
class OciSif : public BlobSource {
public:
  // Reads and verifies the root index of `image`. Fails with `not_found` when the image
  // is not an OCI-SIF, `corrupt_input` when it has several root indexes, or the root
  // index does not match its stored digest or is not a valid index.
  static Result<OciSif> open(const sif::Image& image);

  const sif::Image& image() const { return *m_image; }
  // The root index as stored (verbatim bytes), its digest, and its parsed form.
  const std::string& root_index_bytes() const { return m_root_bytes; }
  const Digest& root_index_digest() const { return m_root_digest; }
  const Index& root_index() const { return m_root; }

  // The one used OCI.Blob or OCI.RootIndex object storing `digest`; `not_found` when
  // there is none, `corrupt_input` when there are several or the stored digest of the
  // match is malformed.
  Result<const sif::Descriptor*> find_blob(const Digest& digest) const;

  // Reads blob `digest` into memory, verified against its digest; `corrupt_input` when
  // it is larger than `max_bytes` or does not match.
  Result<std::string> read_blob(const Digest& digest,
                                std::int64_t max_bytes = k_max_manifest_size) const;

  // A stream over blob `digest` (for layers of any size) that fails with
  // `corrupt_input` at its end if the bytes do not match the digest.
  Result<BlobStream> open_blob(const Digest& digest) const override;

  // A stream over the raw stored bytes of blob `digest`, not verified.
  Result<BlobStream> open_raw_blob(const Digest& digest) const;

private:
  OciSif(const sif::Image& image, std::string root_bytes, Digest root_digest, Index root)
      : m_image(&image), m_root_bytes(std::move(root_bytes)),
        m_root_digest(std::move(root_digest)), m_root(std::move(root)) {}

  const sif::Image* m_image;
  std::string m_root_bytes;
  Digest m_root_digest;
  Index m_root;
};

} // namespace sifkit::oci
