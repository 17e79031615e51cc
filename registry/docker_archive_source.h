#pragma once

// The docker-archive: transport: what `docker save` writes. The classic format has a
// manifest.json ([{Config, RepoTags, Layers}]) naming a config file and layer tar files
// by path; the image has no registry manifest, so one is synthesised (Docker v2, or OCI
// when a layer is zstd) whose layer digests are the sha256 of the layer files as stored
// and whose config is the config file. Docker 25+ archives are OCI layouts (index.json,
// oci-layout) and are read as oci-archive: instead.
#include <common/error.h>
#include <registry/image_source.h>
#include <sif/oci_types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace sifkit::registry {

class DockerArchiveSource : public ImageSource {
public:
  // Opens `path` and selects the image tagged `repo_tag` ("busybox:1.36"), or the
  // `index`-th of manifest.json, or else the only one. Reads the archive twice (names
  // and manifest.json, then hashing the layers). `not_found`, `corrupt_input` (unsafe or
  // escaping paths, links out of the archive, malformed manifest.json), `usage`.
  static Result<std::unique_ptr<ImageSource>> open(const std::string& path,
                                                   const std::string& repo_tag,
                                                   std::optional<int> index,
                                                   std::string description);

  std::string describe() const override { return m_description; }
  Result<FetchedManifest> fetch_root() override { return m_manifest; }
  Result<FetchedManifest> fetch_manifest(const oci::Descriptor& descriptor) override;
  Result<void> fetch_blob(const oci::Descriptor& descriptor, cache::BlobWriter& writer,
                          const BlobProgress& progress) override;
  int max_parallel() const override { return 2; }

private:
  DockerArchiveSource() = default;

  std::string m_path;
  std::string m_description;
  FetchedManifest m_manifest;
  Digest m_config_digest;
  std::string m_config_bytes;
  std::map<Digest, std::string> m_layer_entries; // digest → entry name
};

} // namespace sifkit::registry
