#include <sif/oci_parse.h>
#include <sif/oci_sif.h>

namespace sifkit::oci {

bool is_oci_sif(const sif::Image& image) {
  return !image
              .select([](const sif::Descriptor& d) {
                return d.type() == sif::DataType::oci_root_index;
              })
              .empty();
}

Result<OciSif> OciSif::open(const sif::Image& image) {
  auto roots = image.select(
      [](const sif::Descriptor& d) { return d.type() == sif::DataType::oci_root_index; });
  if (roots.empty()) {
    return fail(ErrorKind::not_found, image.path() + ": not an OCI-SIF (no OCI.RootIndex object)");
  }
  if (roots.size() > 1) {
    return fail(ErrorKind::corrupt_input,
                image.path() + ": " + std::to_string(roots.size()) + " OCI.RootIndex objects");
  }
  const sif::Descriptor& root = *roots.front();
  auto in_root = [&](Error e) {
    return std::unexpected(std::move(e)
                               .with_context("root index (object " + std::to_string(root.id) + ")")
                               .with_context(image.path()));
  };
  auto digest = Digest::parse(root.oci_digest_text().value_or(""));
  if (!digest) {
    return in_root(digest.error());
  }
  if (root.size > k_max_manifest_size) {
    return in_root(Error(ErrorKind::corrupt_input,
                         "larger than " + std::to_string(k_max_manifest_size) + " bytes"));
  }
  auto bytes = image.read_object(root, k_max_manifest_size);
  if (!bytes) {
    return in_root(bytes.error());
  }
  if (Digest::of(*bytes) != *digest) {
    return in_root(
        Error(ErrorKind::corrupt_input, "content does not match digest " + digest->text()));
  }
  auto index = parse_index(*bytes);
  if (!index) {
    return in_root(index.error());
  }
  return OciSif(image, std::move(*bytes), std::move(*digest), std::move(*index));
}

Result<const sif::Descriptor*> OciSif::find_blob(const Digest& digest) const {
  auto matches = m_image->select([&](const sif::Descriptor& d) {
    return sif::is_oci_object(d) && d.oci_digest_text() == digest.text();
  });
  if (matches.empty()) {
    return fail(ErrorKind::not_found, m_image->path() + ": blob " + digest.text() + " not found");
  }
  if (matches.size() > 1) {
    return fail(ErrorKind::corrupt_input, m_image->path() + ": blob " + digest.text() +
                                              " is stored " + std::to_string(matches.size()) +
                                              " times");
  }
  return matches.front();
}

Result<std::string> OciSif::read_blob(const Digest& digest, std::int64_t max_bytes) const {
  return read_verified_blob(*this, digest, std::nullopt, max_bytes);
}

Result<BlobStream> OciSif::open_raw_blob(const Digest& digest) const {
  SIFKIT_TRY_ASSIGN(auto d, find_blob(digest));
  return BlobStream{m_image->object_source(*d), d->size};
}

Result<BlobStream> OciSif::open_blob(const Digest& digest) const {
  auto raw = open_raw_blob(digest);
  if (!raw) {
    return raw;
  }
  raw->source =
      verified_source(std::move(raw->source), digest, raw->size, m_image->path() + ": blob");
  return raw;
}

} // namespace sifkit::oci
