#pragma once

// Where the shared cache lives, and making sure that place is safe to use.

#include <common/error.h>

#include <functional>
#include <optional>
#include <string>

namespace sifkit::cache {

// Looks up an environment variable; returns nullopt when unset or empty.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv), with empty values treated as unset.
std::optional<std::string> process_environment(const std::string& name);

// Chooses the cache directory: `flag` (the --cache option) when given, else
// $SIFKIT_CACHEDIR, else $XDG_CACHE_HOME/sifkit, else $HOME/.cache/sifkit (the home
// directory from the password database when $HOME is unset). Fails with `not_found` when
// none of these can be determined. Does not touch the file system.
Result<std::string>
resolve_cache_directory(const std::optional<std::string>& flag,
                        const EnvironmentLookup& environment = process_environment);

// Creates `directory` (and missing parents) with mode 0700 when absent. Fails with
// `conflict` when it exists but is not a directory or is owned by another user (a cache
// someone else controls could feed us their blobs), and with `io` when it cannot be made.
Result<void> ensure_cache_directory(const std::string& directory);

} // namespace sifkit::cache
