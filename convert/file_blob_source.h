#pragma once

// Blobs that live in files of their own, such as freshly written squashfs layers.
#include <sif/oci_blob_source.h>

#include <map>
#include <string>

namespace sifkit::convert {

class FileBlobSource : public oci::BlobSource {
public:
  // Serves the file `path` as blob `digest` (the file must stay until the source is
  // no longer used; its bytes are verified by whoever reads them).
  void add(const Digest& digest, std::string path) { m_paths[digest] = std::move(path); }
  // Opens the file of `digest`; `not_found` when none was added, the file's errors.
  Result<oci::BlobStream> open_blob(const Digest& digest) const override;

private:
  std::map<Digest, std::string> m_paths;
};

} // namespace sifkit::convert
