// The CDI registry: spec files found in the CDI directories, indexed by fully-qualified
// device name with the directory precedence of the CDI specification, and the lookup of
// the devices a user asks for.
#include <common/file.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "devices.h"
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fs = std::filesystem;

namespace sifkit::runtime {

namespace {

// The most read of one CDI spec file.
constexpr std::size_t k_max_cdi_spec = std::size_t{4} << 20;

bool is_spec_file(const fs::path& path) {
  std::string extension = path.extension().string();
  return extension == ".json" || extension == ".yaml" || extension == ".yml";
}

// The spec files of `dir`, sorted by name so that loading is deterministic.
Result<std::vector<std::string>> spec_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    return files;
  }
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return fail(ErrorKind::io, fmt::format("reading CDI directory {}: {}", dir, ec.message()));
  }
  for (const auto& entry : it) {
    if (is_spec_file(entry.path()) && entry.is_regular_file(ec)) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void index_spec(CdiRegistry& registry, std::size_t spec_index, std::size_t dir) {
  const CdiSpec& spec = registry.specs[spec_index];
  for (std::size_t i = 0; i < spec.devices.size(); ++i) {
    std::string name = spec.kind + "=" + spec.devices[i].name;
    auto [it, inserted] = registry.devices.try_emplace(name);
    CdiRegistry::Entry& entry = it->second;
    if (!inserted && entry.dir == dir) {
      entry.clashes.push_back(spec.file);
      continue;
    }
    // Directories load in order, so a later one always takes over.
    entry = {spec_index, i, dir, {}};
  }
}

struct QualifiedName {
  std::string kind; // vendor.com/class
  std::string name;
};

std::optional<QualifiedName> split_qualified(std::string_view text) {
  std::size_t equals = text.find('=');
  if (equals == std::string_view::npos) {
    return std::nullopt;
  }
  QualifiedName out{std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
  if (!valid_cdi_kind(out.kind) || !valid_cdi_device_name(out.name)) {
    return std::nullopt;
  }
  return out;
}

std::string searched(const CdiRegistry& registry) {
  return registry.dirs.empty() ? std::string("no directory")
                               : fmt::format("{}", fmt::join(registry.dirs, ", "));
}

// The registry keys `request` stands for: itself, or each device of its kind for "=all".
Result<std::vector<std::string>> expand(const CdiRegistry& registry, const std::string& request) {
  auto name = split_qualified(request);
  if (!name) {
    return fail(ErrorKind::usage,
                fmt::format("'{}' is not a fully-qualified CDI device name (vendor.com/class=name)",
                            request));
  }
  if (registry.devices.contains(request) || name->name != "all") {
    return std::vector<std::string>{request};
  }
  std::vector<std::string> all;
  std::string prefix = name->kind + "=";
  for (auto it = registry.devices.lower_bound(prefix);
       it != registry.devices.end() && it->first.starts_with(prefix); ++it) {
    all.push_back(it->first);
  }
  return all;
}

Result<const CdiRegistry::Entry*> find_device(const CdiRegistry& registry,
                                              const std::string& name) {
  auto it = registry.devices.find(name);
  if (it == registry.devices.end()) {
    return fail(
        ErrorKind::not_found,
        fmt::format("CDI device '{}' is not defined by any spec in {}", name, searched(registry)));
  }
  const CdiRegistry::Entry& entry = it->second;
  if (!entry.clashes.empty()) {
    return fail(ErrorKind::conflict,
                fmt::format("CDI device '{}' is defined twice in {}: in {} and in {}", name,
                            registry.dirs[entry.dir], registry.specs[entry.spec].file,
                            fmt::join(entry.clashes, " and ")));
  }
  return &entry;
}

} // namespace

void CdiEdits::append(const CdiEdits& other) {
  env.insert(env.end(), other.env.begin(), other.env.end());
  device_nodes.insert(device_nodes.end(), other.device_nodes.begin(), other.device_nodes.end());
  mounts.insert(mounts.end(), other.mounts.begin(), other.mounts.end());
  hooks.insert(hooks.end(), other.hooks.begin(), other.hooks.end());
  additional_gids.insert(additional_gids.end(), other.additional_gids.begin(),
                         other.additional_gids.end());
  unsupported.insert(unsupported.end(), other.unsupported.begin(), other.unsupported.end());
}

Result<CdiRegistry> load_cdi_registry(const std::vector<std::string>& dirs) {
  CdiRegistry registry;
  registry.dirs = dirs;
  for (std::size_t dir = 0; dir < dirs.size(); ++dir) {
    SIFKIT_TRY_ASSIGN(auto files, spec_files(dirs[dir]));
    for (const std::string& file : files) {
      SIFKIT_TRY_ASSIGN(auto text,
                        with_context(read_file(file, k_max_cdi_spec), "reading a CDI spec"));
      SIFKIT_TRY_ASSIGN(auto spec, parse_cdi_spec(text, file));
      registry.specs.push_back(std::move(spec));
      index_spec(registry, registry.specs.size() - 1, dir);
    }
  }
  return registry;
}

Result<std::vector<std::string>> parse_cdi_device_list(std::string_view list) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = std::min(list.find(',', start), list.size());
    std::string_view item = list.substr(start, end - start);
    start = end + 1;
    if (item.empty()) {
      continue;
    }
    if (!split_qualified(item)) {
      return fail(ErrorKind::usage,
                  fmt::format("--device '{}' is not a fully-qualified CDI device name "
                              "(vendor.com/class=name)",
                              item));
    }
    names.emplace_back(item);
  }
  return names;
}

Result<CdiEdits> resolve_cdi_devices(const CdiRegistry& registry,
                                     const std::vector<std::string>& names) {
  std::vector<std::string> wanted;
  for (const std::string& request : names) {
    SIFKIT_TRY_ASSIGN(auto expanded, expand(registry, request));
    if (expanded.empty()) {
      return fail(ErrorKind::not_found, fmt::format("CDI device '{}': no spec in {} defines a "
                                                    "device of that kind",
                                                    request, searched(registry)));
    }
    for (std::string& name : expanded) {
      if (std::find(wanted.begin(), wanted.end(), name) == wanted.end()) {
        wanted.push_back(std::move(name));
      }
    }
  }
  CdiEdits edits;
  std::set<std::size_t> specs_applied;
  for (const std::string& name : wanted) {
    SIFKIT_TRY_ASSIGN(auto entry, find_device(registry, name));
    const CdiSpec& spec = registry.specs[entry->spec];
    if (specs_applied.insert(entry->spec).second) {
      edits.append(spec.edits);
    }
    edits.append(spec.devices[entry->device].edits);
  }
  return edits;
}

} // namespace sifkit::runtime
