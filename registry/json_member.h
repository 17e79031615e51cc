#pragma once

// Reading optional string members of registry and auth-file JSON (internal to registry/).
#include <string>

#include <nlohmann/json.hpp>

namespace sifkit::registry {

// The string member `key` of object `obj`, or empty when absent or not a string.
inline std::string string_member(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace sifkit::registry
