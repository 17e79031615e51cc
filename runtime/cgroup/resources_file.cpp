// --apply-cgroups files: SingularityCE's cgroups TOML (the OCI LinuxResources with its
// JSON key names) or the JSON of the OCI object, both checked against one table of the
// object's keys so that a typo is an error instead of a limit silently not applied.
#include <common/file.h>
#include <runtime/cgroup/cgroup.h>

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

namespace sifkit::runtime {

namespace {

using nlohmann::json;

// What a key holds: the integer widths of the runtime-spec's defs.json, objects, arrays
// of objects, and maps (name → string, name → object).
enum class Type {
  int64,
  uint64,
  uint32,
  uint16,
  boolean,
  string,
  object,
  objects,
  string_map,
  object_map
};

// One key of the resources object; `members` for objects, arrays of objects and maps of
// objects.
struct Field {
  std::string_view name;
  Type type;
  std::span<const Field> members = {};
  bool required = false;
};

// The OCI runtime-spec's LinuxResources (config-linux.json), key for key.
const Field k_device[] = {{"allow", Type::boolean, {}, true},
                          {"type", Type::string},
                          {"major", Type::int64},
                          {"minor", Type::int64},
                          {"access", Type::string}};
const Field k_memory[] = {{"limit", Type::int64},
                          {"reservation", Type::int64},
                          {"swap", Type::int64},
                          {"kernel", Type::int64},
                          {"kernelTCP", Type::int64},
                          {"swappiness", Type::uint64},
                          {"disableOOMKiller", Type::boolean},
                          {"useHierarchy", Type::boolean},
                          {"checkBeforeUpdate", Type::boolean}};
const Field k_cpu[] = {
    {"shares", Type::uint64}, {"quota", Type::int64},           {"burst", Type::uint64},
    {"period", Type::uint64}, {"realtimeRuntime", Type::int64}, {"realtimePeriod", Type::uint64},
    {"cpus", Type::string},   {"mems", Type::string},           {"idle", Type::int64}};
const Field k_pids[] = {{"limit", Type::int64, {}, true}};
const Field k_weight_device[] = {{"major", Type::int64, {}, true},
                                 {"minor", Type::int64, {}, true},
                                 {"weight", Type::uint16},
                                 {"leafWeight", Type::uint16}};
const Field k_throttle_device[] = {{"major", Type::int64, {}, true},
                                   {"minor", Type::int64, {}, true},
                                   {"rate", Type::uint64, {}, true}};
const Field k_block_io[] = {{"weight", Type::uint16},
                            {"leafWeight", Type::uint16},
                            {"weightDevice", Type::objects, k_weight_device},
                            {"throttleReadBpsDevice", Type::objects, k_throttle_device},
                            {"throttleWriteBpsDevice", Type::objects, k_throttle_device},
                            {"throttleReadIOPSDevice", Type::objects, k_throttle_device},
                            {"throttleWriteIOPSDevice", Type::objects, k_throttle_device}};
const Field k_hugepage[] = {{"pageSize", Type::string, {}, true},
                            {"limit", Type::uint64, {}, true}};
const Field k_priority[] = {{"name", Type::string, {}, true}, {"priority", Type::uint32, {}, true}};
const Field k_network[] = {{"classID", Type::uint32}, {"priorities", Type::objects, k_priority}};
const Field k_rdma[] = {{"hcaHandles", Type::uint32}, {"hcaObjects", Type::uint32}};
const Field k_resources[] = {
    {"devices", Type::objects, k_device},  {"memory", Type::object, k_memory},
    {"cpu", Type::object, k_cpu},          {"pids", Type::object, k_pids},
    {"blockIO", Type::object, k_block_io}, {"hugepageLimits", Type::objects, k_hugepage},
    {"network", Type::object, k_network},  {"rdma", Type::object_map, k_rdma},
    {"unified", Type::string_map}};

std::string_view type_name(Type type) {
  switch (type) {
  case Type::int64:
    return "an integer";
  case Type::uint64:
  case Type::uint32:
  case Type::uint16:
    return "a non-negative integer";
  case Type::boolean:
    return "true or false";
  case Type::string:
    return "a string";
  case Type::object:
  case Type::string_map:
  case Type::object_map:
    return "a table";
  case Type::objects:
    return "an array of tables";
  }
  return "a value";
}

// The largest value of an unsigned `type`.
std::uint64_t unsigned_max(Type type) {
  switch (type) {
  case Type::uint16:
    return std::numeric_limits<std::uint16_t>::max();
  case Type::uint32:
    return std::numeric_limits<std::uint32_t>::max();
  default:
    return std::numeric_limits<std::uint64_t>::max();
  }
}

bool scalar_fits(const json& value, Type type) {
  switch (type) {
  case Type::int64:
    return value.is_number_integer() &&
           (!value.is_number_unsigned() ||
            value.get<std::uint64_t>() <=
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
  case Type::uint64:
  case Type::uint32:
  case Type::uint16:
    if (!value.is_number_integer() ||
        (!value.is_number_unsigned() && value.get<std::int64_t>() < 0)) {
      return false;
    }
    return value.get<std::uint64_t>() <= unsigned_max(type);
  case Type::boolean:
    return value.is_boolean();
  case Type::string:
    return value.is_string();
  default:
    return false;
  }
}

class Checker {
public:
  explicit Checker(const std::string& name) : m_name(name) {}

  Result<void> object(const json& value, std::span<const Field> fields, const std::string& at) {
    if (!value.is_object()) {
      return wrong(at, "a table");
    }
    for (const auto& [key, member] : value.items()) {
      std::string path = at.empty() ? key : at + "." + key;
      const Field* field = find(fields, key);
      if (!field) {
        return fail(ErrorKind::usage,
                    fmt::format("{}: unknown key '{}' (not a key of the OCI linux.resources "
                                "object; check its spelling)",
                                m_name, path));
      }
      SIFKIT_TRY(one(member, *field, path));
    }
    for (const Field& field : fields) {
      if (field.required && !value.contains(field.name)) {
        return fail(ErrorKind::usage, fmt::format("{}: '{}' needs the key '{}'", m_name,
                                                  at.empty() ? "the top level" : at, field.name));
      }
    }
    return {};
  }

private:
  static const Field* find(std::span<const Field> fields, std::string_view key) {
    for (const Field& field : fields) {
      if (field.name == key) {
        return &field;
      }
    }
    return nullptr;
  }

  std::unexpected<Error> wrong(const std::string& at, std::string_view expected) const {
    return fail(ErrorKind::usage, fmt::format("{}: '{}' must be {}", m_name, at, expected));
  }

  Result<void> one(const json& value, const Field& field, const std::string& at) {
    switch (field.type) {
    case Type::object:
      return object(value, field.members, at);
    case Type::objects:
      if (!value.is_array()) {
        return wrong(at, type_name(field.type));
      }
      for (std::size_t i = 0; i < value.size(); ++i) {
        SIFKIT_TRY(object(value[i], field.members, fmt::format("{}[{}]", at, i)));
      }
      return {};
    case Type::string_map:
    case Type::object_map:
      if (!value.is_object()) {
        return wrong(at, type_name(field.type));
      }
      for (const auto& [key, member] : value.items()) {
        std::string path = at + "." + key;
        SIFKIT_TRY(field.type == Type::object_map ? object(member, field.members, path)
                   : member.is_string()           ? Result<void>{}
                                                  : wrong(path, "a string"));
      }
      return {};
    default:
      if (!scalar_fits(value, field.type)) {
        return wrong(at, field.type == Type::uint16   ? "an integer in 0..65535"
                         : field.type == Type::uint32 ? "an integer in 0..4294967295"
                                                      : type_name(field.type));
      }
      return {};
    }
  }

  const std::string& m_name;
};

// A TOML value as JSON; dates and times become null (and so a type error).
json to_json(const toml::node& node) {
  if (const auto* table = node.as_table()) {
    json out = json::object();
    for (const auto& [key, member] : *table) {
      out[std::string(key.str())] = to_json(member);
    }
    return out;
  }
  if (const auto* array = node.as_array()) {
    json out = json::array();
    for (const auto& member : *array) {
      out.push_back(to_json(member));
    }
    return out;
  }
  if (const auto* integer = node.as_integer()) {
    return integer->get();
  }
  if (const auto* floating = node.as_floating_point()) {
    return floating->get();
  }
  if (const auto* boolean = node.as_boolean()) {
    return boolean->get();
  }
  if (const auto* string = node.as_string()) {
    return string->get();
  }
  return nullptr;
}

Result<json> parse_toml(const std::string& text, const std::string& name) {
  try {
    return to_json(toml::parse(text, name));
  } catch (const toml::parse_error& error) {
    return fail(ErrorKind::usage,
                fmt::format("{}:{}:{}: not valid TOML: {}", name, error.source().begin.line,
                            error.source().begin.column, error.description()));
  }
}

Result<json> parse_json(const std::string& text, const std::string& name) {
  try {
    return json::parse(text);
  } catch (const json::exception& error) { // parse_error, and out_of_range for 1e400
    return fail(ErrorKind::usage, fmt::format("{}: not valid JSON: {}", name, error.what()));
  }
}

} // namespace

Result<nlohmann::json> resources_from_text(const std::string& text, const std::string& name) {
  auto first = text.find_first_not_of(" \t\r\n");
  bool is_json = first != std::string::npos && text[first] == '{';
  auto parsed = is_json ? parse_json(text, name) : parse_toml(text, name);
  if (!parsed) {
    return parsed;
  }
  SIFKIT_TRY(Checker(name).object(*parsed, k_resources, ""));
  return parsed;
}

Result<nlohmann::json> resources_from_file(const std::string& path) {
  constexpr std::size_t k_max_resources_file = std::size_t{1} << 20;
  auto text = read_file(path, k_max_resources_file);
  if (!text) {
    // Named on the command line, so a file that is missing or unreadable is bad usage.
    return fail(ErrorKind::usage,
                fmt::format("--apply-cgroups {}: cannot read it ({})", path, text.error().what()));
  }
  return resources_from_text(*text, path);
}

} // namespace sifkit::runtime
