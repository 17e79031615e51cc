#include <common/file.h>
#include <common/in_root.h>
#include <runtime/identity/identity.h>
#include <runtime/spec/environment.h>
#include <runtime/spec/spec_parts.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace sifkit::runtime::detail {

namespace {

const std::vector<std::string> k_file_bind_options = {"bind", "nosuid", "nodev", "ro"};

// The most read of the host's resolv.conf or hosts.
constexpr std::size_t k_max_host_file = std::size_t{4} << 20;

// Writes `text` to `files_dir`/`name`, readable by any container user, and returns its path.
Result<std::string> write_bound_file(const SpecInputs& inputs, const std::string& name,
                                     const std::string& text) {
  std::error_code ec;
  fs::create_directories(inputs.files_dir, ec);
  if (ec) {
    return fail(ErrorKind::io, fmt::format("creating {}: {}", inputs.files_dir, ec.message()));
  }
  std::string path = inputs.files_dir + "/" + name;
  // Regenerated for every run: atomic for readers, no need to survive a reboot.
  SIFKIT_TRY(write_file_atomic(path, text, Durability::unsynced));
  if (chmod(path.c_str(), 0644) != 0) {
    return fail_errno(fmt::format("chmod {}", path), errno);
  }
  return path;
}

bool valid_ip(const std::string& text) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

Result<std::string> resolv_conf_text(const SpecInputs& inputs) {
  const std::vector<std::string>& dns = inputs.options->dns;
  if (dns.empty()) {
    return read_optional_file(inputs.host->resolv_conf, k_max_host_file);
  }
  std::string text;
  for (const std::string& server : dns) {
    if (!valid_ip(server)) {
      return fail(ErrorKind::usage,
                  fmt::format("--dns '{}' is not an IPv4 or IPv6 address", server));
    }
    text += "nameserver " + server + "\n";
  }
  return text;
}

Result<std::string> hosts_text(const SpecInputs& inputs) {
  auto text = read_optional_file(inputs.host->hosts, k_max_host_file);
  if (!text) {
    return text;
  }
  if (inputs.options->hostname) {
    if (!text->empty() && text->back() != '\n') {
      *text += "\n";
    }
    *text += fmt::format("127.0.0.1 {}\n", *inputs.options->hostname);
  }
  return text;
}

// Where the generated files go: the image's root (to resolve destinations as the runtime
// will) and the destinations that binds of host paths already cover, resolved the same way.
struct FileTargets {
  File root;
  std::vector<std::string> bound;
};

bool is_host_bind(const nlohmann::json& mount) {
  if (mount["type"] == "bind") {
    return true;
  }
  for (const auto& option : mount["options"]) {
    if (option == "bind" || option == "rbind") {
      return true;
    }
  }
  return false;
}

Result<FileTargets> file_targets(const SpecInputs& inputs, const nlohmann::json& mounts) {
  SIFKIT_TRY_ASSIGN(auto root, open_directory(inputs.rootfs));
  FileTargets targets{std::move(root), {}};
  for (const auto& mount : mounts) {
    if (!is_host_bind(mount)) {
      continue;
    }
    SIFKIT_TRY_ASSIGN(auto resolved,
                      resolve_in_root(targets.root, mount["destination"].get<std::string>()));
    targets.bound.push_back(std::move(resolved));
  }
  return targets;
}

// Whether `destination` lands, inside the image, at or below a bind of a host path: the
// runtime would then create the file's mount point inside that host directory.
Result<bool> lands_in_bind(const FileTargets& targets, const std::string& destination) {
  SIFKIT_TRY_ASSIGN(auto resolved, resolve_in_root(targets.root, destination));
  return std::any_of(targets.bound.begin(), targets.bound.end(), [&](const std::string& bound) {
    return resolved == bound || bound == "/" || resolved.starts_with(bound + "/");
  });
}

// Binds a generated file at `destination`, unless a bind of a host path covers it there
// (what is bound there is what the container sees, and no empty file is left in it).
Result<void> add_generated(const SpecInputs& inputs, const FileTargets& targets,
                           const std::string& name, const Result<std::string>& text,
                           const std::string& destination, nlohmann::json& mounts) {
  if (!text) {
    return std::unexpected(text.error());
  }
  SIFKIT_TRY_ASSIGN(auto covered, lands_in_bind(targets, destination));
  if (covered) {
    return {};
  }
  SIFKIT_TRY_ASSIGN(auto path, write_bound_file(inputs, name, *text));
  mounts.push_back(mount_entry(destination, "bind", path, k_file_bind_options));
  return {};
}

Result<void> add_identity_files(const SpecInputs& inputs, const FileTargets& targets,
                                const TargetUser& user, nlohmann::json& mounts) {
  const HostContext& host = *inputs.host;
  CallerEntry caller;
  caller.name = host.user_name.empty() ? fmt::format("user{}", host.uid) : host.user_name;
  caller.uid = host.uid;
  caller.gid = host.gid;
  caller.home = user.home;
  caller.group_name = host.group_name;

  SIFKIT_TRY_ASSIGN(auto identity, read_image_identity(inputs));
  SIFKIT_TRY(add_generated(inputs, targets, "passwd", passwd_with_caller(identity.passwd, caller),
                           "/etc/passwd", mounts));
  return add_generated(inputs, targets, "group", group_with_caller(identity.group, caller),
                       "/etc/group", mounts);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    std::string item = text.substr(start, end == std::string::npos ? end : end - start);
    if (!item.empty()) {
      items.push_back(item);
    }
    start = end == std::string::npos ? text.size() + 1 : end + 1;
  }
  return items;
}

Result<void> add_contained_libs(const SpecInputs& inputs, const FileTargets& targets,
                                nlohmann::json& mounts) {
  std::set<std::string> destinations;
  for (const char* variable : {"SIFKIT_CONTAINLIBS", "SINGULARITY_CONTAINLIBS"}) {
    auto it = inputs.host->env.find(variable);
    if (it == inputs.host->env.end()) {
      continue;
    }
    for (const std::string& library : split_list(it->second)) {
      std::error_code ec;
      fs::path source = fs::absolute(library, ec).lexically_normal();
      if (ec || !fs::is_regular_file(source, ec)) {
        return fail(ErrorKind::usage,
                    fmt::format("{}: the library '{}' does not exist", variable, library));
      }
      std::string destination =
          std::string(k_container_libs_dir) + "/" + source.filename().string();
      SIFKIT_TRY_ASSIGN(auto covered, lands_in_bind(targets, destination));
      if (covered) {
        return fail(ErrorKind::usage, fmt::format("{}: {} lies inside a bind of a host directory",
                                                  variable, destination));
      }
      if (destinations.insert(destination).second) {
        mounts.push_back(mount_entry(destination, "bind", source.string(), k_file_bind_options));
      }
    }
  }
  return {};
}

} // namespace

Result<void> add_file_mounts(const SpecInputs& inputs, const TargetUser& user,
                             nlohmann::json& mounts) {
  SIFKIT_TRY_ASSIGN(auto targets, file_targets(inputs, mounts));
  SIFKIT_TRY(add_generated(inputs, targets, "resolv.conf", resolv_conf_text(inputs),
                           "/etc/resolv.conf", mounts));
  SIFKIT_TRY(add_generated(inputs, targets, "hosts", hosts_text(inputs), "/etc/hosts", mounts));
  // --fakeroot runs as the image's own root entry.
  if (!user.from_image && !inputs.options->fakeroot) {
    SIFKIT_TRY(add_identity_files(inputs, targets, user, mounts));
  }
  return add_contained_libs(inputs, targets, mounts);
}

} // namespace sifkit::runtime::detail
