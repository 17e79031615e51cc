// The CDI spec parser's document reading (JSON or YAML to one JSON value) and its typed
// field readers.
#include "cdi_reader.h"

#include <charconv>
#include <optional>

#include <yaml-cpp/yaml.h>

namespace sifkit::runtime::cdi_detail {

namespace {

// YAML 1.1 integers as go-yaml reads them (decimal, 0x hex, 0o or leading-0 octal).
std::optional<std::int64_t> yaml_integer(const std::string& text) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.starts_with("0o")) {
    base = 8;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits.front() == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

// Plain (unquoted) scalars get YAML's types; quoted ones stay strings.
json yaml_scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() != "?") {
    return text;
  }
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (auto number = yaml_integer(text)) {
    return *number;
  }
  return text;
}

// Aliases make a YAML document a graph: an anchor may be used many times ("billion
// laughs") or inside its own value. The JSON copy is a tree, so the copy is bounded; real
// specs nest a few levels and hold thousands of values.
constexpr int k_max_yaml_depth = 64;
constexpr std::size_t k_max_yaml_values = 1'000'000;

// Copies a YAML document into JSON within the bounds above.
class YamlToJson {
public:
  explicit YamlToJson(const std::string& file) : m_file(file) {}

  // `node` at nesting `depth` as JSON; `corrupt_input` when a bound is passed.
  Result<json> copy(const YAML::Node& node, int depth) {
    if (depth > k_max_yaml_depth) {
      return too_large(fmt::format("nested more than {} levels deep (an alias inside its own "
                                   "anchor?)",
                                   k_max_yaml_depth));
    }
    if (++m_values > k_max_yaml_values) {
      return too_large(
          fmt::format("more than {} values once its aliases are expanded", k_max_yaml_values));
    }
    switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return yaml_scalar(node);
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) {
        SIFKIT_TRY_ASSIGN(auto value, copy(item, depth + 1));
        out.push_back(std::move(value));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& item : node) {
        SIFKIT_TRY_ASSIGN(auto value, copy(item.second, depth + 1));
        out[item.first.Scalar()] = std::move(value);
      }
      return out;
    }
    default:
      return nullptr;
    }
  }

private:
  std::unexpected<Error> too_large(const std::string& problem) const {
    return fail(ErrorKind::corrupt_input, fmt::format("CDI spec {}: {}", m_file, problem));
  }

  const std::string& m_file;
  std::size_t m_values = 0;
};

} // namespace

Result<json> parse_document(std::string_view text, const std::string& file) {
  if (file.ends_with(".json")) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
      return fail(ErrorKind::corrupt_input, fmt::format("CDI spec {}: not valid JSON", file));
    }
    return doc;
  }
  try {
    return YamlToJson(file).copy(YAML::Load(std::string(text)), 0);
  } catch (const YAML::Exception& e) {
    return fail(ErrorKind::corrupt_input,
                fmt::format("CDI spec {}: not valid YAML: {}", file, e.what()));
  }
}

const json* member(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

Result<std::string> as_string(const json& value, const Where& where) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_number_integer()) { // an unquoted YAML scalar such as a device named 0
    return value.dump();
  }
  return where.bad("expected a string");
}

Result<std::int64_t> as_integer(const json& value, const Where& where) {
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX) {
    return where.bad("the number is too large");
  }
  if (!value.is_number_integer()) {
    return where.bad("expected an integer");
  }
  return value.get<std::int64_t>();
}

Result<std::uint32_t> as_uint32(const json& value, const Where& where) {
  auto number = as_integer(value, where);
  if (number && (*number < 0 || *number > UINT32_MAX)) {
    return where.bad("expected a number from 0 to 4294967295");
  }
  if (!number) {
    return std::unexpected(number.error());
  }
  return static_cast<std::uint32_t>(*number);
}

Result<std::vector<std::string>> as_strings(const json& value, const Where& where) {
  if (!value.is_array()) {
    return where.bad("expected a list of strings");
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    SIFKIT_TRY_ASSIGN(auto text, as_string(value[i], where.index(i)));
    out.push_back(text);
  }
  return out;
}

Result<std::string> required_string(const json& object, const char* key, const Where& where) {
  const json* value = member(object, key);
  if (!value) {
    return where.bad(fmt::format("'{}' is missing", key));
  }
  auto text = as_string(*value, where.at(key));
  if (text && text->empty()) {
    return where.at(key).bad("must not be empty");
  }
  return text;
}

} // namespace sifkit::runtime::cdi_detail
