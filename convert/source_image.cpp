#include "source_image.h"

#include <convert/oci_convert.h>
#include <convert/tar_reader.h>
#include <sif/oci_parse.h>

#include <memory>
#include <vector>

#include <fmt/format.h>

namespace sifkit::convert {

namespace {

// A layer's entries that, once the tar ends, read the rest of the blob: libarchive stops
// at the end-of-archive blocks and may leave padding or the gzip trailer unread, and
// the digest is only checked when the last byte has been hashed.
class VerifiedLayerReader : public EntryReader {
public:
  VerifiedLayerReader(std::unique_ptr<EntryReader> inner, std::shared_ptr<ByteSource> source)
      : m_inner(std::move(inner)), m_source(std::move(source)) {}

  Result<std::optional<Entry>> next() override {
    auto entry = m_inner->next();
    if (entry && !*entry && !m_drained) {
      m_drained = true;
      SIFKIT_TRY(with_context(drain(), name()));
    }
    return entry;
  }
  Result<std::optional<DataPiece>> read_data() override { return m_inner->read_data(); }
  const std::string& name() const override { return m_inner->name(); }

private:
  Result<void> drain() {
    std::vector<std::byte> buffer(64 * 1024);
    for (;;) {
      SIFKIT_TRY_ASSIGN(auto n, (*m_source)(buffer));
      if (n == 0) {
        return {};
      }
    }
  }

  std::unique_ptr<EntryReader> m_inner;
  std::shared_ptr<ByteSource> m_source;
  bool m_drained = false;
};

LayerInput tar_layer(const oci::BlobSource& blobs, const oci::Descriptor& layer,
                     std::size_t index) {
  std::string name = layer_name(index, layer.digest);
  auto open = [&blobs, layer, name]() -> Result<std::unique_ptr<EntryReader>> {
    SIFKIT_TRY_ASSIGN(auto stream, with_context(blobs.open_blob(layer.digest), name));
    // The tar reader sees only verified bytes: a layer that does not match its digest
    // fails the conversion instead of becoming part of the image.
    auto verified = std::make_shared<ByteSource>(
        oci::verified_source(std::move(stream.source), layer.digest, layer.size, name));
    SIFKIT_TRY_ASSIGN(
        auto reader,
        open_tar_stream([verified](std::span<std::byte> buf) { return (*verified)(buf); }, name));
    return std::unique_ptr<EntryReader>(
        std::make_unique<VerifiedLayerReader>(std::move(reader), std::move(verified)));
  };
  return LayerInput{name, std::move(open), Whiteouts::interpret};
}

Result<void> check_layer(const oci::Descriptor& layer, std::size_t index) {
  if (layer.media_type == oci::k_media_squashfs_layer ||
      layer.media_type == oci::k_media_ext3_layer) {
    return fail(ErrorKind::unsupported, layer_name(index, layer.digest) +
                                            " is already an OCI-SIF layer (" + layer.media_type +
                                            "): the image needs no conversion");
  }
  if (!is_tar_layer_media_type(layer.media_type)) {
    return fail(ErrorKind::unsupported, layer_name(index, layer.digest) + " has media type \"" +
                                            layer.media_type + "\", not a tar layer");
  }
  return {};
}

} // namespace

std::string layer_name(std::size_t index, const Digest& digest) {
  return fmt::format("layer {} ({}…)", index + 1, digest.short_text());
}

bool is_tar_layer_media_type(std::string_view media_type) {
  bool known_family = media_type.starts_with("application/vnd.oci.image.layer.") ||
                      media_type.starts_with("application/vnd.docker.image.rootfs.");
  return known_family && media_type.find(".tar") != std::string_view::npos;
}

Result<SourceImage> read_source_image(const oci::BlobSource& blobs, const Digest& manifest_digest) {
  std::string what = "manifest " + manifest_digest.text();
  SIFKIT_TRY_ASSIGN(
      auto bytes,
      with_context(oci::read_verified_blob(blobs, manifest_digest, std::nullopt), what));
  SIFKIT_TRY_ASSIGN(auto media_type, with_context(oci::sniff_media_type(bytes), what));
  if (oci::is_index_media_type(media_type)) {
    return fail(ErrorKind::unsupported,
                what + " is an image index (" + media_type + "): convert one of its images");
  }
  if (!oci::is_image_media_type(media_type)) {
    return fail(ErrorKind::unsupported,
                what + " has media type \"" + media_type + "\", not an image manifest");
  }
  SIFKIT_TRY_ASSIGN(auto manifest, with_context(oci::parse_manifest(bytes), what));
  SourceImage image{manifest_digest, std::move(manifest), {}, {}};
  image.manifest.media_type = media_type;
  for (std::size_t i = 0; i < image.manifest.layers.size(); ++i) {
    SIFKIT_TRY(with_context(check_layer(image.manifest.layers[i], i), what));
    image.layers.push_back(tar_layer(blobs, image.manifest.layers[i], i));
  }
  const oci::Descriptor& config = image.manifest.config;
  SIFKIT_TRY_ASSIGN(auto config_bytes,
                    with_context(oci::read_verified_blob(blobs, config.digest, config.size),
                                 "config " + config.digest.text()));
  image.config_bytes = std::move(config_bytes);
  return image;
}

} // namespace sifkit::convert
