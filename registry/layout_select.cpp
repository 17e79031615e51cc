#include <common/text_escape.h>
#include <registry/layout_select.h>
#include <sif/oci_parse.h>

namespace sifkit::registry {

Result<oci::Descriptor> select_layout_entry(const oci::Index& index, const std::string& tag,
                                            const std::optional<Digest>& digest,
                                            const std::string& where) {
  std::string tags;
  for (const auto& entry : index.manifests) {
    if (auto name = entry.ref_name()) {
      tags += (tags.empty() ? "" : ", ") + escape_control(*name);
    }
  }
  if (tags.empty()) {
    tags = "none";
  }
  if (digest) {
    for (const auto& entry : index.manifests) {
      if (entry.digest == *digest) {
        return entry;
      }
    }
    return fail(ErrorKind::not_found, where + " has no image " + digest->text());
  }
  std::string want = tag.empty() ? "latest" : tag;
  for (const auto& entry : index.manifests) {
    if (entry.ref_name() == want) {
      return entry;
    }
  }
  if (tag.empty() && index.manifests.size() == 1) {
    return index.manifests.front();
  }
  if (index.manifests.empty()) {
    return fail(ErrorKind::not_found, where + " lists no images");
  }
  if (tag.empty()) {
    return fail(ErrorKind::usage, where + " holds " + std::to_string(index.manifests.size()) +
                                      " images and none is tagged \"latest\": name one with "
                                      ":TAG or @DIGEST (tags: " +
                                      tags + ")");
  }
  return fail(ErrorKind::not_found,
              where + " has no image tagged \"" + tag + "\" (tags: " + tags + ")");
}

Result<FetchedManifest> fetched_manifest(std::string bytes, const oci::Descriptor& descriptor) {
  if (static_cast<std::int64_t>(bytes.size()) != descriptor.size) {
    return fail(ErrorKind::corrupt_input,
                descriptor.digest.text() + " is " + std::to_string(bytes.size()) +
                    " bytes, its descriptor says " + std::to_string(descriptor.size));
  }
  Digest actual = Digest::of(bytes);
  if (actual != descriptor.digest) {
    return fail(ErrorKind::corrupt_input, "manifest " + descriptor.digest.text() +
                                              " has the wrong content (it hashes to " +
                                              actual.text() + ")");
  }
  FetchedManifest out;
  out.media_type = descriptor.media_type;
  if (out.media_type.empty()) {
    SIFKIT_TRY_ASSIGN(auto sniffed, oci::sniff_media_type(bytes));
    out.media_type = sniffed;
  }
  out.bytes = std::move(bytes);
  out.digest = std::move(actual);
  return out;
}

} // namespace sifkit::registry
