#include <sif/oci_parse.h>
#include <sif/oci_walk.h>

#include <set>

namespace sifkit::oci {

namespace {

class Walker {
public:
  Walker(const ManifestReader& read, UnknownMediaType unknown) : m_read(read), m_unknown(unknown) {}

  Result<void> walk(const Index& index, int depth) {
    if (depth > k_max_index_depth) {
      return fail(ErrorKind::corrupt_input,
                  "image indexes nested more than " + std::to_string(k_max_index_depth) + " deep");
    }
    for (const Descriptor& d : index.manifests) {
      if (m_seen.contains(d.digest)) {
        continue; // already stored, with everything below it
      }
      SIFKIT_TRY(is_index_media_type(d.media_type)   ? walk_nested_index(d, depth)
                 : is_image_media_type(d.media_type) ? walk_image(d)
                                                     : walk_other(d));
    }
    return {};
  }

  std::vector<WalkEntry> take() { return std::move(m_entries); }

private:
  Result<void> walk_nested_index(const Descriptor& d, int depth) {
    SIFKIT_TRY_ASSIGN(auto bytes, with_context(m_read(d), "reading index " + d.digest.text()));
    SIFKIT_TRY_ASSIGN(auto nested, with_context(parse_index(bytes), "index " + d.digest.text()));
    SIFKIT_TRY(walk(nested, depth + 1));
    add(d, BlobKind::index, std::move(bytes));
    return {};
  }

  Result<void> walk_image(const Descriptor& d) {
    SIFKIT_TRY_ASSIGN(auto bytes, with_context(m_read(d), "reading manifest " + d.digest.text()));
    SIFKIT_TRY_ASSIGN(auto manifest,
                      with_context(parse_manifest(bytes), "manifest " + d.digest.text()));
    for (const Descriptor& layer : manifest.layers) {
      add(layer, BlobKind::layer, std::nullopt);
    }
    add(manifest.config, BlobKind::config, std::nullopt);
    add(d, BlobKind::manifest, std::move(bytes));
    return {};
  }

  Result<void> walk_other(const Descriptor& d) {
    if (m_unknown == UnknownMediaType::reject) {
      return fail(ErrorKind::unsupported, "index entry " + d.digest.text() +
                                              " has unexpected media type \"" + d.media_type +
                                              "\"");
    }
    add(d, BlobKind::other, std::nullopt);
    return {};
  }

  void add(const Descriptor& d, BlobKind kind, std::optional<std::string> bytes) {
    if (m_seen.insert(d.digest).second) {
      m_entries.push_back(WalkEntry{d, kind, std::move(bytes)});
    }
  }

  const ManifestReader& m_read;
  UnknownMediaType m_unknown;
  std::set<Digest> m_seen;
  std::vector<WalkEntry> m_entries;
};

} // namespace

Result<std::vector<WalkEntry>> walk_index(const Index& index, const ManifestReader& read,
                                          UnknownMediaType unknown) {
  Walker walker(read, unknown);
  SIFKIT_TRY(walker.walk(index, 0));
  return walker.take();
}

} // namespace sifkit::oci
