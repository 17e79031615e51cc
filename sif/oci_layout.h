#pragma once

// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/<hex>`) as a
// source of blobs for writing an OCI-SIF.
#include <common/error.h>
#include <sif/oci_blob_source.h>
#include <sif/oci_types.h>

#include <string>

namespace sifkit::oci {

class OciLayout : public BlobSource {
public:
  // Opens the layout at `dir`: `oci-layout` must declare imageLayoutVersion 1.0.0 and
  // `index.json` must be a valid index. Fails with `not_found` / `io` (unreadable
  // files), `corrupt_input` (malformed JSON, invalid digests) or `unsupported` (another
  // layout version).
  static Result<OciLayout> open(const std::string& dir);

  const std::string& path() const { return m_dir; }
  // The bytes of index.json, as stored.
  const std::string& index_bytes() const { return m_index_bytes; }
  const Index& index() const { return m_index; }

  // Opens `blobs/sha256/<hex>`; `not_found` when absent, `corrupt_input` when it is not a
  // regular file. A Digest is always sha256:<64 hex>, so no other path can be named.
  Result<BlobStream> open_blob(const Digest& digest) const override;

private:
  OciLayout(std::string dir, std::string index_bytes, Index index)
      : m_dir(std::move(dir)), m_index_bytes(std::move(index_bytes)), m_index(std::move(index)) {}

  std::string m_dir;
  std::string m_index_bytes;
  Index m_index;
};

} // namespace sifkit::oci
