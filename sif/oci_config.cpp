#include <sif/oci_config.h>
#include <sif/oci_parse.h>

#include <nlohmann/json.hpp>

namespace sifkit::oci {

namespace {

using nlohmann::json;

// Field readers that accept absent or null fields and report wrong types by name.
struct Reader {
  const json& object;
  std::string where;
  std::optional<Error> error;

  const json* field(const char* name) {
    auto it = object.find(name);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }
  void wrong(const char* name, const char* want) {
    if (!error) {
      error = Error(ErrorKind::corrupt_input, where + ": field \"" + name + "\" is not " + want);
    }
  }
  std::string text(const char* name) {
    const json* v = field(name);
    if (v && !v->is_string()) {
      wrong(name, "a string");
      return {};
    }
    return v ? v->get<std::string>() : std::string();
  }
  bool flag(const char* name) {
    const json* v = field(name);
    if (v && !v->is_boolean()) {
      wrong(name, "a boolean");
      return false;
    }
    return v && v->get<bool>();
  }
  std::vector<std::string> texts(const char* name) {
    std::vector<std::string> out;
    const json* v = field(name);
    if (v == nullptr) {
      return out;
    }
    if (!v->is_array()) {
      wrong(name, "an array of strings");
      return out;
    }
    for (const auto& item : *v) {
      if (!item.is_string()) {
        wrong(name, "an array of strings");
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  // An object used as a set ({"80/tcp": {}}): its keys, sorted.
  std::vector<std::string> keys(const char* name) {
    std::vector<std::string> out;
    const json* v = field(name);
    if (v && !v->is_object()) {
      wrong(name, "an object");
    } else if (v) {
      for (const auto& [key, _] : v->items()) {
        out.push_back(key);
      }
    }
    return out;
  }
  std::map<std::string, std::string> string_map(const char* name) {
    std::map<std::string, std::string> out;
    const json* v = field(name);
    if (v && !v->is_object()) {
      wrong(name, "an object of strings");
      return out;
    }
    if (v) {
      for (const auto& [key, value] : v->items()) {
        if (!value.is_string()) {
          wrong(name, "an object of strings");
          return {};
        }
        out[key] = value.get<std::string>();
      }
    }
    return out;
  }
  const json* object_field(const char* name) {
    const json* v = field(name);
    if (v && !v->is_object()) {
      wrong(name, "an object");
      return nullptr;
    }
    return v;
  }
};

} // namespace

Result<ImageConfig> parse_image_config(std::string_view text) {
  SIFKIT_TRY_ASSIGN(json doc, parse_json_object(text, "image config"));
  ImageConfig out;
  Reader top{doc, "image config", {}};
  out.created = top.text("created");
  out.author = top.text("author");
  out.platform.architecture = top.text("architecture");
  out.platform.os = top.text("os");
  out.platform.os_version = top.text("os.version");
  out.platform.os_features = top.texts("os.features");
  out.platform.variant = top.text("variant");

  if (const json* c = top.object_field("config")) {
    Reader r{*c, "image config \"config\"", {}};
    out.config.user = r.text("User");
    out.config.entrypoint = r.texts("Entrypoint");
    out.config.cmd = r.texts("Cmd");
    out.config.env = r.texts("Env");
    out.config.working_dir = r.text("WorkingDir");
    out.config.labels = r.string_map("Labels");
    out.config.exposed_ports = r.keys("ExposedPorts");
    out.config.volumes = r.keys("Volumes");
    out.config.stop_signal = r.text("StopSignal");
    if (r.error) {
      return std::unexpected(*r.error);
    }
  }
  if (const json* rootfs = top.object_field("rootfs")) {
    Reader r{*rootfs, "image config \"rootfs\"", {}};
    out.rootfs_type = r.text("type");
    for (const auto& id : r.texts("diff_ids")) {
      SIFKIT_TRY_ASSIGN(auto digest, with_context(Digest::parse(id), "image config diff_ids"));
      out.diff_ids.push_back(digest);
    }
    if (r.error) {
      return std::unexpected(*r.error);
    }
  }
  if (const json* history = top.field("history")) {
    if (!history->is_array()) {
      return fail(ErrorKind::corrupt_input, "image config: field \"history\" is not an array");
    }
    for (const auto& item : *history) {
      if (!item.is_object()) {
        return fail(ErrorKind::corrupt_input, "image config: a history entry is not an object");
      }
      Reader r{item, "image config history entry", {}};
      out.history.push_back({r.text("created"), r.text("created_by"), r.text("author"),
                             r.text("comment"), r.flag("empty_layer")});
      if (r.error) {
        return std::unexpected(*r.error);
      }
    }
  }
  if (top.error) {
    return std::unexpected(*top.error);
  }
  return out;
}

} // namespace sifkit::oci
