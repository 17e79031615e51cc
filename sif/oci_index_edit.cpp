#include <sif/oci_index_edit.h>
#include <sif/oci_json.h>
#include <sif/oci_parse.h>

#include <algorithm>

namespace sifkit::oci {

namespace {

bool same_set(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

bool platform_equals(const Platform& a, const Platform& b) {
  return a.os == b.os && a.architecture == b.architecture && a.variant == b.variant &&
         a.os_version == b.os_version && same_set(a.os_features, b.os_features) &&
         same_set(a.features, b.features);
}

} // namespace

DescriptorMatcher match_platform(Platform platform) {
  return [platform = std::move(platform)](const Descriptor& d) {
    return d.platform && platform_equals(*d.platform, platform);
  };
}

DescriptorMatcher match_ref_name(std::string name) {
  return [name = std::move(name)](const Descriptor& d) { return d.ref_name() == name; };
}

Result<Descriptor> describe_manifest(std::string_view bytes) {
  SIFKIT_TRY_ASSIGN(auto media_type, sniff_media_type(bytes));
  Descriptor d;
  d.media_type = media_type;
  d.size = static_cast<std::int64_t>(bytes.size());
  d.digest = Digest::of(bytes);
  if (is_index_media_type(d.media_type)) {
    SIFKIT_TRY(parse_index(bytes));
  } else {
    // Anything that is not an index must at least be an image manifest.
    SIFKIT_TRY_ASSIGN(auto manifest, parse_manifest(bytes));
    d.artifact_type =
        manifest.artifact_type.empty() ? manifest.config.media_type : manifest.artifact_type;
  }
  return d;
}

Result<Descriptor> describe_blob(const BlobSource& blobs, const Digest& digest) {
  SIFKIT_TRY_ASSIGN(auto bytes, read_verified_blob(blobs, digest, std::nullopt));
  auto d = describe_manifest(bytes);
  if (!d) {
    return std::unexpected(std::move(d.error()).with_context(digest.text()));
  }
  return d;
}

Index empty_index() {
  Index index;
  index.schema_version = 2;
  index.media_type = std::string(k_media_oci_index);
  return index;
}

std::string new_index_around(const Descriptor& descriptor) {
  Index index = empty_index();
  index.manifests.push_back(descriptor);
  return serialize_index(index);
}

void remove_manifests(Index& index, const DescriptorMatcher& matcher) {
  std::erase_if(index.manifests, [&](const Descriptor& d) { return !matcher || matcher(d); });
}

void append_manifest(Index& index, Descriptor descriptor,
                     const std::optional<std::string>& ref_name) {
  if (ref_name) {
    for (Descriptor& d : index.manifests) {
      if (d.ref_name() == *ref_name) {
        d.annotations.erase(std::string(k_annotation_ref_name));
      }
    }
    descriptor.annotations[std::string(k_annotation_ref_name)] = *ref_name;
  }
  index.manifests.push_back(std::move(descriptor));
}

} // namespace sifkit::oci
