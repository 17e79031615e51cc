// Reading one CDI spec file: its header, its devices and the version rules of the CDI
// specification (which cdiVersion introduced which field).
#include <runtime/devices/cdi_reader.h>
#include <runtime/devices/devices.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace sifkit::runtime {

namespace {

using namespace cdi_detail;

// The minor version of "0.MINOR.PATCH", or nullopt for anything else.
std::optional<int> minor_version(const std::string& version) {
  int major = -1, minor = -1, patch = -1;
  char extra = 0;
  if (std::sscanf(version.c_str(), "%d.%d.%d%c", &major, &minor, &patch, &extra) != 3 ||
      major != 0 || minor < 0 || patch < 0) {
    return std::nullopt;
  }
  return minor;
}

// The lowest minor version whose spec has every field `doc` uses (0.4.0: mounts[].type,
// 0.5.0: deviceNodes[].hostPath, 0.6.0: annotations and dots in the class, 0.7.0:
// additionalGids and intelRdt), with the field's name.
std::pair<int, std::string> required_minor(const json& doc, const CdiSpec& spec) {
  std::pair<int, std::string> need{3, ""};
  auto require = [&need](int minor, const std::string& what) {
    if (minor > need.first) {
      need = {minor, what};
    }
  };
  auto edits_need = [&](const json* edits) {
    if (!edits || !edits->is_object()) {
      return;
    }
    for (const auto& mount : edits->value("mounts", json::array())) {
      if (mount.is_object() && member(mount, "type")) {
        require(4, "mounts[].type");
      }
    }
    for (const auto& node : edits->value("deviceNodes", json::array())) {
      if (node.is_object() && member(node, "hostPath")) {
        require(5, "deviceNodes[].hostPath");
      }
    }
    if (member(*edits, "additionalGids")) {
      require(7, "additionalGids");
    }
    if (member(*edits, "intelRdt")) {
      require(7, "intelRdt");
    }
  };
  edits_need(member(doc, "containerEdits"));
  if (member(doc, "annotations")) {
    require(6, "annotations");
  }
  for (const auto& device : doc.value("devices", json::array())) {
    if (device.is_object()) {
      edits_need(member(device, "containerEdits"));
      if (member(device, "annotations")) {
        require(6, "devices[].annotations");
      }
    }
  }
  if (spec.kind.substr(spec.kind.find('/') + 1).find('.') != std::string::npos) {
    require(6, "a '.' in the kind's class");
  }
  return need;
}

Result<CdiDevice> read_device(const json& object, const Where& where) {
  CdiDevice device;
  SIFKIT_TRY_ASSIGN(auto name, required_string(object, "name", where));
  if (!valid_cdi_device_name(name)) {
    return where.at("name").bad(fmt::format("'{}' is not a valid device name", name));
  }
  device.name = name;
  if (const json* edits = member(object, "containerEdits")) {
    SIFKIT_TRY_ASSIGN(auto read, read_edits(*edits, where.at("containerEdits")));
    device.edits = std::move(read);
  }
  return device;
}

Result<void> read_header(const json& doc, const Where& where, CdiSpec& spec) {
  SIFKIT_TRY_ASSIGN(auto version, required_string(doc, "cdiVersion", where));
  spec.version = version;
  auto minor = minor_version(spec.version);
  if (!minor || *minor < 3 || *minor > 8) {
    return fail(ErrorKind::unsupported,
                fmt::format("CDI spec {}: cdiVersion '{}' is not supported (0.3.0 to 0.8.0 are)",
                            where.file, spec.version));
  }
  SIFKIT_TRY_ASSIGN(auto kind, required_string(doc, "kind", where));
  if (!valid_cdi_kind(kind)) {
    return where.at("kind").bad(fmt::format("'{}' is not vendor.com/class", kind));
  }
  spec.kind = kind;
  return {};
}

bool name_char(char c, std::string_view extra) {
  return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
}

bool valid_part(std::string_view part, std::string_view extra, bool letter_first) {
  if (part.empty() || !std::isalnum(static_cast<unsigned char>(part.back())) ||
      (letter_first ? !std::isalpha(static_cast<unsigned char>(part.front()))
                    : !std::isalnum(static_cast<unsigned char>(part.front())))) {
    return false;
  }
  return std::all_of(part.begin(), part.end(), [extra](char c) { return name_char(c, extra); });
}

} // namespace

bool valid_cdi_kind(std::string_view kind) {
  std::size_t slash = kind.find('/');
  if (slash == std::string_view::npos) {
    return false;
  }
  return valid_part(kind.substr(0, slash), "-_.", true) &&
         valid_part(kind.substr(slash + 1), "-_.", true);
}

bool valid_cdi_device_name(std::string_view name) {
  return valid_part(name, "-_.:", false);
}

Result<CdiSpec> parse_cdi_spec(std::string_view text, const std::string& file) {
  SIFKIT_TRY_ASSIGN(auto doc, parse_document(text, file));
  Where top{file, ""};
  if (!doc.is_object()) {
    return top.bad("expected an object with cdiVersion, kind and devices");
  }
  CdiSpec spec;
  spec.file = file;
  SIFKIT_TRY(read_header(doc, top, spec));
  auto [need, field] = required_minor(doc, spec);
  if (need > *minor_version(spec.version)) {
    return top.bad(fmt::format("{} needs cdiVersion 0.{}.0 or later, the spec declares {}", field,
                               need, spec.version));
  }
  if (const json* edits = member(doc, "containerEdits")) {
    SIFKIT_TRY_ASSIGN(auto read, read_edits(*edits, top.at("containerEdits")));
    spec.edits = std::move(read);
  }
  SIFKIT_TRY(each(doc, "devices", top, [&](const json& item, const Where& at) -> Result<void> {
    SIFKIT_TRY_ASSIGN(auto device, read_device(item, at));
    spec.devices.push_back(std::move(device));
    return {};
  }));
  if (spec.devices.empty()) {
    return top.bad("'devices' is missing or empty");
  }
  return spec;
}

} // namespace sifkit::runtime
