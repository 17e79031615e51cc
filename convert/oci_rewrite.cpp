#include "oci_rewrite.h"

#include <convert/oci_convert.h>
#include <sif/oci_json.h>

#include <nlohmann/json.hpp>

namespace sifkit::convert {

namespace {

// Keeps the source's key order, so the only bytes that change are the ones we replace.
using Json = nlohmann::ordered_json;

constexpr int k_max_depth = 64;

constexpr std::string_view k_default_path =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Json diff_id_list(const std::vector<Digest>& diff_ids) {
  Json list = Json::array();
  for (const Digest& d : diff_ids) {
    list.push_back(d.text());
  }
  return list;
}

std::string dump(const Json& doc) {
  // Invalid UTF-8 in the source becomes U+FFFD rather than an exception.
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void append_key(std::string& out, std::string_view key) {
  oci::append_json_string(out, key);
  out += ':';
}

} // namespace

Result<std::string> rewrite_config(std::string_view config_json,
                                   const std::vector<Digest>& diff_ids,
                                   const Digest& source_manifest) {
  bool too_deep = false;
  Json::parser_callback_t limit_depth = [&too_deep](int depth, Json::parse_event_t, Json&) {
    too_deep = too_deep || depth > k_max_depth;
    return !too_deep;
  };
  Json doc = Json::parse(config_json.begin(), config_json.end(), limit_depth,
                         /*allow_exceptions=*/false);
  if (too_deep || doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorKind::corrupt_input, "image config is not a JSON object");
  }
  Json& rootfs = doc["rootfs"];
  if (!rootfs.is_object()) {
    rootfs = Json::object();
  }
  if (!rootfs.contains("type")) {
    rootfs["type"] = "layers";
  }
  rootfs["diff_ids"] = diff_id_list(diff_ids);

  // Never the wall clock (SingularityCE uses it): the output must not depend on when it
  // was made. The image's own creation time is as good a time as any.
  Json entry = Json::object();
  if (auto created = doc.find("created"); created != doc.end() && created->is_string()) {
    entry["created"] = *created;
  }
  entry["created_by"] = k_creator;
  entry["comment"] = "oci-sif created from " + source_manifest.hex();
  doc["history"] = Json::array({std::move(entry)});
  return dump(doc);
}

std::string rootfs_config(const oci::Platform& platform, const std::vector<Digest>& diff_ids) {
  Json doc = Json::object();
  doc["architecture"] = platform.architecture;
  doc["os"] = platform.os;
  if (!platform.variant.empty()) {
    doc["variant"] = platform.variant;
  }
  // Without a PATH a runtime finds no command by name.
  doc["config"] = Json{{"Env", Json::array({k_default_path})}};
  doc["rootfs"] = Json{{"type", "layers"}, {"diff_ids", diff_id_list(diff_ids)}};
  doc["history"] = Json::array(
      {Json{{"created_by", k_creator}, {"comment", "oci-sif created from a root filesystem"}}});
  return dump(doc);
}

std::string serialize_manifest(const oci::Manifest& manifest) {
  std::string out = "{";
  append_key(out, "schemaVersion");
  out += std::to_string(manifest.schema_version);
  if (!manifest.media_type.empty()) {
    out += ',';
    append_key(out, "mediaType");
    oci::append_json_string(out, manifest.media_type);
  }
  if (!manifest.artifact_type.empty()) {
    out += ',';
    append_key(out, "artifactType");
    oci::append_json_string(out, manifest.artifact_type);
  }
  out += ',';
  append_key(out, "config");
  out += oci::serialize_descriptor(manifest.config);
  out += ',';
  append_key(out, "layers");
  out += '[';
  for (std::size_t i = 0; i < manifest.layers.size(); ++i) {
    out += i > 0 ? "," : "";
    out += oci::serialize_descriptor(manifest.layers[i]);
  }
  out += ']';
  if (!manifest.annotations.empty()) {
    out += ',';
    append_key(out, "annotations");
    out += '{';
    bool first = true;
    for (const auto& [key, value] : manifest.annotations) { // std::map: sorted, as Go
      out += first ? "" : ",";
      first = false;
      append_key(out, key);
      oci::append_json_string(out, value);
    }
    out += '}';
  }
  if (manifest.subject) {
    out += ',';
    append_key(out, "subject");
    out += oci::serialize_descriptor(*manifest.subject);
  }
  out += '}';
  return out;
}

} // namespace sifkit::convert
