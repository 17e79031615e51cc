#include "summary.h"

#include <sif/image.h>
#include <sif/oci_select.h>
#include <sif/oci_sif.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <support/squash_progress.h>

namespace sifkit::tools {

namespace {

using Json = nlohmann::ordered_json;

Json digest_or_null(const std::optional<Digest>& digest) {
  return digest ? Json(digest->text()) : Json(nullptr);
}

Json stats_json(const std::vector<convert::ConvertedLayer>& layers) {
  convert::SquashStats sum;
  for (const auto& layer : layers) {
    const convert::SquashStats& s = layer.stats;
    sum.bytes_in += s.bytes_in;
    sum.image_size += s.image_size;
    sum.inodes += s.inodes;
    sum.files += s.files;
    sum.directories += s.directories;
    sum.hardlinks += s.hardlinks;
    sum.entries_hidden += s.entries_hidden;
    sum.xattrs_dropped += s.xattrs_dropped;
  }
  return Json{{"bytes_in", sum.bytes_in},
              {"image_size", sum.image_size},
              {"inodes", sum.inodes},
              {"files", sum.files},
              {"directories", sum.directories},
              {"hardlinks", sum.hardlinks},
              {"entries_hidden", sum.entries_hidden},
              {"xattrs_dropped", sum.xattrs_dropped}};
}

} // namespace

Json summary_json(const SquashSummary& s) {
  Json layers = Json::array();
  for (const auto& layer : s.layers) {
    layers.push_back(Json{{"digest", layer.digest.text()}, {"size", layer.size}});
  }
  return Json{{"source", s.source},
              {"kind", s.kind},
              {"manifest", digest_or_null(s.manifest)},
              {"format", s.format},
              {"output", s.output},
              {"size", s.size},
              {"sif", digest_or_null(s.sif)},
              {"squashfs", std::move(layers)},
              {"stats", s.have_stats ? stats_json(s.layers) : Json(nullptr)},
              {"reused", s.reused},
              {"time_ms",
               {{"pull", s.pull_time.count()},
                {"convert", s.convert_time.count()},
                {"copy", s.copy_time.count()},
                {"total", s.total_time.count()}}}};
}

std::string summary_line(const SquashSummary& s) {
  std::string how = s.reused ? "already converted in the cache"
                             : fmt::format("converted in {} ms", s.convert_time.count());
  return fmt::format("sif-squash: wrote {} ({}, {} squashfs layer{}, {})\n", s.output,
                     human_bytes(s.size), s.layers.size(), s.layers.size() == 1 ? "" : "s", how);
}

Result<std::vector<convert::ConvertedLayer>> oci_sif_layers(const std::string& path) {
  SIFKIT_TRY_ASSIGN(auto image, sif::Image::open(path, OpenMode::read_only));
  SIFKIT_TRY_ASSIGN(auto sif, with_context(oci::OciSif::open(image), path));
  if (sif.root_index().manifests.size() != 1) {
    return fail(ErrorKind::corrupt_input, path + ": expected one image in the root index");
  }
  // The one image we wrote, whatever its platform (it need not be the host's).
  SIFKIT_TRY_ASSIGN(
      auto selected,
      with_context(oci::resolve_image(sif, sif.root_index().manifests.front()), path));
  std::vector<convert::ConvertedLayer> layers;
  for (const auto& layer : selected.manifest.layers) {
    layers.push_back(convert::ConvertedLayer{layer.digest, layer.size, {}});
  }
  return layers;
}

} // namespace sifkit::tools
