#include <sif/inspect_oci.h>
#include <sif/oci_config.h>
#include <sif/oci_select.h>
#include <sif/oci_sif.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sifkit::sif {

namespace {

using nlohmann::ordered_json;

ordered_json optional_text(const std::optional<std::string>& text) {
  return text ? ordered_json(*text) : ordered_json(nullptr);
}

ordered_json image_json(const oci::OciSif& sif, const oci::ImageEntry& entry,
                        Result<ordered_json>& error_out) {
  auto resolved = oci::resolve_image(sif, entry.descriptor);
  if (!resolved) {
    error_out = std::unexpected(
        std::move(resolved.error()).with_context("image " + entry.descriptor.digest.text()));
    return {};
  }
  auto config = oci::parse_image_config(resolved->config_bytes);
  if (!config) {
    error_out =
        std::unexpected(std::move(config.error())
                            .with_context("config " + resolved->manifest.config.digest.text()));
    return {};
  }
  const oci::RuntimeConfig& rc = config->config;
  ordered_json layers = ordered_json::array();
  std::int64_t layers_size = 0;
  for (const auto& layer : resolved->manifest.layers) {
    layers.push_back(
        {{"media_type", layer.media_type}, {"size", layer.size}, {"digest", layer.digest.text()}});
    layers_size += layer.size;
  }
  ordered_json history = ordered_json::array();
  for (const auto& h : config->history) {
    history.push_back({{"created", h.created},
                       {"created_by", h.created_by},
                       {"comment", h.comment},
                       {"empty_layer", h.empty_layer}});
  }
  return {
      {"manifest_digest", entry.descriptor.digest.text()},
      {"media_type", resolved->manifest.media_type.empty() ? entry.descriptor.media_type
                                                           : resolved->manifest.media_type},
      {"platform", entry.platform.to_string()},
      {"ref_name", optional_text(entry.ref_name)},
      {"parent_index", entry.parent ? ordered_json(entry.parent->text()) : ordered_json(nullptr)},
      {"config",
       {{"digest", resolved->manifest.config.digest.text()},
        {"media_type", resolved->manifest.config.media_type},
        {"created", config->created},
        {"author", config->author},
        {"entrypoint", rc.entrypoint},
        {"cmd", rc.cmd},
        {"env", rc.env},
        {"user", rc.user},
        {"working_dir", rc.working_dir},
        {"labels", rc.labels},
        {"exposed_ports", rc.exposed_ports},
        {"volumes", rc.volumes},
        {"stop_signal", rc.stop_signal}}},
      {"layers", layers},
      {"layers_size", layers_size},
      {"history", history},
  };
}

std::string quoted_list(const ordered_json& list) {
  if (list.empty()) {
    return "(none)";
  }
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) {
    out += (i ? ", " : "") + list[i].dump();
  }
  return out + "]";
}

std::string or_none(const std::string& text) {
  return text.empty() ? "(none)" : text;
}

} // namespace

Result<nlohmann::ordered_json> oci_json(const Image& image) {
  SIFKIT_TRY_ASSIGN(auto sif, oci::OciSif::open(image)); // the error already names the file
  SIFKIT_TRY_ASSIGN(auto images, oci::list_images(sif));
  ordered_json out = {
      {"root_index",
       {{"digest", sif.root_index_digest().text()},
        {"media_type", sif.root_index().media_type},
        {"size", sif.root_index_bytes().size()}}},
      {"images", ordered_json::array()},
  };
  for (const auto& entry : images) {
    Result<ordered_json> error = ordered_json();
    ordered_json one = image_json(sif, entry, error);
    if (!error) {
      return std::unexpected(std::move(error.error()).with_context(image.path()));
    }
    out["images"].push_back(std::move(one));
  }
  return out;
}

Result<std::string> format_oci(const Image& image) {
  SIFKIT_TRY_ASSIGN(auto view, oci_json(image));
  const ordered_json& root = view["root_index"];
  std::string out =
      fmt::format("Root index: {} ({}, {} bytes)\n", root["digest"].get<std::string>(),
                  or_none(root["media_type"].get<std::string>()), root["size"].get<std::size_t>());
  const ordered_json& images = view["images"];
  out += fmt::format("Images: {}\n", images.size());
  for (const auto& img : images) {
    const ordered_json& c = img["config"];
    out += fmt::format("\nImage {}\n", img["manifest_digest"].get<std::string>());
    out += fmt::format("  Platform:    {}\n", or_none(img["platform"].get<std::string>()));
    if (!img["ref_name"].is_null()) {
      out += fmt::format("  Reference:   {}\n", img["ref_name"].get<std::string>());
    }
    out += fmt::format("  Media type:  {}\n", img["media_type"].get<std::string>());
    out += fmt::format("  Config:      {} ({})\n", c["digest"].get<std::string>(),
                       c["media_type"].get<std::string>());
    if (!c["created"].get<std::string>().empty()) {
      out += fmt::format("  Created:     {}\n", c["created"].get<std::string>());
    }
    out += fmt::format("  Entrypoint:  {}\n", quoted_list(c["entrypoint"]));
    out += fmt::format("  Cmd:         {}\n", quoted_list(c["cmd"]));
    out += fmt::format("  User:        {}\n", or_none(c["user"].get<std::string>()));
    out += fmt::format("  WorkingDir:  {}\n", or_none(c["working_dir"].get<std::string>()));
    out += "  Env:";
    out += c["env"].empty() ? "         (none)\n" : "\n";
    for (const auto& e : c["env"]) {
      out += fmt::format("    {}\n", e.get<std::string>());
    }
    if (!c["labels"].empty()) {
      out += "  Labels:\n";
      for (const auto& [key, value] : c["labels"].items()) {
        out += fmt::format("    {}={}\n", key, value.get<std::string>());
      }
    }
    out += fmt::format("  Layers: {} ({} bytes)\n", img["layers"].size(),
                       img["layers_size"].get<std::int64_t>());
    for (const auto& l : img["layers"]) {
      out += fmt::format("    {}  {:>12}  {}\n", l["digest"].get<std::string>(),
                         l["size"].get<std::int64_t>(), l["media_type"].get<std::string>());
    }
    if (!img["history"].empty()) {
      out += fmt::format("  History: {} entries\n", img["history"].size());
      for (const auto& h : img["history"]) {
        std::string what = h["created_by"].get<std::string>();
        if (what.empty()) {
          what = h["comment"].get<std::string>();
        }
        out += fmt::format("    {}{}{}\n", or_none(h["created"].get<std::string>()),
                           h["empty_layer"].get<bool>() ? " (empty) " : "  ", what);
      }
    }
  }
  return out;
}

} // namespace sifkit::sif
