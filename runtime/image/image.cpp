#include "image.h"

#include <common/file.h>
#include <sif/image.h>
#include <sif/oci_select.h>
#include <sif/oci_sif.h>

#include <fmt/format.h>

namespace sifkit::runtime {

Result<RunImage> open_run_image(const std::string& path) {
  SIFKIT_TRY_ASSIGN(auto absolute, real_path(path));
  SIFKIT_TRY_ASSIGN(auto image, with_context(sif::Image::open(absolute), "opening " + path));
  if (!oci::is_oci_sif(image)) {
    return fail(ErrorKind::unsupported,
                path + " is a SIF without an OCI image (not an OCI-SIF); sif-run runs OCI-SIF "
                       "images (convert one with sif-squash)");
  }
  SIFKIT_TRY_ASSIGN(auto sif, with_context(oci::OciSif::open(image), "reading " + path));
  SIFKIT_TRY_ASSIGN(auto selected, with_context(oci::select_image(sif), "reading " + path));
  SIFKIT_TRY_ASSIGN(auto config, with_context(oci::parse_image_config(selected.config_bytes),
                                              "reading the config of " + path));
  RunImage result;
  result.path = absolute;
  result.manifest = selected.descriptor.digest;
  result.config = std::move(config);
  const auto& layers = selected.manifest.layers;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto& layer = layers[i];
    bool overlay = layer.media_type == k_media_ext3_layer && i + 1 == layers.size() && i > 0;
    if (layer.media_type != k_media_squashfs_layer && !overlay) {
      return fail(ErrorKind::unsupported,
                  fmt::format("{}: layer {} has media type {}, not a squashfs layer (nor an "
                              "ext3 overlay as the last layer)",
                              path, i + 1, layer.media_type));
    }
    SIFKIT_TRY_ASSIGN(auto descriptor,
                      with_context(sif.find_blob(layer.digest), "reading " + path));
    if (descriptor->size != layer.size) {
      return fail(ErrorKind::corrupt_input,
                  fmt::format("{}: layer {} is {} bytes in the SIF but {} in its manifest", path,
                              i + 1, descriptor->size, layer.size));
    }
    SquashfsLayer range{layer.digest, descriptor->offset, descriptor->size};
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
