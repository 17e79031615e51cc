#pragma once

// The container's environment, merged as SingularityCE's OCI mode merges it (low to high):
// the image's ENV; SINGULARITYENV_X and SIFKIT_ENV_X host variables (prefix stripped);
// --env-file files; --env. PATH falls back to the image's and then a default, HOME is
// forced, LD_LIBRARY_PATH gets the bound library directory, and a few host variables
// (TERM, the proxy variables) pass through when still unset and --cleanenv is not given.
#include <common/error.h>
#include <runtime/devices/devices.h>
#include <runtime/spec/spec.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sifkit::runtime {

// The PATH a container gets when neither the user nor the image sets one.
inline constexpr std::string_view k_default_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

using EnvPairs = std::vector<std::pair<std::string, std::string>>;

// Parses env-file text (`K=V` lines, `#` comments, blank lines, an optional `export `
// prefix, one level of matching quotes stripped; no shell evaluation). `usage` naming
// `source` and the line for a line without `=` or with an empty or invalid name.
Result<EnvPairs> parse_env_file(std::string_view text, const std::string& source);

// The variables the user asked for, in precedence order (later wins): SINGULARITYENV_X,
// then SIFKIT_ENV_X from `host_env`, the files `options.env_files`, then `options.env`.
// `usage` for a malformed --env or env-file line, `not_found`/`io` for an unreadable file.
Result<EnvPairs> user_environment(const RunOptions& options,
                                  const std::map<std::string, std::string>& host_env);

// The final "K=V" list: `image_env` overlaid with the user's variables (APPEND_PATH and
// PREPEND_PATH amend PATH instead of being set), PATH defaulted, HOME = `home`,
// LD_LIBRARY_PATH ending in the libs directory, then the pass-through host variables.
// Keys keep their first position (the image's order, then new keys in order of
// appearance). Same failures as user_environment.
Result<std::vector<std::string>>
build_environment(const std::vector<std::string>& image_env, const RunOptions& options,
                  const std::map<std::string, std::string>& host_env, const std::string& home);

} // namespace sifkit::runtime
