#pragma once

// The oci-archive: transport: a tar (plain or compressed) of an OCI image layout.
// Opening reads the archive once to check every entry name and read index.json; each
// blob is then streamed from its entry by a fresh pass over the archive, so memory
// stays a few buffers whatever the layer sizes. Links are never followed for blobs.
#include <common/error.h>
#include <registry/image_source.h>
#include <sif/oci_types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace sifkit::registry {

class OciArchiveSource : public ImageSource {
public:
  // Opens the archive `path` and selects the image tagged `tag` (empty: the only one,
  // else "latest"). `not_found`, `corrupt_input` (unsafe entry names, duplicate or
  // linked blobs, invalid layout), `unsupported`, `usage`.
  static Result<std::unique_ptr<OciArchiveSource>>
  open(const std::string& path, const std::string& tag, std::string description);

  std::string describe() const override { return m_description; }
  Result<FetchedManifest> fetch_root() override;
  Result<FetchedManifest> fetch_manifest(const oci::Descriptor& descriptor) override;
  // Thread-safe: each call reads the archive through its own handle.
  Result<void> fetch_blob(const oci::Descriptor& descriptor, cache::BlobWriter& writer,
                          const BlobProgress& progress) override;
  int max_parallel() const override { return 2; }

private:
  OciArchiveSource() = default;
  // The entry of blob `digest` if the archive holds it as a regular file of `size`.
  Result<std::string> blob_entry(const oci::Descriptor& descriptor) const;

  std::string m_path;
  std::string m_description;
  std::map<std::string, std::int64_t> m_blobs; // entry name → size
  oci::Descriptor m_root;
};

} // namespace sifkit::registry
