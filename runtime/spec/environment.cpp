#include "environment.h"

#include <common/file.h>
#include <common/text.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace sifkit::runtime {

namespace {

// The most read of one --env-file.
constexpr std::size_t k_max_env_file = std::size_t{4} << 20;

// Host variables passed through when unset (never with --cleanenv).
constexpr std::string_view k_pass_through[] = {
    "TERM",     "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy",
    "NO_PROXY", "all_proxy",  "ALL_PROXY",  "ftp_proxy",   "FTP_PROXY",
};

// Host prefixes that set container variables, lowest precedence first.
constexpr std::string_view k_env_prefixes[] = {"SINGULARITYENV_", "SIFKIT_ENV_"};

bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Keys in order of first appearance; setting a key again replaces its value in place.
class OrderedEnv {
public:
  void set(const std::string& key, const std::string& value) {
    auto it = find(key);
    if (it == m_pairs.end()) {
      m_pairs.emplace_back(key, value);
    } else {
      it->second = value;
    }
  }
  const std::string* get(const std::string& key) const {
    auto it = std::find_if(m_pairs.begin(), m_pairs.end(),
                           [&](const auto& pair) { return pair.first == key; });
    return it == m_pairs.end() ? nullptr : &it->second;
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const auto& [key, value] : m_pairs) {
      out.push_back(key + "=" + value);
    }
    return out;
  }

private:
  EnvPairs::iterator find(const std::string& key) {
    return std::find_if(m_pairs.begin(), m_pairs.end(),
                        [&](const auto& pair) { return pair.first == key; });
  }
  EnvPairs m_pairs;
};

Result<std::pair<std::string, std::string>> split_assignment(std::string_view text,
                                                             const std::string& where) {
  std::size_t equals = text.find('=');
  std::string_view name = equals == std::string_view::npos ? text : text.substr(0, equals);
  if (equals == std::string_view::npos || !valid_name(name)) {
    return fail(ErrorKind::usage,
                fmt::format("{}: '{}' is not NAME=VALUE with a valid variable name", where, text));
  }
  return std::pair{std::string(name), std::string(text.substr(equals + 1))};
}

} // namespace

Result<EnvPairs> parse_env_file(std::string_view text, const std::string& source) {
  EnvPairs pairs;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    std::string_view line = trim_space(
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    start = end == std::string_view::npos ? text.size() + 1 : end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.starts_with("export ")) {
      line = trim_space(line.substr(7));
    }
    SIFKIT_TRY_ASSIGN(auto pair,
                      split_assignment(line, fmt::format("{} line {}", source, line_number)));
    std::string& value = pair.second;
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

Result<EnvPairs> user_environment(const RunOptions& options,
                                  const std::map<std::string, std::string>& host_env) {
  EnvPairs pairs;
  for (std::string_view prefix : k_env_prefixes) {
    for (const auto& [key, value] : host_env) {
      if (key.starts_with(prefix) && valid_name(std::string_view(key).substr(prefix.size()))) {
        pairs.emplace_back(key.substr(prefix.size()), value);
      }
    }
  }
  for (const std::string& path : options.env_files) {
    SIFKIT_TRY_ASSIGN(auto text, with_context(read_file(path, k_max_env_file),
                                              fmt::format("reading the env file {}", path)));
    SIFKIT_TRY_ASSIGN(auto file_pairs, parse_env_file(text, path));
    pairs.insert(pairs.end(), file_pairs.begin(), file_pairs.end());
  }
  for (const std::string& assignment : options.env) {
    SIFKIT_TRY_ASSIGN(auto pair, split_assignment(assignment, "--env"));
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

Result<std::vector<std::string>>
build_environment(const std::vector<std::string>& image_env, const RunOptions& options,
                  const std::map<std::string, std::string>& host_env, const std::string& home) {
  SIFKIT_TRY_ASSIGN(auto user, user_environment(options, host_env));
  OrderedEnv env;
  for (const std::string& line : image_env) {
    std::size_t equals = line.find('=');
    if (equals != std::string::npos && equals > 0) {
      env.set(line.substr(0, equals), line.substr(equals + 1));
    }
  }
  std::string append_path, prepend_path;
  for (const auto& [key, value] : user) {
    if (key == "APPEND_PATH") {
      append_path = value;
    } else if (key == "PREPEND_PATH") {
      prepend_path = value;
    } else {
      env.set(key, value);
    }
  }

  std::string path = env.get("PATH") ? *env.get("PATH") : std::string(k_default_path);
  if (!prepend_path.empty()) {
    path = prepend_path + ":" + path;
  }
  if (!append_path.empty()) {
    path += ":" + append_path;
  }
  env.set("PATH", path);
  env.set("HOME", home);
  const std::string* libs = env.get("LD_LIBRARY_PATH");
  env.set("LD_LIBRARY_PATH", libs && !libs->empty()
                                 ? *libs + ":" + std::string(k_container_libs_dir)
                                 : std::string(k_container_libs_dir));

  if (!options.clean_env) {
    for (std::string_view name : k_pass_through) {
      auto it = host_env.find(std::string(name));
      if (it != host_env.end() && !env.get(it->first)) {
        env.set(it->first, it->second);
      }
    }
  }
  return env.lines();
}

} // namespace sifkit::runtime
