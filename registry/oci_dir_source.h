#pragma once

// The oci: transport: an OCI image layout directory (oci-layout, index.json,
// blobs/sha256/<hex>). Blobs must be regular files (symbolic links are refused), and
// every byte read is checked against its digest by the cache's writer.
#include <common/error.h>
#include <registry/image_source.h>
#include <sif/oci_types.h>

#include <memory>
#include <optional>
#include <string>

namespace sifkit::registry {

class OciDirSource : public ImageSource {
public:
  // Opens the layout `dir` and selects the image tagged `tag` or with manifest `digest`
  // (neither: the only image, else the one tagged "latest"; see layout_select.h). Fails
  // with `not_found`, `corrupt_input` (not a valid layout), `unsupported` or `usage`.
  static Result<std::unique_ptr<OciDirSource>> open(const std::string& dir, const std::string& tag,
                                                    const std::optional<Digest>& digest,
                                                    std::string description);

  std::string describe() const override { return m_description; }
  Result<FetchedManifest> fetch_root() override;
  Result<FetchedManifest> fetch_manifest(const oci::Descriptor& descriptor) override;
  // Thread-safe: each call opens its own descriptor.
  Result<void> fetch_blob(const oci::Descriptor& descriptor, cache::BlobWriter& writer,
                          const BlobProgress& progress) override;
  int max_parallel() const override { return 4; }

private:
  OciDirSource(std::string dir, oci::Descriptor root, std::string description)
      : m_dir(std::move(dir)), m_root(std::move(root)), m_description(std::move(description)) {}

  std::string m_dir;
  oci::Descriptor m_root;
  std::string m_description;
};

} // namespace sifkit::registry
