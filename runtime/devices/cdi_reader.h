#pragma once

// Internal to the CDI spec parser (cdi_parse.cpp, cdi_parse_edits.cpp): a spec document
// as JSON whatever its format, and typed readers of its fields whose errors name the file
// and the field.
#include <common/error.h>
#include <runtime/devices/devices.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sifkit::runtime::cdi_detail {

using nlohmann::json;

// Where in which file a value sits, for error messages.
struct Where {
  const std::string& file;
  std::string path;

  Where at(const std::string& key) const { return {file, path.empty() ? key : path + "." + key}; }
  Where index(std::size_t i) const { return {file, fmt::format("{}[{}]", path, i)}; }
  std::unexpected<Error> bad(const std::string& problem) const {
    return fail(ErrorKind::corrupt_input, fmt::format("CDI spec {}: {}: {}", file,
                                                      path.empty() ? "top level" : path, problem));
  }
};

// The document in `text`: JSON when `file` ends in ".json", else YAML, its plain scalars
// typed as YAML 1.1 types them (as the CDI reference library reads YAML). `corrupt_input`
// naming `file` when it does not parse.
Result<json> parse_document(std::string_view text, const std::string& file);

// Member `key` of `object`; nullptr when absent or null.
const json* member(const json& object, const char* key);

// Typed values; `corrupt_input` naming `where` for a value of another type.
Result<std::string> as_string(const json& value, const Where& where);
Result<std::int64_t> as_integer(const json& value, const Where& where);
Result<std::uint32_t> as_uint32(const json& value, const Where& where);
Result<std::vector<std::string>> as_strings(const json& value, const Where& where);

// The non-empty string member `key`; `corrupt_input` when missing, empty or not a string.
Result<std::string> required_string(const json& object, const char* key, const Where& where);

// The containerEdits object `object` (cdi_parse_edits.cpp). Errors as the readers above,
// and for an invalid device type, cgroup access, hook name, hook path or env entry.
Result<CdiEdits> read_edits(const json& object, const Where& where);

// What the elements of a list must be.
enum class Items { objects, any };

// Reads optional member `key` of `object` into `into` with `convert`.
template <typename T, typename Convert>
Result<void> optional_field(const json& object, const char* key, const Where& where, T& into,
                            Convert convert) {
  if (const json* value = member(object, key)) {
    SIFKIT_TRY_ASSIGN(auto converted, convert(*value, where.at(key)));
    into = std::move(converted);
  }
  return {};
}

// Calls `read` on each element of the optional list member `key`.
template <typename Read>
Result<void> each(const json& object, const char* key, const Where& where, Read read,
                  Items items = Items::objects) {
  const json* list = member(object, key);
  if (!list) {
    return {};
  }
  if (!list->is_array()) {
    return where.at(key).bad("expected a list");
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    Where item = where.at(key).index(i);
    if (items == Items::objects && !(*list)[i].is_object()) {
      return item.bad("expected an object");
    }
    SIFKIT_TRY(read((*list)[i], item));
  }
  return {};
}

} // namespace sifkit::runtime::cdi_detail
