#include <sif/oci_parse.h>

#include <limits>

#include <nlohmann/json.hpp>

namespace sifkit::oci {

namespace {

using json = nlohmann::json;

// Deeper nesting than this is refused; real manifests nest four levels at most.
constexpr int k_max_depth = 32;

std::unexpected<Error> corrupt(std::string what) {
  return fail(ErrorKind::corrupt_input, std::move(what));
}

// A member of object `obj`; nullptr when absent or null (Go decodes null as "absent").
const json* member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

// The error of the first failed result among `results`, if any.
template <typename... Ts>
std::optional<Error> first_error(const Result<Ts>&... results) {
  std::optional<Error> out;
  ((out || results.has_value() ? void() : void(out = results.error())), ...);
  return out;
}

std::string where(std::string_view ctx, const char* key) {
  return std::string(ctx) + "." + key;
}

Result<std::string> get_string(const json& obj, const char* key, std::string_view ctx,
                               bool required) {
  const json* v = member(obj, key);
  if (v == nullptr) {
    if (required) {
      return corrupt(where(ctx, key) + " is missing");
    }
    return std::string();
  }
  if (!v->is_string()) {
    return corrupt(where(ctx, key) + " is not a string");
  }
  return v->get<std::string>();
}

Result<std::int64_t> get_int(const json& obj, const char* key, std::string_view ctx) {
  const json* v = member(obj, key);
  if (v == nullptr) {
    return corrupt(where(ctx, key) + " is missing");
  }
  if (v->is_number_unsigned()) {
    auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return corrupt(where(ctx, key) + " is out of range");
    }
    return static_cast<std::int64_t>(u);
  }
  if (!v->is_number_integer()) {
    return corrupt(where(ctx, key) + " is not an integer");
  }
  return v->get<std::int64_t>();
}

Result<std::vector<std::string>> get_strings(const json& obj, const char* key,
                                             std::string_view ctx) {
  std::vector<std::string> out;
  const json* v = member(obj, key);
  if (v == nullptr) {
    return out;
  }
  if (!v->is_array()) {
    return corrupt(where(ctx, key) + " is not an array");
  }
  for (const auto& item : *v) {
    if (!item.is_string()) {
      return corrupt(where(ctx, key) + " holds a non-string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<Annotations> get_annotations(const json& obj, std::string_view ctx) {
  Annotations out;
  const json* v = member(obj, "annotations");
  if (v == nullptr) {
    return out;
  }
  if (!v->is_object()) {
    return corrupt(where(ctx, "annotations") + " is not an object");
  }
  for (const auto& [key, value] : v->items()) {
    if (!value.is_string()) {
      return corrupt(where(ctx, "annotations") + "[\"" + key + "\"] is not a string");
    }
    out[key] = value.get<std::string>();
  }
  return out;
}

Result<Platform> parse_platform_fields(const json& obj, std::string_view ctx) {
  Platform p;
  auto arch = get_string(obj, "architecture", ctx, false);
  auto os = get_string(obj, "os", ctx, false);
  auto os_version = get_string(obj, "os.version", ctx, false);
  auto os_features = get_strings(obj, "os.features", ctx);
  auto variant = get_string(obj, "variant", ctx, false);
  auto features = get_strings(obj, "features", ctx);
  if (auto e = first_error(arch, os, os_version, os_features, variant, features)) {
    return std::unexpected(*e);
  }
  p.architecture = *arch;
  p.os = *os;
  p.os_version = *os_version;
  p.os_features = *os_features;
  p.variant = *variant;
  p.features = *features;
  return p;
}

Result<Descriptor> parse_descriptor(const json& obj, const std::string& ctx) {
  if (!obj.is_object()) {
    return corrupt(ctx + " is not an object");
  }
  Descriptor d;
  SIFKIT_TRY_ASSIGN(auto media_type, get_string(obj, "mediaType", ctx, true));
  d.media_type = media_type;
  SIFKIT_TRY_ASSIGN(auto size, get_int(obj, "size", ctx));
  if (size < 0) {
    return corrupt(ctx + ".size is negative");
  }
  d.size = size;
  SIFKIT_TRY_ASSIGN(auto digest_text, get_string(obj, "digest", ctx, true));
  SIFKIT_TRY_ASSIGN(auto digest, with_context(Digest::parse(digest_text), ctx + ".digest"));
  d.digest = digest;
  if (member(obj, "data") != nullptr) {
    SIFKIT_TRY_ASSIGN(auto data, get_string(obj, "data", ctx, true));
    d.data = data;
  }
  auto urls = get_strings(obj, "urls", ctx);
  auto annotations = get_annotations(obj, ctx);
  auto artifact_type = get_string(obj, "artifactType", ctx, false);
  if (auto e = first_error(urls, annotations, artifact_type)) {
    return std::unexpected(*e);
  }
  d.urls = *urls;
  d.annotations = *annotations;
  d.artifact_type = *artifact_type;
  if (const json* p = member(obj, "platform"); p != nullptr) {
    if (!p->is_object()) {
      return corrupt(ctx + ".platform is not an object");
    }
    SIFKIT_TRY_ASSIGN(auto platform, parse_platform_fields(*p, ctx + ".platform"));
    d.platform = platform;
  }
  return d;
}

Result<std::optional<Descriptor>> parse_subject(const json& obj, const std::string& ctx) {
  const json* s = member(obj, "subject");
  if (s == nullptr) {
    return std::optional<Descriptor>();
  }
  SIFKIT_TRY_ASSIGN(auto d, parse_descriptor(*s, ctx + ".subject"));
  return std::optional<Descriptor>(std::move(d));
}

Result<std::vector<Descriptor>> parse_descriptor_list(const json& obj, const char* key,
                                                      const std::string& ctx) {
  std::vector<Descriptor> out;
  const json* list = member(obj, key);
  if (list == nullptr) {
    return out;
  }
  if (!list->is_array()) {
    return corrupt(where(ctx, key) + " is not an array");
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    SIFKIT_TRY_ASSIGN(
        auto d, parse_descriptor((*list)[i], where(ctx, key) + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::int64_t> parse_schema_version(const json& obj, const std::string& ctx) {
  auto version = get_int(obj, "schemaVersion", ctx);
  if (!version) {
    return version;
  }
  if (*version != 2) {
    return fail(ErrorKind::unsupported,
                ctx + ": schema version " + std::to_string(*version) + " is not supported");
  }
  return version;
}

} // namespace

Result<json> parse_json_object(std::string_view text, std::string_view what) {
  if (static_cast<std::int64_t>(text.size()) > k_max_manifest_size) {
    return corrupt(std::string(what) + " is larger than " + std::to_string(k_max_manifest_size) +
                   " bytes");
  }
  bool too_deep = false;
  // Skipping (returning false for) a too-deep value keeps the tree shallow; the flag
  // then rejects the document as a whole.
  json::parser_callback_t limit_depth = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > k_max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  json doc = json::parse(text.begin(), text.end(), limit_depth, /*allow_exceptions=*/false);
  if (doc.is_discarded() || too_deep) {
    return corrupt(std::string(what) + (too_deep ? " is nested too deeply" : " is not valid JSON"));
  }
  if (!doc.is_object()) {
    return corrupt(std::string(what) + " is not a JSON object");
  }
  return doc;
}

Result<Index> parse_index(std::string_view text) {
  const std::string ctx = "index";
  SIFKIT_TRY_ASSIGN(auto doc, parse_json_object(text, "image index"));
  Index index;
  auto version = parse_schema_version(doc, ctx);
  auto media_type = get_string(doc, "mediaType", ctx, false);
  auto manifests = parse_descriptor_list(doc, "manifests", ctx);
  auto annotations = get_annotations(doc, ctx);
  auto subject = parse_subject(doc, ctx);
  if (auto e = first_error(version, media_type, manifests, annotations, subject)) {
    return std::unexpected(*e);
  }
  index.schema_version = *version;
  index.media_type = *media_type;
  index.manifests = std::move(*manifests);
  index.annotations = std::move(*annotations);
  index.subject = std::move(*subject);
  return index;
}

Result<Manifest> parse_manifest(std::string_view text) {
  const std::string ctx = "manifest";
  SIFKIT_TRY_ASSIGN(auto doc, parse_json_object(text, "image manifest"));
  Manifest m;
  SIFKIT_TRY_ASSIGN(auto version, parse_schema_version(doc, ctx));
  const json* config = member(doc, "config");
  if (config == nullptr) {
    return corrupt(ctx + ".config is missing");
  }
  auto config_desc = parse_descriptor(*config, ctx + ".config");
  auto media_type = get_string(doc, "mediaType", ctx, false);
  auto artifact_type = get_string(doc, "artifactType", ctx, false);
  auto layers = parse_descriptor_list(doc, "layers", ctx);
  auto annotations = get_annotations(doc, ctx);
  auto subject = parse_subject(doc, ctx);
  if (auto e = first_error(config_desc, media_type, artifact_type, layers, annotations, subject)) {
    return std::unexpected(*e);
  }
  m.schema_version = version;
  m.media_type = *media_type;
  m.artifact_type = *artifact_type;
  m.config = std::move(*config_desc);
  m.layers = std::move(*layers);
  m.annotations = std::move(*annotations);
  m.subject = std::move(*subject);
  return m;
}

Result<Platform> parse_config_platform(std::string_view text) {
  SIFKIT_TRY_ASSIGN(auto doc, parse_json_object(text, "image config"));
  return parse_platform_fields(doc, "config");
}

Result<std::string> sniff_media_type(std::string_view text) {
  SIFKIT_TRY_ASSIGN(auto doc, parse_json_object(text, "manifest"));
  auto media_type = get_string(doc, "mediaType", "manifest", false);
  if (!media_type) {
    return media_type;
  }
  if (!media_type->empty()) {
    return media_type;
  }
  if (member(doc, "manifests") != nullptr) {
    return std::string(k_media_oci_index);
  }
  if (member(doc, "config") != nullptr) {
    return std::string(k_media_oci_manifest);
  }
  return corrupt("manifest has neither a media type, \"manifests\" nor \"config\"");
}

} // namespace sifkit::oci
