#pragma once

// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/<hex>`) as a
// source of blobs for writing an OCI-SIF. Every file in it is opened below the directory
// without following a link (a layout another user made could link to any of the reader's
// files), must be a regular file (a FIFO would block the reader) and is read with a cap.
#include <common/error.h>
#include <common/file.h>
#include <sif/oci_blob_source.h>
#include <sif/oci_types.h>

#include <string>

namespace sifkit::oci {

class OciLayout : public BlobSource {
public:
  // Opens the layout at `dir`: `oci-layout` (at most 4 KiB) must declare
  // imageLayoutVersion 1.0.0 and `index.json` (at most k_max_manifest_size) must be a valid
  // index. Fails with `not_found` / `io` (unreadable files), `corrupt_input` (malformed
  // JSON, invalid digests, links), `capacity` (too large), `usage` (not a regular file) or
  // `unsupported` (another layout version).
  static Result<OciLayout> open(const std::string& dir);

  const std::string& path() const { return m_dir; }
  // The bytes of index.json, as stored.
  const std::string& index_bytes() const { return m_index_bytes; }
  const Index& index() const { return m_index; }

  // Opens `blobs/sha256/<hex>`; `not_found` when absent, `corrupt_input` when it is not a
  // regular file or is a link. A Digest is always sha256:<64 hex>, so no other path can be
  // named.
  Result<BlobStream> open_blob(const Digest& digest) const override;

private:
  OciLayout(std::string dir, std::string index_bytes, Index index)
      : m_dir(std::move(dir)), m_index_bytes(std::move(index_bytes)), m_index(std::move(index)) {}

  std::string m_dir;
  std::string m_index_bytes;
  Index m_index;
};

// Opens the blob `digest` of the layout `dir` (`blobs/<algorithm>/<hex>`) for reading,
// without following a link anywhere below `dir` and without blocking on a FIFO.
// `not_found` when absent, `corrupt_input` for a link or anything but a regular file.
Result<File> open_layout_blob(const std::string& dir, const Digest& digest);

} // namespace sifkit::oci
