#include "image.h"

#include <common/file.h>
#include <sif/image.h>
#include <sif/oci_select.h>
#include <sif/oci_sif.h>

#include <fmt/format.h>

namespace sifkit::runtime {

Result<RunImage> open_run_image(const std::string& path) {
  auto absolute = real_path(path);
  if (!absolute) {
    return std::unexpected(absolute.error());
  }
  auto image = sif::Image::open(*absolute);
  if (!image) {
    return std::unexpected(std::move(image.error()).with_context("opening " + path));
  }
  if (!oci::is_oci_sif(*image)) {
    return fail(ErrorKind::unsupported,
                path + " is a SIF without an OCI image (not an OCI-SIF); sif-run runs OCI-SIF "
                       "images (convert one with sif-squash)");
  }
  auto sif = oci::OciSif::open(*image);
  if (!sif) {
    return std::unexpected(std::move(sif.error()).with_context("reading " + path));
  }
  auto selected = oci::select_image(*sif);
  if (!selected) {
    return std::unexpected(std::move(selected.error()).with_context("reading " + path));
  }
  auto config = oci::parse_image_config(selected->config_bytes);
  if (!config) {
    return std::unexpected(std::move(config.error()).with_context("reading the config of " + path));
  }
  RunImage result;
  result.path = *absolute;
  result.manifest = selected->descriptor.digest;
  result.config = std::move(*config);
  const auto& layers = selected->manifest.layers;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto& layer = layers[i];
    bool overlay = layer.media_type == k_media_ext3_layer && i + 1 == layers.size() && i > 0;
    if (layer.media_type != k_media_squashfs_layer && !overlay) {
      return fail(ErrorKind::unsupported,
                  fmt::format("{}: layer {} has media type {}, not a squashfs layer (nor an "
                              "ext3 overlay as the last layer)",
                              path, i + 1, layer.media_type));
    }
    auto descriptor = sif->find_blob(layer.digest);
    if (!descriptor) {
      return std::unexpected(std::move(descriptor.error()).with_context("reading " + path));
    }
    if ((*descriptor)->size != layer.size) {
      return fail(ErrorKind::corrupt_input,
                  fmt::format("{}: layer {} is {} bytes in the SIF but {} in its manifest", path,
                              i + 1, (*descriptor)->size, layer.size));
    }
    SquashfsLayer range{layer.digest, (*descriptor)->offset, (*descriptor)->size};
    if (overlay) {
      result.overlay = range;
    } else {
      result.layers.push_back(range);
    }
  }
  if (result.layers.empty()) {
    return fail(ErrorKind::unsupported, path + ": the image has no layers");
  }
  return result;
}

} // namespace sifkit::runtime
