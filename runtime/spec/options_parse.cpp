#include <common/text.h>
#include <runtime/spec/capabilities.h>

#include <algorithm>
#include <filesystem>

#include "spec.h"
#include <fmt/format.h>

namespace fs = std::filesystem;

namespace sifkit::runtime {

namespace {

std::string absolute_path(const std::string& path) {
  return fs::absolute(fs::path(path)).lexically_normal().string();
}

Result<std::string> absolute_destination(const std::string& path, const std::string& what) {
  if (path.empty() || path.front() != '/') {
    return fail(ErrorKind::usage,
                fmt::format("{}: the container path '{}' must be absolute", what, path));
  }
  return fs::path(path).lexically_normal().string();
}

Result<BindMount> parse_one_bind(const std::string& item) {
  auto pieces = split(item, ':');
  std::vector<std::string> parts(pieces.begin(), pieces.end());
  if (item.empty() || parts[0].empty() || parts.size() > 3) {
    return fail(ErrorKind::usage, fmt::format("--bind '{}': expected src[:dst[:ro|rw]]", item));
  }
  BindMount bind;
  bind.source = absolute_path(parts[0]);
  SIFKIT_TRY_ASSIGN(auto destination,
                    absolute_destination(parts.size() > 1 ? parts[1] : bind.source,
                                         fmt::format("--bind '{}'", item)));
  bind.destination = destination;
  if (parts.size() == 3) {
    if (parts[2] != "ro" && parts[2] != "rw") {
      return fail(
          ErrorKind::usage,
          fmt::format("--bind '{}': unknown option '{}' (expected ro or rw)", item, parts[2]));
    }
    bind.read_only = parts[2] == "ro";
  }
  return bind;
}

Result<bool> parse_bool(const std::string& key, const std::string& value) {
  if (value == "true" || value == "1") {
    return true;
  }
  if (value == "false" || value == "0") {
    return false;
  }
  return fail(ErrorKind::usage, fmt::format("--mount: '{}={}' is not true or false", key, value));
}

} // namespace

Result<std::vector<BindMount>> parse_binds(const std::string& text) {
  std::vector<BindMount> binds;
  for (std::string_view item : split(text, ',')) {
    SIFKIT_TRY_ASSIGN(auto bind, parse_one_bind(std::string(item)));
    binds.push_back(std::move(bind));
  }
  return binds;
}

Result<BindMount> parse_mount(const std::string& text) {
  BindMount bind;
  std::string source, destination;
  for (std::string_view item : split(text, ',')) {
    std::size_t equals = item.find('=');
    std::string key(item.substr(0, equals));
    std::string value(equals == std::string_view::npos ? "" : item.substr(equals + 1));
    if (key == "type") {
      if (value != "bind") {
        return fail(ErrorKind::usage,
                    fmt::format("--mount '{}': only type=bind is supported", text));
      }
    } else if (key == "source" || key == "src") {
      source = value;
    } else if (key == "destination" || key == "dst" || key == "target") {
      destination = value;
    } else if (key == "ro" || key == "readonly") {
      SIFKIT_TRY_ASSIGN(auto flag,
                        equals == std::string::npos ? Result<bool>(true) : parse_bool(key, value));
      bind.read_only = flag;
    } else {
      return fail(ErrorKind::usage, fmt::format("--mount '{}': unknown field '{}'", text, key));
    }
  }
  if (source.empty() || destination.empty()) {
    return fail(ErrorKind::usage,
                fmt::format("--mount '{}': needs source= and destination=", text));
  }
  SIFKIT_TRY_ASSIGN(auto absolute,
                    absolute_destination(destination, fmt::format("--mount '{}'", text)));
  bind.source = absolute_path(source);
  bind.destination = absolute;
  return bind;
}

Result<void> parse_home(const std::string& text, RunOptions& options) {
  auto pieces = split(text, ':');
  std::vector<std::string> parts(pieces.begin(), pieces.end());
  if (text.empty() || parts.size() > 2 || parts[0].empty()) {
    return fail(ErrorKind::usage,
                fmt::format("--home '{}': expected host:container or /container", text));
  }
  SIFKIT_TRY_ASSIGN(auto destination,
                    absolute_destination(parts.back(), fmt::format("--home '{}'", text)));
  options.home_destination = destination;
  if (parts.size() == 2) {
    options.home_mode = HomeMode::bind;
    options.home_source = absolute_path(parts[0]);
  } else {
    options.home_mode = HomeMode::tmpfs;
    options.home_source.clear();
  }
  return {};
}

Result<std::vector<std::string>> parse_caps(const std::string& text) {
  std::vector<std::string> caps;
  std::vector<std::string> unknown;
  auto add = [&](const std::string& name) {
    if (std::find(caps.begin(), caps.end(), name) == caps.end()) {
      caps.push_back(name);
    }
  };
  for (std::string_view piece : split(text, ',')) {
    std::string item(piece);
    if (item.empty()) {
      continue;
    }
    if (ascii_lower(item) == "all") {
      for (const std::string& name : all_capability_names()) {
        add(name);
      }
    } else if (auto name = normalize_capability(item)) {
      add(*name);
    } else {
      unknown.push_back(item);
    }
  }
  if (!unknown.empty()) {
    return fail(ErrorKind::usage,
                fmt::format("unknown capabilities: {}", fmt::join(unknown, ", ")));
  }
  return caps;
}

Result<std::set<std::string>> parse_no_mount(const std::string& text) {
  static const std::vector<std::string> valid = {"proc", "sys", "devpts", "tmp", "home"};
  std::set<std::string> names;
  for (std::string_view piece : split(text, ',')) {
    std::string item(piece);
    if (item == "dev") {
      return fail(ErrorKind::usage, "--no-mount: dev cannot be disabled");
    }
    if (std::find(valid.begin(), valid.end(), item) == valid.end()) {
      return fail(ErrorKind::usage, fmt::format("--no-mount: unknown mount '{}' (valid: {})", item,
                                                fmt::join(valid, ", ")));
    }
    names.insert(item);
  }
  return names;
}

Result<void> parse_security(const std::string& text, RunOptions& options) {
  constexpr std::string_view prefix = "seccomp:";
  if (!text.starts_with(prefix) || text.size() == prefix.size()) {
    return fail(ErrorKind::usage,
                fmt::format("--security '{}': only seccomp:unconfined and seccomp:PROFILE.json are "
                            "supported (no apparmor or selinux labels)",
                            text));
  }
  options.seccomp = text.substr(prefix.size());
  return {};
}

} // namespace sifkit::runtime
