#include <common/file.h>
#include <registry/insecure_registries.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace sifkit::registry {

std::vector<std::string> insecure_registry_files() {
  if (const char* chosen = std::getenv("SIFKIT_REGISTRIES_CONF"); chosen && *chosen) {
    return {chosen};
  }
  std::vector<std::string> files;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    files.push_back(std::string(xdg) + "/sifkit/registries.json");
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    files.push_back(std::string(home) + "/.config/sifkit/registries.json");
  }
  files.push_back("/etc/sifkit/registries.json");
  files.push_back("/etc/docker/daemon.json");
  return files;
}

// The most read of one registries file.
constexpr std::size_t k_max_registries_file = std::size_t{1} << 20;

Result<std::vector<std::string>> read_insecure_registries(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return std::vector<std::string>{};
  }
  SIFKIT_TRY_ASSIGN(auto text, read_file(path, k_max_registries_file));
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return fail(ErrorKind::usage, path + " is not a JSON object");
  }
  std::vector<std::string> hosts;
  auto it = json.find("insecure-registries");
  if (it == json.end()) {
    return hosts;
  }
  if (!it->is_array()) {
    return fail(ErrorKind::usage, path + ": \"insecure-registries\" must be a list of hosts");
  }
  for (const auto& entry : *it) {
    if (!entry.is_string()) {
      return fail(ErrorKind::usage, path + ": \"insecure-registries\" holds a non-string entry");
    }
    hosts.push_back(entry.get<std::string>());
  }
  return hosts;
}

Result<bool> registry_listed_insecure(std::string_view host) {
  for (const std::string& file : insecure_registry_files()) {
    SIFKIT_TRY_ASSIGN(auto hosts, read_insecure_registries(file));
    if (std::find(hosts.begin(), hosts.end(), host) != hosts.end()) {
      return true;
    }
  }
  return false;
}

} // namespace sifkit::registry
